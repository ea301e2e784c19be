"""The caseload view on both stores: first contact, reviews, resolution, actions and police
referrals from live events, judged at a given moment; lists, counts, waits, projection equals
replay, exactly once, and no personal data in its tables."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ledger.application import CaseLedger
from ledger.calendar import add_working_days
from ledger.case import Case
from ledger.enums import CaseReviewDecision, ContactOutcome, Department, PersonRole, RiskLevel
from ledger.thresholds import Timescales
from projections import ViewBehind, ViewRunner, ViewStore, Visibility
from projections.caseload.model import CaseloadEntry, DueKind
from projections.caseload.projection import Caseload
from projections.rebuild import rebuild
from tests.builders import T0
from tests.integration.test_risk_view import steps, view_store
from tests.integration.view_steps import Steps, assert_no_plaintext, redeliver_everything

__all__ = ["steps", "view_store"]  # fixtures shared with the risk view's tests

LONDON = ZoneInfo("Europe/London")
MET, NOT_MET = CaseReviewDecision.THRESHOLD_MET, CaseReviewDecision.THRESHOLD_NOT_MET
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=LONDON)


@pytest.fixture
def caseload(view_store: ViewStore) -> Caseload:
    return Caseload(view_store)


@pytest.fixture
def runner(ledger: CaseLedger, caseload: Caseload) -> Iterator[ViewRunner]:
    runner = ViewRunner(ledger, [caseload], page_size=6, interval=0.02)
    yield runner
    runner.stop()


def entry_of(caseload: Caseload, case: Case, now: datetime = NOW) -> CaseloadEntry:
    found = caseload.entry(case.id, now=now)
    assert found is not None
    return found


def kinds(entry: CaseloadEntry) -> list[tuple[DueKind, str | None, date, bool]]:
    return [(i.kind, i.ref, i.due, i.overdue) for i in entry.items]


# ------------------------------------------------------------------ each kind, from events


def test_first_contact_is_met_only_by_reaching_a_victim_or_the_complainant(
    steps: Steps, caseload: Caseload, runner: ViewRunner
) -> None:
    case = steps.open(team="north", officer="cw-1")
    victim = steps.victim(case)
    witness = steps.victim(case, role=PersonRole.WITNESS)
    steps.assess(case, RiskLevel.HIGH)
    steps.contact(case, witness, ContactOutcome.REACHED, days=1)
    steps.contact(case, victim, ContactOutcome.NO_ANSWER, days=1)
    steps.contact(case, victim, ContactOutcome.MESSAGE_LEFT, days=1)
    runner.catch_up()
    due = entry_of(caseload, case)
    assert (DueKind.FIRST_CONTACT, None, date(2026, 3, 3), True) in kinds(due)

    steps.contact(case, victim, ContactOutcome.REACHED, days=2)
    steps.contact(case, victim, ContactOutcome.REACHED, days=4)
    runner.catch_up()
    met = entry_of(caseload, case)
    assert met.facts.first_contact_at == T0 + timedelta(days=2)
    assert DueKind.FIRST_CONTACT not in {item.kind for item in met.items}

    letter = steps.open()
    steps.contact(letter, steps.kits[letter.id].complainant, ContactOutcome.SENT, days=3)
    runner.catch_up()
    assert entry_of(caseload, letter).facts.first_contact_at == T0 + timedelta(days=3)


def test_agreed_timescales_and_reviews_set_the_dates(
    steps: Steps, caseload: Caseload, runner: ViewRunner
) -> None:
    case = steps.open()
    steps.assess(case, RiskLevel.MEDIUM)
    runner.catch_up()
    assert kinds(entry_of(caseload, case)) == [
        (DueKind.FIRST_CONTACT, None, date(2026, 3, 5), True),
        (DueKind.REVIEW, None, date(2026, 3, 30), False),
    ]
    steps.agree(case, date(2026, 3, 12), date(2026, 3, 18), date(2026, 3, 20))
    runner.catch_up()
    assert kinds(entry_of(caseload, case)) == [
        (DueKind.FIRST_CONTACT, None, date(2026, 3, 12), True),
        (DueKind.REVIEW, None, date(2026, 3, 18), True),
        (DueKind.TARGET_RESOLUTION, None, date(2026, 3, 20), False),
    ]
    steps.review(case, date(2026, 4, 2))
    runner.catch_up()
    review = [i for i in entry_of(caseload, case).items if i.kind is DueKind.REVIEW]
    assert [(i.due, i.overdue, i.agreed) for i in review] == [(date(2026, 4, 2), False, True)]


def test_open_actions_and_unreferred_criminal_incidents_fall_due(
    ledger: CaseLedger, steps: Steps, caseload: Caseload, runner: ViewRunner
) -> None:
    case = steps.open()
    steps.plan(case, "visit-1", date(2026, 3, 10))
    steps.plan(case, "letter-1", date(2026, 3, 6))
    steps.plan(case, "call-1", date(2026, 3, 5))
    steps.finish(case, "letter-1")
    steps.finish(case, "call-1", completed=False)
    referred = steps.incident(case, 1, criminal=True)
    steps.incident(case, 2)  # not criminal: nothing due
    unreferred = steps.incident(case, 3, criminal=True)
    recorded = case.modified_on
    steps.refer(case, referred)
    runner.catch_up()

    entry = entry_of(caseload, case)
    actions = [
        (i.ref, i.due, i.overdue, i.days_overdue) for i in entry.items if i.kind is DueKind.ACTION
    ]
    assert actions == [("visit-1", date(2026, 3, 10), True, 10)]
    police_due = add_working_days(recorded.astimezone(LONDON).date(), 1)
    police = [(i.ref, i.due) for i in entry.items if i.kind is DueKind.POLICE_REFERRAL]
    assert police == [(str(unreferred), police_due)]
    day_after = datetime.combine(police_due + timedelta(days=1), datetime.min.time(), LONDON)
    assert DueKind.POLICE_REFERRAL in entry_of(caseload, case, day_after).overdue
    assert (
        DueKind.POLICE_REFERRAL
        not in entry_of(caseload, case, day_after - timedelta(days=1)).overdue
    )

    steps.refer(case, unreferred)
    runner.catch_up()
    assert DueKind.POLICE_REFERRAL not in {
        i.kind for i in entry_of(caseload, case, day_after).items
    }


# ------------------------------------------------------------------ lists and counts


@pytest.fixture
def population(steps: Steps, runner: ViewRunner) -> dict[str, Case]:
    made = {
        "a": steps.open(team="north", officer="cw-1"),
        "b": steps.open(team="north"),
        "c": steps.open(team="south", officer="cw-1"),
        "d": steps.open(team="east"),
        "e": steps.open(team="north"),
    }
    a, _, c, d, e = made.values()
    steps.assess(a, RiskLevel.HIGH)
    steps.contact(a, steps.kits[a.id].complainant, ContactOutcome.REACHED)
    steps.review(a, date(2026, 3, 30))
    steps.plan(a, "visit-1", date(2026, 3, 10))
    steps.assess(c, RiskLevel.MEDIUM)
    steps.contact(c, steps.kits[c.id].complainant, ContactOutcome.REACHED)
    made["criminal"] = c
    steps.incident(c, 1, criminal=True)
    steps.assess(d, RiskLevel.STANDARD)
    steps.agree(d, date(2026, 3, 12), date(2026, 3, 18), date(2026, 3, 19))
    steps.contact(d, steps.kits[d.id].complainant, ContactOutcome.REACHED)
    steps.case_review(a, acknowledged=True, decision=MET, concluded=True)  # nothing outstanding
    steps.close(e)
    steps.case_review(e, 31, acknowledged=True, decision=NOT_MET)  # e stays off the caseload
    runner.catch_up()
    return made


def walk(
    caseload: Caseload, visibility: Visibility, limit: int, now: datetime = NOW, **filters: Any
) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = caseload.list_cases(
            visibility=visibility, now=now, limit=limit, cursor=cursor, **filters
        )
        assert len(page.items) <= limit
        seen.extend(item.facts.reference for item in page.items)
        if page.next_cursor is None:
            return seen
        assert len(page.items) == limit
        cursor = page.next_cursor


@pytest.mark.parametrize(
    ("visibility", "filters", "expected"),
    [
        (Visibility.all(), {}, "abcd"),
        (Visibility.all(), {"overdue": "any"}, "abd"),
        (Visibility.all(), {"overdue": "first_contact"}, "b"),
        (Visibility.all(), {"overdue": DueKind.REVIEW}, "d"),
        (Visibility.all(), {"overdue": "target_resolution"}, "d"),
        (Visibility.all(), {"overdue": "action"}, "a"),
        (Visibility.all(), {"overdue": "police_referral"}, ""),
        (Visibility.all(), {"risk_level": "high"}, "a"),
        (Visibility.all(), {"risk_level": RiskLevel.MEDIUM}, "c"),
        (Visibility.all(), {"risk_level": "unassessed"}, "b"),
        (Visibility.all(), {"team": "north"}, "ab"),
        (Visibility.all(), {"officer": "cw-1"}, "ac"),
        (Visibility.all(), {"lead_department": "community_safety"}, "abcd"),
        (Visibility.all(), {"lead_department": "housing"}, ""),
        (Visibility(teams=frozenset({"north"})), {}, "ab"),
        (Visibility(officer="cw-1"), {}, "ac"),
        (Visibility(teams=frozenset({"north"}), officer="cw-1"), {"overdue": "any"}, "ab"),
        (Visibility(teams=frozenset({"north"})), {"team": "south"}, ""),
        (Visibility(organisation="Police"), {}, ""),
        (Visibility(), {}, ""),
    ],
)
def test_lists_open_cases_the_caller_may_see_oldest_first(
    population: dict[str, Case],
    caseload: Caseload,
    visibility: Visibility,
    filters: dict[str, Any],
    expected: str,
) -> None:
    references = [population[key].reference for key in expected]
    for limit in (1, 2, 50):
        assert walk(caseload, visibility, limit, **filters) == references


def test_a_criminal_incident_is_overdue_for_referral_from_the_next_working_day(
    population: dict[str, Case], caseload: Caseload
) -> None:
    later = datetime.now(LONDON) + timedelta(days=10)  # incidents are recorded at the wall clock
    assert walk(caseload, Visibility.all(), 2, later, overdue="police_referral") == [
        population["criminal"].reference
    ]


def test_a_reopened_case_is_back_on_the_caseload(
    population: dict[str, Case], steps: Steps, caseload: Caseload, runner: ViewRunner
) -> None:
    assert caseload.entry(population["e"].id, now=NOW) is None
    steps.reopen(population["e"])
    runner.catch_up()
    assert walk(caseload, Visibility(teams=frozenset({"north"})), 5) == [
        population[key].reference for key in "abe"
    ]


def test_counts_by_department_team_and_officer(
    population: dict[str, Case], caseload: Caseload
) -> None:
    groups = caseload.summary(visibility=Visibility.all(), now=NOW)
    assert [(g.lead_department, g.team, g.officer, g.open, g.overdue_cases) for g in groups] == [
        (Department.COMMUNITY_SAFETY, "east", None, 1, 1),
        (Department.COMMUNITY_SAFETY, "north", None, 1, 1),
        (Department.COMMUNITY_SAFETY, "north", "cw-1", 1, 1),
        (Department.COMMUNITY_SAFETY, "south", "cw-1", 1, 0),
    ]
    east = groups[0]
    assert dict(east.overdue)[DueKind.REVIEW] == 1
    assert dict(east.by_risk)["standard"] == 1
    assert [g.team for g in caseload.summary(visibility=Visibility(officer="cw-1"), now=NOW)] == [
        "north",
        "south",
    ]
    assert caseload.summary(visibility=Visibility(), now=NOW) == []
    assert [
        g.team for g in caseload.summary(visibility=Visibility.all(), now=NOW, team="south")
    ] == ["south"]


@pytest.mark.parametrize(
    "bad",
    [{"limit": 0}, {"cursor": "nope"}, {"overdue": "late"}, {"risk_level": "extreme"}],
)
def test_bad_list_arguments_are_refused(caseload: Caseload, bad: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {"visibility": Visibility.all(), "now": NOW, "limit": 5, **bad}
    with pytest.raises(ValueError):  # noqa: PT011 - each has its own message
        caseload.list_cases(**kwargs)


def test_timescales_are_read_at_query_time(
    population: dict[str, Case], view_store: ViewStore
) -> None:
    patient = Caseload(view_store, timescales=Timescales(first_contact_standard=20))
    assert DueKind.FIRST_CONTACT not in entry_of(patient, population["b"]).overdue


def test_a_query_waits_for_a_position_or_says_the_view_is_behind(
    steps: Steps, caseload: Caseload, runner: ViewRunner
) -> None:
    steps.open()
    assert steps.last is not None
    position = steps.last.position
    with pytest.raises(ViewBehind):
        caseload.list_cases(
            visibility=Visibility.all(), now=NOW, limit=5, min_position=position, wait=0.05
        )
    with pytest.raises(ViewBehind):
        caseload.summary(visibility=Visibility.all(), now=NOW, min_position=position, wait=0)
    runner.start()
    page = caseload.list_cases(
        visibility=Visibility.all(), now=NOW, limit=5, min_position=position, wait=5.0
    )
    assert len(page.items) == 1


# ------------------------------------------------------------------ replay, once, no plaintext


def test_a_rebuild_from_scratch_equals_the_live_view(
    ledger: CaseLedger,
    population: dict[str, Case],
    steps: Steps,
    caseload: Caseload,
    runner: ViewRunner,
    view_store: ViewStore,
) -> None:
    steps.reassign(population["b"], "south", "cw-9")
    steps.reopen(population["e"])
    steps.finish(population["a"], "visit-1")
    runner.catch_up()
    rebuilt = Caseload(view_store, suffix="_rebuilt")
    ViewRunner(ledger, [rebuilt], page_size=500).catch_up()
    assert rebuilt.contents() == caseload.contents()
    assert rebuilt.position() == caseload.position() == runner.head()
    for case in population.values():
        assert rebuilt.entry(case.id, now=NOW) == caseload.entry(case.id, now=NOW)
    moved = entry_of(caseload, population["b"])
    assert (moved.facts.team, moved.facts.officer) == ("south", "cw-9")


def test_delivering_events_again_changes_nothing(
    ledger: CaseLedger, population: dict[str, Case], caseload: Caseload, runner: ViewRunner
) -> None:
    before = caseload.contents()
    notes = ledger.recorder.select_notifications(1, 1000)
    assert runner.deliver(caseload, notes) == 0
    assert caseload.contents() == before
    redeliver_everything(ledger, caseload)
    assert caseload.contents() == before


def test_the_tables_hold_references_codes_and_dates_only(
    population: dict[str, Case], caseload: Caseload
) -> None:
    contents = caseload.contents()
    assert {name: len(rows) for name, rows in contents.items()} == {
        "cases": 5,
        "people": 5,
        "actions": 1,
        "criminal": 1,
        "case_reviews": 2,
        "retention": 5,
    }
    assert_no_plaintext(caseload, contents)


def test_a_closed_case_has_its_retention_date_and_a_reopened_one_none(
    population: dict[str, Case], caseload: Caseload, steps: Steps, runner: ViewRunner
) -> None:
    closed = population["e"]  # closed on 1 April 2026: kept six years
    (row,) = caseload.retention_due(date(2032, 4, 1))
    assert (row.case_id, row.reference, str(row.closed_on), str(row.due_on)) == (
        closed.id,
        closed.reference,
        "2026-04-01",
        "2032-04-01",
    )
    assert caseload.retention_due(date(2032, 3, 31)) == []
    assert caseload.people_of([closed.id]) == {closed.id: {closed.complainant_ref}}
    assert caseload.cases_of([closed.complainant_ref]) == {closed.id}
    steps.reopen(closed)
    runner.catch_up()
    assert caseload.retention_due(date(2040, 1, 1)) == []


def test_a_rebuild_switches_the_live_view_in_place_and_it_carries_on(
    ledger: CaseLedger,
    population: dict[str, Case],
    steps: Steps,
    caseload: Caseload,
    runner: ViewRunner,
) -> None:
    before = caseload.contents()
    report = rebuild(ledger, caseload.store, Caseload, page_size=4, keep_seconds=0, live=[caseload])
    assert caseload.suffix == report.tables == "_g1"
    assert caseload.contents() == before
    steps.plan(population["b"], "visit-2", date(2026, 3, 11))
    runner.catch_up()
    assert DueKind.ACTION in entry_of(caseload, population["b"]).overdue
