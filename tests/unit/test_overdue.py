"""Every kind of due item on the caseload, due on its day and overdue from the next, against a
frozen clock; and the counts by department, team and officer."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from ledger.enums import Department, RiskLevel
from ledger.thresholds import Timescales
from projections.caseload.model import (
    CaseloadEntry,
    CaseloadFacts,
    DueItem,
    DueKind,
    dues,
    summarise,
)

RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
CASE_REVIEW_KINDS = frozenset(
    {
        DueKind.CASE_REVIEW_ACKNOWLEDGEMENT,
        DueKind.CASE_REVIEW_DECISION,
        DueKind.CASE_REVIEW_OUTCOME,
    }
)
TIMES = Timescales()
LONDON = ZoneInfo("Europe/London")


def facts(**changes: object) -> CaseloadFacts:
    base = CaseloadFacts(
        case_id=uuid4(),
        reference="ASB-2026-000001",
        lead_department=Department.COMMUNITY_SAFETY,
        team="north",
        officer="cw-1",
        risk_level=RiskLevel.STANDARD,
        received_at=RECEIVED,
        opened_position=1,
        version=3,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A moment on ``day`` in the council's timezone."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def only(entry: CaseloadEntry, kind: DueKind) -> DueItem:
    (item,) = [item for item in entry.items if item.kind is kind]
    return item


def judged(f: CaseloadFacts, now: datetime, timescales: Timescales = TIMES) -> CaseloadEntry:
    return dues(f, now=now, timescales=timescales)


def on_and_after(f: CaseloadFacts, kind: DueKind, due: date) -> None:
    """Due on ``due`` (not overdue at its last minute); overdue by one day the day after."""
    on = only(judged(f, at(due, 23, 59)), kind)
    assert (on.due, on.overdue, on.days_overdue) == (due, False, 0)
    after = only(judged(f, at(due + timedelta(days=1), 0, 1)), kind)
    assert (after.due, after.overdue, after.days_overdue) == (due, True, 1)
    assert kind in judged(f, at(due + timedelta(days=1))).overdue
    assert kind not in judged(f, at(due)).overdue


# ------------------------------------------------------------------ first contact


@pytest.mark.parametrize(
    ("level", "due"),
    [
        (RiskLevel.HIGH, date(2026, 3, 3)),
        (RiskLevel.MEDIUM, date(2026, 3, 5)),
        (RiskLevel.STANDARD, date(2026, 3, 16)),
        (None, date(2026, 3, 16)),  # not yet assessed: standard
    ],
)
def test_first_contact_is_due_in_the_levels_working_days(
    level: RiskLevel | None, due: date
) -> None:
    on_and_after(facts(risk_level=level), DueKind.FIRST_CONTACT, due)


def test_first_contact_skips_weekends_and_bank_holidays() -> None:
    thursday_before_easter = datetime(2026, 4, 2, 15, tzinfo=UTC)
    f = facts(received_at=thursday_before_easter, risk_level=RiskLevel.MEDIUM)
    on_and_after(f, DueKind.FIRST_CONTACT, date(2026, 4, 9))


def test_an_agreed_first_contact_date_replaces_the_default() -> None:
    f = facts(risk_level=RiskLevel.HIGH, agreed_first_contact=date(2026, 3, 10))
    on_and_after(f, DueKind.FIRST_CONTACT, date(2026, 3, 10))
    assert only(judged(f, RECEIVED), DueKind.FIRST_CONTACT).agreed


def test_first_contact_made_is_no_longer_due_even_if_late() -> None:
    late = facts(risk_level=RiskLevel.HIGH, first_contact_at=RECEIVED + timedelta(days=9))
    entry = judged(late, RECEIVED + timedelta(days=20))
    assert DueKind.FIRST_CONTACT not in {item.kind for item in entry.items}


def test_a_reassessment_moves_first_contact_due() -> None:
    now = at(date(2026, 3, 4))
    assert DueKind.FIRST_CONTACT not in judged(facts(), now).overdue
    assert DueKind.FIRST_CONTACT in judged(facts(risk_level=RiskLevel.HIGH), now).overdue


# ------------------------------------------------------------------ review and resolution


@pytest.mark.parametrize(
    ("level", "due"),
    [
        (RiskLevel.HIGH, date(2026, 3, 16)),
        (RiskLevel.MEDIUM, date(2026, 3, 30)),
        (RiskLevel.STANDARD, date(2026, 4, 27)),
        (None, date(2026, 4, 27)),
    ],
)
def test_with_no_review_set_one_is_due_the_levels_interval_after_receipt(
    level: RiskLevel | None, due: date
) -> None:
    f = facts(risk_level=level)
    on_and_after(f, DueKind.REVIEW, due)
    assert not only(judged(f, RECEIVED), DueKind.REVIEW).agreed


def test_a_set_next_review_replaces_the_default() -> None:
    f = facts(risk_level=RiskLevel.HIGH, next_review=date(2026, 5, 1))
    on_and_after(f, DueKind.REVIEW, date(2026, 5, 1))
    assert only(judged(f, RECEIVED), DueKind.REVIEW).agreed


def test_target_resolution_only_when_agreed() -> None:
    assert DueKind.TARGET_RESOLUTION not in {i.kind for i in judged(facts(), RECEIVED).items}
    on_and_after(
        facts(target_resolution=date(2026, 6, 30)), DueKind.TARGET_RESOLUTION, date(2026, 6, 30)
    )


# ------------------------------------------------------------------ actions and police


def test_each_open_action_is_due_on_its_date() -> None:
    f = facts(open_actions=(("letter-1", date(2026, 3, 9)), ("visit-1", date(2026, 3, 20))))
    entry = judged(f, at(date(2026, 3, 12)))
    actions = [
        (i.ref, i.due, i.overdue, i.days_overdue) for i in entry.items if i.kind is DueKind.ACTION
    ]
    assert actions == [
        ("letter-1", date(2026, 3, 9), True, 3),
        ("visit-1", date(2026, 3, 20), False, 0),
    ]
    one = facts(open_actions=(("visit-1", date(2026, 3, 20)),))
    on_and_after(one, DueKind.ACTION, date(2026, 3, 20))


@pytest.mark.parametrize(
    ("recorded", "due"),
    [
        (datetime(2026, 3, 3, 10, tzinfo=UTC), date(2026, 3, 4)),  # Tuesday: Wednesday
        (datetime(2026, 3, 6, 10, tzinfo=UTC), date(2026, 3, 9)),  # Friday: Monday
        (datetime(2026, 4, 2, 10, tzinfo=UTC), date(2026, 4, 7)),  # before Easter
        (datetime(2026, 7, 2, 23, 30, tzinfo=UTC), date(2026, 7, 6)),  # Friday 00:30 BST
    ],
)
def test_a_criminal_incident_not_referred_is_due_a_working_day_after_it_was_recorded(
    recorded: datetime, due: date
) -> None:
    incident = uuid4()
    f = facts(unreferred=((incident, recorded),))
    on_and_after(f, DueKind.POLICE_REFERRAL, due)
    assert only(judged(f, recorded), DueKind.POLICE_REFERRAL).ref == str(incident)


# ------------------------------------------------------------------ the whole entry


def test_overdue_is_judged_by_the_councils_date_not_utc() -> None:
    f = facts(open_actions=(("visit-1", date(2026, 6, 1)),))
    late_evening_utc = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 June in London
    assert DueKind.ACTION in judged(f, late_evening_utc).overdue
    assert DueKind.ACTION not in judged(f, late_evening_utc, Timescales(timezone="UTC")).overdue


def test_items_soonest_first_with_age_and_every_overdue_kind() -> None:
    f = facts(
        risk_level=RiskLevel.HIGH,
        next_review=date(2026, 3, 20),
        target_resolution=date(2026, 4, 1),
        open_actions=(("visit-1", date(2026, 3, 10)),),
        unreferred=((uuid4(), RECEIVED),),
    )
    entry = judged(f, at(date(2026, 4, 2)))
    assert entry.age_days == 31
    assert [i.kind for i in entry.items] == [
        DueKind.FIRST_CONTACT,
        DueKind.POLICE_REFERRAL,
        DueKind.ACTION,
        DueKind.REVIEW,
        DueKind.TARGET_RESOLUTION,
    ]
    assert entry.overdue == frozenset(DueKind) - CASE_REVIEW_KINDS
    assert judged(f, RECEIVED).overdue == frozenset()
    assert judged(f, RECEIVED - timedelta(days=1)).age_days == 0


def test_timescales_come_from_settings() -> None:
    f = facts(risk_level=RiskLevel.HIGH)
    slower = Timescales(first_contact_high=2, review_high=21)
    assert only(judged(f, RECEIVED, slower), DueKind.FIRST_CONTACT).due == date(2026, 3, 4)
    assert only(judged(f, RECEIVED, slower), DueKind.REVIEW).due == date(2026, 3, 23)


def test_counts_by_department_team_and_officer() -> None:
    now = at(date(2026, 3, 20))
    entries = [
        judged(facts(risk_level=RiskLevel.HIGH), now),  # first contact and review overdue
        judged(facts(first_contact_at=RECEIVED, received_at=now), now),  # nothing overdue
        judged(facts(officer=None, risk_level=None, received_at=now - timedelta(days=3)), now),
        judged(facts(lead_department=Department.HOUSING, team="south", received_at=now), now),
    ]
    groups = summarise(entries)
    assert [(g.lead_department, g.team, g.officer) for g in groups] == [
        (Department.COMMUNITY_SAFETY, "north", None),
        (Department.COMMUNITY_SAFETY, "north", "cw-1"),
        (Department.HOUSING, "south", "cw-1"),
    ]
    unassigned, mine, housing = groups
    assert (mine.open, mine.overdue_cases, mine.oldest_age_days) == (2, 1, 18)
    assert dict(mine.by_risk) == {"standard": 1, "medium": 0, "high": 1, "unassessed": 0}
    assert dict(mine.overdue) == {
        DueKind.FIRST_CONTACT: 1,
        DueKind.REVIEW: 1,
        DueKind.TARGET_RESOLUTION: 0,
        DueKind.ACTION: 0,
        DueKind.POLICE_REFERRAL: 0,
        DueKind.CASE_REVIEW_ACKNOWLEDGEMENT: 0,
        DueKind.CASE_REVIEW_DECISION: 0,
        DueKind.CASE_REVIEW_OUTCOME: 0,
    }
    assert mine.closed_case_reviews == 0
    assert (unassigned.open, unassigned.overdue_cases, unassigned.oldest_age_days) == (1, 0, 3)
    assert dict(unassigned.by_risk)["unassessed"] == 1
    assert (housing.open, housing.overdue_cases) == (1, 0)
    assert summarise([]) == []
