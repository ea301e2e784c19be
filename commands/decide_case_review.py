"""Record the threshold decision and outcome of an ASB Case Review request."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from commands.common import CaseCommand, load
from ledger import fields
from ledger.application import CaseLedger
from ledger.enums import CaseReviewDecision
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class DecideCaseReview(CaseCommand):
    request_id: UUID
    decision: CaseReviewDecision
    outcome: str


def handle(cmd: DecideCaseReview, ledger: CaseLedger) -> Receipt:
    case, seal = load(ledger, cmd)
    case.decide_case_review(
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        request_id=cmd.request_id,
        decision=cmd.decision,
        outcome=seal.text(cmd.outcome, fields.CASE_REVIEW_OUTCOME),
    )
    return ledger.save_case(case)
