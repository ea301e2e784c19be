"""The ASB Case Review's steps on the caseload view, on both stores: from live events, a
closed case listed (and marked) while a review on it is outstanding, filtered by overdue
kind, and off the caseload once nothing is outstanding."""

from __future__ import annotations

from datetime import date, datetime

from ledger.enums import CaseReviewDecision
from projections import ViewRunner, Visibility
from projections.caseload.model import DueKind
from projections.caseload.projection import Caseload
from tests.integration.test_caseload_view import LONDON, caseload, kinds, runner, walk
from tests.integration.test_risk_view import steps, view_store
from tests.integration.view_steps import Steps

__all__ = ["caseload", "runner", "steps", "view_store"]

ACK, DECISION, OUTCOME = (
    DueKind.CASE_REVIEW_ACKNOWLEDGEMENT,
    DueKind.CASE_REVIEW_DECISION,
    DueKind.CASE_REVIEW_OUTCOME,
)


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=LONDON)


def test_a_closed_case_is_listed_while_its_review_is_outstanding(
    steps: Steps, caseload: Caseload, runner: ViewRunner
) -> None:
    other = steps.open(team="north")
    case = steps.open(team="north")
    steps.close(case)  # 1 April 2026
    request = steps.case_review(case, 31)  # received Thursday 2 April
    runner.catch_up()

    entry = caseload.entry(case.id, now=noon(date(2026, 4, 9)))
    assert entry is not None
    assert entry.facts.closed
    # Good Friday and Easter Monday are not working days: acknowledgement due 9 April.
    assert kinds(entry) == [
        (ACK, str(request), date(2026, 4, 9), False),
        (DECISION, str(request), date(2026, 4, 27), False),
        (OUTCOME, str(request), date(2026, 5, 12), False),  # 4 May, a bank holiday, skipped
    ]
    everyone = Visibility.all()
    later = noon(date(2026, 4, 10))
    assert walk(caseload, everyone, 1, later) == [other.reference, case.reference]
    assert walk(caseload, everyone, 1, later, overdue="case_review_acknowledgement") == [
        case.reference
    ]
    assert walk(caseload, everyone, 1, later, overdue=DueKind.CASE_REVIEW_DECISION) == []
    (group,) = caseload.summary(visibility=everyone, now=later)
    assert (group.open, group.closed_case_reviews) == (1, 1)
    assert dict(group.overdue)[ACK] == 1

    case.decide_case_review(
        actor=case.opened_by, occurred_at=noon(date(2026, 4, 10)), request_id=request,
        decision=CaseReviewDecision.THRESHOLD_MET,
        outcome=steps.kits[case.id].text("a note", "outcome"),
    )  # fmt: skip
    steps.save(case)
    runner.catch_up()
    entry = caseload.entry(case.id, now=later)
    assert entry is not None
    assert [i.kind for i in entry.items] == [OUTCOME]

    case.conclude_case_review(
        actor=case.opened_by, occurred_at=noon(date(2026, 4, 20)), request_id=request,
        recommendations=steps.kits[case.id].text("a note", "recommendations"),
    )  # fmt: skip
    steps.save(case)
    runner.catch_up()
    assert caseload.entry(case.id, now=later) is None
    assert walk(caseload, everyone, 5, later) == [other.reference]


def test_a_review_decided_not_met_leaves_nothing_due(
    steps: Steps, caseload: Caseload, runner: ViewRunner
) -> None:
    case = steps.open(team="north")
    steps.case_review(case, decision=CaseReviewDecision.THRESHOLD_NOT_MET)
    open_review = steps.case_review(case, 2, acknowledged=True)
    runner.catch_up()
    entry = caseload.entry(case.id, now=noon(date(2026, 3, 4)))
    assert entry is not None
    assert not entry.facts.closed
    assert [(i.kind, i.ref) for i in entry.items if i.ref] == [
        (DECISION, str(open_review)),
        (OUTCOME, str(open_review)),
    ]
