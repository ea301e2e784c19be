"""The ASB Case Review (Community Trigger) threshold (DOMAIN §4), judged on a frozen clock:
at the thresholds and just below, one incident counted once, late complaints not qualifying."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from ledger.thresholds import CaseReviewThresholds, add_months
from projections.case_reviews.model import (
    CaseFacts,
    ComplaintKind,
    IncidentFact,
    ProblemKind,
    ThresholdRule,
    complaints_of,
    judge,
    judge_case,
)

NOW = datetime(2026, 9, 15, 12, 0, tzinfo=UTC)
RULES = CaseReviewThresholds()


def case(
    received: datetime,
    *incidents: IncidentFact,
    complainant: UUID | None = None,
    requested: bool = False,
) -> CaseFacts:
    return CaseFacts(
        case_id=uuid4(),
        reference="ASB-2026-000001",
        status="open",
        team="north",
        officer=None,
        version=1,
        opened_position=1,
        received_at=received,
        complainant_ref=complainant or uuid4(),
        incidents=incidents,
        requested=requested,
    )


def incident(
    occurred: datetime, recorded: datetime | None = None, *victims: UUID, id: UUID | None = None
) -> IncidentFact:
    return IncidentFact(
        incident_id=id or uuid4(),
        occurred_at=occurred,
        recorded_at=recorded or occurred + timedelta(hours=2),
        victim_refs=victims,
    )


def days(n: float) -> datetime:
    return NOW - timedelta(days=n)


def test_add_months_keeps_the_day_or_the_months_last() -> None:
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2028, 1, 31, tzinfo=UTC), 1) == datetime(2028, 2, 29, tzinfo=UTC)
    assert add_months(datetime(2026, 3, 15, tzinfo=UTC), -6) == datetime(2025, 9, 15, tzinfo=UTC)


def test_the_opening_complaint_reports_the_incidents_dated_before_it() -> None:
    older, recent = incident(days(40)), incident(days(20))
    later = incident(days(5), days(4))
    opening, further = complaints_of(case(days(15), older, recent, later))
    assert opening.kind is ComplaintKind.OPENING
    assert opening.made_at == days(15)
    assert opening.behaviour_at == recent.occurred_at
    assert set(opening.incident_ids) == {older.incident_id, recent.incident_id}
    assert (further.kind, further.made_at, further.incident_ids) == (
        ComplaintKind.INCIDENT,
        days(4),
        (later.incident_id,),
    )


def test_three_qualifying_complaints_in_six_months_meet_it_and_two_approach_it() -> None:
    two = case(days(100), incident(days(101)), incident(days(50)))
    found = judge(ProblemKind.CASE, "c", complaints_of(two), now=NOW, rules=RULES)
    assert (len(found.complaints), found.met_by, found.approaching) == (2, frozenset(), True)

    three = case(days(100), incident(days(101)), incident(days(50)), incident(days(3)))
    found = judge(ProblemKind.CASE, "c", complaints_of(three), now=NOW, rules=RULES)
    assert found.met_by == {ThresholdRule.COMPLAINTS}
    assert not found.approaching


def test_the_window_is_six_calendar_months_up_to_now() -> None:
    edge = add_months(NOW, -6)
    inside = case(edge + timedelta(seconds=1), incident(days(50)), incident(days(3)))
    outside = case(edge, incident(days(50)), incident(days(3)))
    assert judge(ProblemKind.CASE, "c", complaints_of(inside), now=NOW, rules=RULES).met
    assert not judge(ProblemKind.CASE, "c", complaints_of(outside), now=NOW, rules=RULES).met
    future = case(days(50), incident(days(3)), incident(days(1), NOW + timedelta(hours=1)))
    assert not judge(ProblemKind.CASE, "c", complaints_of(future), now=NOW, rules=RULES).met


def test_a_complaint_made_more_than_a_month_after_the_behaviour_does_not_qualify() -> None:
    behaviour = days(90)
    in_time = add_months(behaviour, 1)
    late = in_time + timedelta(minutes=1)
    on_time = case(days(100), incident(days(101)), incident(behaviour, in_time), incident(days(3)))
    too_late = case(days(100), incident(days(101)), incident(behaviour, late), incident(days(3)))
    assert judge(ProblemKind.CASE, "c", complaints_of(on_time), now=NOW, rules=RULES).met
    found = judge(ProblemKind.CASE, "c", complaints_of(too_late), now=NOW, rules=RULES)
    assert not found.met
    assert found.approaching
    old_report = case(days(10), incident(days(60)))  # an opening complaint about old behaviour
    found = judge(ProblemKind.CASE, "c", complaints_of(old_report), now=NOW, rules=RULES)
    assert found.complaints == ()


def test_one_incident_reported_to_two_agencies_counts_once() -> None:
    shared = uuid4()
    perpetrator = str(uuid4())
    council = case(days(100), incident(days(101)), incident(days(20), None, id=shared))
    landlord = case(days(19), incident(days(20), id=shared))
    both = [*complaints_of(council), *complaints_of(landlord)]
    found = judge(ProblemKind.PERPETRATOR, perpetrator, both, now=NOW, rules=RULES)
    assert len(found.complaints) == 2
    assert not found.met
    assert {c.case_id for c in found.complaints} == {council.case_id}
    other = case(days(5), incident(days(6)))
    found = judge(
        ProblemKind.PERPETRATOR, perpetrator, [*both, *complaints_of(other)], now=NOW, rules=RULES
    )
    assert found.met_by == {ThresholdRule.COMPLAINTS}


def test_five_different_individuals_meet_it_and_four_approach_it() -> None:
    rules = CaseReviewThresholds(complaints=100)
    people = [uuid4() for _ in range(5)]
    cases = [
        case(days(10 + n), incident(days(11 + n)), complainant=p) for n, p in enumerate(people)
    ]
    four = [c for member in cases[:4] for c in complaints_of(member)]
    found = judge(ProblemKind.PERPETRATOR, "p", four, now=NOW, rules=rules)
    assert (found.individuals, found.met, found.approaching) == (4, False, True)
    five = [c for member in cases for c in complaints_of(member)]
    found = judge(ProblemKind.PERPETRATOR, "p", five, now=NOW, rules=rules)
    assert found.met_by == {ThresholdRule.INDIVIDUALS}
    again = case(days(3), incident(days(4)), complainant=people[0])
    found = judge(
        ProblemKind.PERPETRATOR, "p", [*four, *complaints_of(again)], now=NOW, rules=rules
    )
    assert found.individuals == 4
    assert not found.met


def test_an_incidents_victims_are_its_complainants() -> None:
    victims = [uuid4() for _ in range(4)]
    rules = CaseReviewThresholds(complaints=100)
    many = case(days(30), incident(days(31)), incident(days(5), None, *victims))
    found = judge(ProblemKind.CASE, "c", complaints_of(many), now=NOW, rules=rules)
    assert found.individuals == 5
    assert found.met_by == {ThresholdRule.INDIVIDUALS}


@pytest.mark.parametrize(("complaints", "met"), [(2, True), (4, False)])
def test_the_numbers_are_settings(complaints: int, met: bool) -> None:
    rules = CaseReviewThresholds(complaints=complaints, window_months=1, qualifying_months=2)
    three = case(days(25), incident(days(80)), incident(days(10)), incident(days(2)))
    assert judge(ProblemKind.CASE, "c", complaints_of(three), now=NOW, rules=rules).met is met


def test_a_case_is_eligible_until_a_review_is_requested() -> None:
    facts = dict(received=days(100))
    complaints = (incident(days(101)), incident(days(50)), incident(days(3)))
    open_case = case(facts["received"], *complaints)
    status = judge_case(open_case, [], now=NOW, rules=RULES)
    assert status.eligible
    assert not status.approaching
    asked = case(facts["received"], *complaints, requested=True)
    status = judge_case(asked, [], now=NOW, rules=RULES)
    assert not status.eligible
    assert status.met


def test_a_case_meets_it_through_a_perpetrator_it_shares_with_others() -> None:
    mine = case(days(40), incident(days(41)))
    theirs = case(days(20), incident(days(21)))
    third = case(days(2), incident(days(3)))
    alone = judge_case(mine, [], now=NOW, rules=RULES)
    assert not alone.eligible
    assert not alone.approaching
    pair = judge_case(mine, [(ProblemKind.PERPETRATOR, "p", [mine, theirs])], now=NOW, rules=RULES)
    assert pair.approaching
    assert not pair.eligible
    group = [(ProblemKind.PERPETRATOR, "p", [mine, theirs, third])]
    status = judge_case(mine, group, now=NOW, rules=RULES)
    assert status.eligible
    assert [f.kind for f in status.met] == [ProblemKind.PERPETRATOR]
