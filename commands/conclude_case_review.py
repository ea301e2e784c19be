"""Record the outcome of an ASB Case Review whose threshold was met."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger import fields
from ledger.case import Case
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class ConcludeCaseReview(CaseCommand):
    name: ClassVar[str] = "conclude_case_review"

    request_id: UUID
    recommendations: str


def handle(cmd: ConcludeCaseReview, uow: UnitOfWork) -> Receipt:
    """Record the outcome of an ASB Case Review whose threshold was met: its findings and
    recommendations."""
    seal = uow.seal(cmd.case_id)

    def decide(case: Case) -> None:
        case.conclude_case_review(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            request_id=cmd.request_id,
            recommendations=seal.text(cmd.recommendations, fields.CASE_REVIEW_RECOMMENDATIONS),
        )

    return uow.update(cmd, decide)
