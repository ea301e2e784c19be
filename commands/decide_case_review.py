"""Record the threshold decision on an ASB Case Review request and its reasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger import fields
from ledger.case import Case
from ledger.enums import CaseReviewDecision
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class DecideCaseReview(CaseCommand):
    name: ClassVar[str] = "decide_case_review"

    request_id: UUID
    decision: CaseReviewDecision
    outcome: str


def handle(cmd: DecideCaseReview, uow: UnitOfWork) -> Receipt:
    """Record the threshold decision on an ASB Case Review request and its reasons."""
    seal = uow.seal(cmd.case_id)

    def decide(case: Case) -> None:
        case.decide_case_review(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            request_id=cmd.request_id,
            decision=cmd.decision,
            outcome=seal.text(cmd.outcome, fields.CASE_REVIEW_OUTCOME),
        )

    return uow.update(cmd, decide)
