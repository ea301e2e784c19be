"""The cumulative-risk view on both stores: facts stored live, judged at a given moment, lists,
waits, projection equals replay, exactly once, and no personal data in its tables."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import (
    HarmIndicator,
    RiskLevel,
    Vulnerability,
)
from ledger.harm_model import FlagName
from ledger.thresholds import RiskThresholds
from projections import ViewBehind, ViewRunner, ViewStore, Visibility, open_view_store
from projections.rebuild import rebuild
from projections.risk.projection import CumulativeRisk
from tests.builders import T0
from tests.integration.view_steps import Steps, assert_no_plaintext, redeliver_everything

T = HarmIndicator.TARGETED
H = HarmIndicator.HATE_MOTIVATED
V = HarmIndicator.VIOLENCE_OR_THREAT


@pytest.fixture
def view_store(ledger: CaseLedger) -> Iterator[ViewStore]:
    store = open_view_store(ledger.store_config)
    yield store
    store.close()


@pytest.fixture
def risk(view_store: ViewStore) -> CumulativeRisk:
    return CumulativeRisk(view_store)


@pytest.fixture
def runner(ledger: CaseLedger, risk: CumulativeRisk) -> Iterator[ViewRunner]:
    runner = ViewRunner(ledger, [risk], page_size=5, interval=0.02)
    yield runner
    runner.stop()


@pytest.fixture
def steps(ledger: CaseLedger) -> Steps:
    return Steps(ledger)


@pytest.fixture
def campaign(steps: Steps, runner: ViewRunner) -> dict[str, Any]:
    """A vulnerable victim targeted on two cases; the first assessed standard."""
    first = steps.open(team="north", officer="cw-1")
    vic = steps.victim(first, vulnerable=(Vulnerability.DISABILITY,))
    hate = steps.incident(first, 1, T, H, victims=(vic,))
    targeted = steps.incident(first, 3, T, victims=(vic,))
    plain = steps.incident(first, 5)
    steps.assess(first, RiskLevel.STANDARD, days=0)
    second = steps.open(team="south")
    steps.victim(second, ref=vic, declared=True)
    threat = steps.incident(second, 6, V, victims=(vic,))
    runner.catch_up()
    return {
        "first": first,
        "second": second,
        "victim": vic,
        "ids": {"hate": hate, "targeted": targeted, "plain": plain, "threat": threat},
    }


# ------------------------------------------------------------------ judged from stored facts


def test_a_case_and_its_victim_across_cases_are_judged_at_a_moment(
    campaign: dict[str, Any], risk: CumulativeRisk
) -> None:
    first: Case = campaign["first"]
    ids = campaign["ids"]
    now = T0 + timedelta(days=10)
    found = risk.case_risk(first.id, now=now)
    assert found is not None
    assert (found.case_id, found.reference, found.version) == (
        first.id,
        first.reference,
        first.version,
    )
    assert (found.status, found.team, found.officer) == ("open", "north", "cw-1")

    # The case's own three incidents.
    assert found.harm.counts == ((7, 1), (30, 3), (90, 3))
    flags = {f.name: set(f.incident_ids) for f in found.harm.flags}
    assert flags[FlagName.TARGETED_CAMPAIGN] == {ids["hate"], ids["targeted"]}
    assert flags[FlagName.HATE_MOTIVATED] == {ids["hate"]}
    assert flags[FlagName.REPEAT_VICTIM] == {ids["hate"], ids["targeted"], ids["plain"]}
    assert FlagName.VULNERABLE in flags
    rules = {e.rule: set(e.incident_ids) for e in found.harm.escalations}
    assert rules["high.incidents"] == {ids["hate"], ids["targeted"], ids["plain"]}
    assert rules["high.targeted"] == {ids["hate"], ids["targeted"]}

    # The victim across both cases: four incidents, one a threat against a vulnerable victim.
    (victim,) = found.victims
    assert (victim.person_ref, victim.cases) == (campaign["victim"], 2)
    assert victim.harm.counts == ((7, 1), (30, 3), (90, 3))
    assert victim.harm.self_declared_repeat
    assert set(
        dict((e.rule, e.incident_ids) for e in victim.harm.escalations)[
            "high.violence_against_vulnerable"
        ]
    ) == {ids["threat"]}

    judged = found.judgement
    assert judged.assessed is not None
    assert (judged.assessed.level, judged.assessed.score) == (RiskLevel.STANDARD, 0)
    assert (judged.assessed.instrument, judged.assessed.instrument_version) == ("asb-vra", 1)
    assert (judged.derived_level, judged.escalated, judged.reassessment_due) == (
        RiskLevel.HIGH,
        True,
        True,
    )
    assert judged.summary == (
        "3 incidents in 30 days, 2 targeted in 90 days, 1 hate-motivated, victim vulnerable:"
        " last assessed standard, now indicates high"
    )
    assert risk.case_risk(uuid4(), now=now) is None


def test_windows_move_with_the_moment_asked_about_not_the_wall_clock(
    campaign: dict[str, Any], risk: CumulativeRisk
) -> None:
    first: Case = campaign["first"]
    early = risk.case_risk(first.id, now=T0 + timedelta(days=2))
    assert early is not None
    assert early.harm.counts == ((7, 1), (30, 1), (90, 1))  # the rest had not happened yet
    assert not early.judgement.reassessment_due
    late = risk.case_risk(first.id, now=T0 + timedelta(days=70))
    assert late is not None
    assert late.harm.counts == ((7, 0), (30, 0), (90, 3))
    assert late.judgement.derived_level is RiskLevel.HIGH  # still two targeted, one hate
    assert late.judgement.reassessment_reasons[-1] == (
        "last assessed 70 days ago; a standard assessment is reviewed every 56 days"
    )


def test_a_reassessment_and_closure_are_followed(
    campaign: dict[str, Any], risk: CumulativeRisk, steps: Steps, runner: ViewRunner
) -> None:
    first: Case = campaign["first"]
    steps.assess(first, RiskLevel.HIGH, days=9, victim=campaign["victim"])
    runner.catch_up()
    now = T0 + timedelta(days=10)
    found = risk.case_risk(first.id, now=now)
    assert found is not None
    assert found.judgement.assessed is not None
    assert found.judgement.assessed.level is RiskLevel.HIGH
    assert (found.judgement.escalated, found.judgement.reassessment_due) == (False, False)
    assert found.victims[0].judgement.assessed == found.judgement.assessed
    second = risk.case_risk(campaign["second"].id, now=now)
    assert second is not None
    assert second.judgement.assessed is None  # the victim's assessment was on the first case
    assert second.victims[0].judgement.assessed == found.judgement.assessed

    steps.close(first)
    runner.catch_up()
    closed = risk.case_risk(first.id, now=T0 + timedelta(days=100))
    assert closed is not None
    assert (closed.status, closed.judgement.reassessment_due) == ("closed", False)


def test_thresholds_are_read_at_query_time(campaign: dict[str, Any], view_store: ViewStore) -> None:
    lenient = CumulativeRisk(
        view_store,
        thresholds=RiskThresholds(
            high_min_incidents=9,
            high_min_targeted=9,
            high_violence_vulnerable_window_days=1,
            medium_min_incidents=9,
            medium_vulnerable_min_incidents=9,
        ),
    )
    found = lenient.case_risk(campaign["first"].id, now=T0 + timedelta(days=10))
    assert found is not None
    assert found.judgement.derived_level is RiskLevel.STANDARD
    assert found.harm.escalations == ()


# ------------------------------------------------------------------ lists


@pytest.fixture
def population(steps: Steps, runner: ViewRunner) -> dict[str, Case]:
    made = {
        "quiet": steps.open(team="north", officer="cw-1"),
        "busy": steps.open(team="north"),
        "south": steps.open(team="south", officer="cw-1"),
        "east": steps.open(team="east"),
        "closed": steps.open(team="north"),
    }
    for key in ("quiet", "busy", "south", "closed"):
        steps.assess(made[key], RiskLevel.MEDIUM, days=1)
    for day in (1, 2, 3):
        steps.incident(made["busy"], day)
        steps.incident(made["east"], day)
    steps.close(made["closed"])
    runner.catch_up()
    return made


def walk(risk: CumulativeRisk, visibility: Visibility, limit: int, **filters: Any) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = risk.list_cases(
            visibility=visibility, now=T0 + timedelta(days=5), limit=limit, cursor=cursor, **filters
        )
        assert len(page.items) <= limit
        seen.extend(item.reference for item in page.items)
        if page.next_cursor is None:
            return seen
        assert len(page.items) == limit
        cursor = page.next_cursor


@pytest.mark.parametrize(
    ("visibility", "filters", "expected"),
    [
        (Visibility.all(), {}, ("quiet", "busy", "south", "east")),
        (Visibility.all(), {"reassessment_due": True}, ("busy", "east")),
        (Visibility.all(), {"reassessment_due": False}, ("quiet", "south")),
        (Visibility.all(), {"derived_level": "high"}, ("busy", "east")),
        (Visibility.all(), {"derived_level": RiskLevel.MEDIUM}, ("quiet", "south")),
        (Visibility.all(), {"team": "north"}, ("quiet", "busy")),
        (Visibility.all(), {"officer": "cw-1"}, ("quiet", "south")),
        (Visibility(teams=frozenset({"north"})), {}, ("quiet", "busy")),
        (Visibility(officer="cw-1"), {}, ("quiet", "south")),
        (Visibility(teams=frozenset({"north"})), {"team": "east"}, ()),
        (Visibility(organisation="Police"), {}, ()),
        (Visibility(), {}, ()),
    ],
)
def test_lists_open_cases_the_caller_may_see_oldest_first(
    population: dict[str, Case],
    risk: CumulativeRisk,
    visibility: Visibility,
    filters: dict[str, Any],
    expected: tuple[str, ...],
) -> None:
    references = [population[key].reference for key in expected]
    for limit in (1, 3, 50):
        assert walk(risk, visibility, limit, **filters) == references


@pytest.mark.parametrize("bad", [{"limit": 0}, {"cursor": "nope"}, {"derived_level": "extreme"}])
def test_bad_list_arguments_are_refused(risk: CumulativeRisk, bad: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {"visibility": Visibility.all(), "now": T0, "limit": 5, **bad}
    with pytest.raises(ValueError):  # noqa: PT011 - each has its own message
        risk.list_cases(**kwargs)


def test_a_query_waits_for_a_position_or_says_the_view_is_behind(
    steps: Steps, risk: CumulativeRisk, runner: ViewRunner
) -> None:
    case = steps.open()
    assert steps.last is not None
    position = steps.last.position
    with pytest.raises(ViewBehind):
        risk.case_risk(case.id, now=T0, min_position=position, wait=0.05)
    with pytest.raises(ViewBehind):
        risk.list_cases(visibility=Visibility.all(), now=T0, limit=5, min_position=position, wait=0)
    runner.start()
    assert risk.case_risk(case.id, now=T0, min_position=position, wait=5.0) is not None


# ------------------------------------------------------------------ replay, once, no plaintext


def test_a_rebuild_from_scratch_equals_the_live_view(
    ledger: CaseLedger,
    campaign: dict[str, Any],
    population: dict[str, Case],
    steps: Steps,
    risk: CumulativeRisk,
    runner: ViewRunner,
    view_store: ViewStore,
) -> None:
    steps.reassign(population["busy"], "south", "cw-9")
    steps.reopen(population["closed"])
    steps.assess(campaign["second"], RiskLevel.HIGH, days=7, victim=campaign["victim"])
    runner.catch_up()
    rebuilt = CumulativeRisk(view_store, suffix="_rebuilt")
    ViewRunner(ledger, [rebuilt], page_size=500).catch_up()
    assert rebuilt.contents() == risk.contents()
    assert rebuilt.position() == risk.position() == runner.head()
    now = T0 + timedelta(days=8)
    for case in [*population.values(), campaign["first"], campaign["second"]]:
        assert rebuilt.case_risk(case.id, now=now) == risk.case_risk(case.id, now=now)
    live = risk.case_risk(population["busy"].id, now=now)
    assert live is not None
    assert (live.team, live.officer) == ("south", "cw-9")


def test_delivering_events_again_changes_nothing(
    ledger: CaseLedger, campaign: dict[str, Any], risk: CumulativeRisk, runner: ViewRunner
) -> None:
    before = risk.contents()
    notes = ledger.recorder.select_notifications(1, 1000)
    assert runner.deliver(risk, notes) == 0
    assert risk.contents() == before
    redeliver_everything(ledger, risk)
    assert risk.contents() == before


def test_the_tables_hold_references_codes_and_counts_only(
    campaign: dict[str, Any], risk: CumulativeRisk
) -> None:
    contents = risk.contents()
    assert {name: len(rows) for name, rows in contents.items()} == {
        "cases": 2,
        "incidents": 4,
        "victims": 3,
        "people": 4,
        "merges": 0,
        "places": 0,
        "assessments": 1,
    }
    assert_no_plaintext(risk, contents)


def test_a_rebuild_switches_the_live_view_in_place_and_it_carries_on(
    ledger: CaseLedger,
    campaign: dict[str, Any],
    steps: Steps,
    risk: CumulativeRisk,
    runner: ViewRunner,
) -> None:
    first: Case = campaign["first"]
    now = T0 + timedelta(days=10)
    before, contents = risk.case_risk(first.id, now=now), risk.contents()
    report = rebuild(ledger, risk.store, CumulativeRisk, page_size=3, keep_seconds=0, live=[risk])
    assert risk.suffix == report.tables == "_g1"
    assert risk.contents() == contents
    assert risk.case_risk(first.id, now=now) == before
    steps.incident(first, 9, victims=(campaign["victim"],))
    runner.catch_up()
    after = risk.case_risk(first.id, now=now)
    assert after is not None
    assert after.harm.counts == ((7, 2), (30, 4), (90, 4))
    assert len(risk.contents()["incidents"]) == len(contents["incidents"]) + 1
