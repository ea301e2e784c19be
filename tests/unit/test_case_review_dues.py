"""The ASB Case Review's steps on the caseload (DOMAIN §4): acknowledgement in 3 working
days, threshold decision in 15, outcome in 25, each from the request's receipt and until
its step is recorded; on a closed case too, alone. Against a frozen clock."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from ledger.enums import CaseReviewDecision, RiskLevel
from ledger.thresholds import Timescales
from projections.caseload.model import CaseReviewSteps, DueKind, summarise
from tests.unit.test_overdue import RECEIVED, at, facts, judged, on_and_after, only

ACK, DECISION, OUTCOME = (
    DueKind.CASE_REVIEW_ACKNOWLEDGEMENT,
    DueKind.CASE_REVIEW_DECISION,
    DueKind.CASE_REVIEW_OUTCOME,
)
MET, NOT_MET = CaseReviewDecision.THRESHOLD_MET, CaseReviewDecision.THRESHOLD_NOT_MET


def review(**changes: object) -> CaseReviewSteps:
    return CaseReviewSteps(request_id=uuid4(), received_at=RECEIVED, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "due"),
    [
        (ACK, date(2026, 3, 5)),  # Monday 2 March + 3 working days
        (DECISION, date(2026, 3, 23)),  # + 15: three weekends
        (OUTCOME, date(2026, 4, 8)),  # + 25: Good Friday and Easter Monday skipped too
    ],
)
def test_each_step_is_due_in_its_working_days_and_overdue_the_day_after(
    kind: DueKind, due: date
) -> None:
    request = review()
    f = facts(case_reviews=(request,))
    on_and_after(f, kind, due)
    assert only(judged(f, at(due)), kind).ref == str(request.request_id)


def test_the_outcome_skips_the_easter_bank_holidays() -> None:
    f = facts(case_reviews=(review(),))
    # 25 working days counting weekends only would end on Easter Monday, 6 April.
    assert only(judged(f, at(date(2026, 4, 7))), OUTCOME).overdue is False
    assert OUTCOME in judged(f, at(date(2026, 4, 9))).overdue


@pytest.mark.parametrize(
    ("steps", "due"),
    [
        ({}, {ACK, DECISION, OUTCOME}),
        ({"acknowledged": True}, {DECISION, OUTCOME}),
        ({"decision": MET}, {OUTCOME}),  # the decision answered the applicant
        ({"acknowledged": True, "decision": MET}, {OUTCOME}),
        ({"decision": NOT_MET}, set()),  # no review, so no outcome
        ({"acknowledged": True, "decision": MET, "concluded": True}, set()),
    ],
)
def test_each_step_is_due_until_it_is_recorded(steps: dict[str, object], due: set[DueKind]) -> None:
    entry = judged(facts(first_contact_at=RECEIVED, case_reviews=(review(**steps),)), RECEIVED)
    assert {i.kind for i in entry.items} - {DueKind.REVIEW} == due


def test_two_requests_each_have_their_own_steps() -> None:
    first, second = review(acknowledged=True), review()
    entry = judged(facts(case_reviews=(first, second)), at(date(2026, 3, 6)))
    acks = [(i.ref, i.overdue) for i in entry.items if i.kind is ACK]
    assert acks == [(str(second.request_id), True)]
    assert {i.ref for i in entry.items if i.kind is DECISION} == {
        str(first.request_id),
        str(second.request_id),
    }


def test_a_closed_case_has_only_its_case_reviews_steps_due() -> None:
    f = facts(
        closed=True,
        risk_level=RiskLevel.HIGH,
        open_actions=(("visit-1", date(2026, 3, 3)),),
        case_reviews=(review(acknowledged=True),),
    )
    entry = judged(f, at(date(2026, 3, 24)))
    assert [i.kind for i in entry.items] == [DECISION, OUTCOME]
    assert entry.overdue == {DECISION}


def test_the_timescales_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASB_TIMESCALE_CASE_REVIEW_ACKNOWLEDGEMENT", "5")
    monkeypatch.setenv("ASB_TIMESCALE_CASE_REVIEW_DECISION", "10")
    monkeypatch.setenv("ASB_TIMESCALE_CASE_REVIEW_OUTCOME", "20")
    slower = Timescales()
    assert (
        slower.case_review_acknowledgement,
        slower.case_review_decision,
        slower.case_review_outcome,
    ) == (5, 10, 20)
    entry = judged(facts(case_reviews=(review(),)), RECEIVED, slower)
    assert {i.kind: i.due for i in entry.items if i.ref} == {
        ACK: date(2026, 3, 9),
        DECISION: date(2026, 3, 16),
        OUTCOME: date(2026, 3, 30),
    }


def test_closed_cases_with_a_review_outstanding_are_counted_apart() -> None:
    now = at(date(2026, 3, 10))
    entries = [
        judged(facts(first_contact_at=RECEIVED), now),
        judged(facts(closed=True, case_reviews=(review(),)), now),  # acknowledgement overdue
    ]
    (group,) = summarise(entries)
    assert (group.open, group.closed_case_reviews, group.overdue_cases) == (1, 1, 1)
    assert sum(count for _, count in group.by_risk) == 1
    assert dict(group.overdue)[ACK] == 1
