"""Record that an ASB Case Review request was acknowledged to the applicant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger.case import Case
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class AcknowledgeCaseReview(CaseCommand):
    name: ClassVar[str] = "acknowledge_case_review"

    request_id: UUID


def handle(cmd: AcknowledgeCaseReview, uow: UnitOfWork) -> Receipt:
    """Record that an ASB Case Review request was acknowledged to the applicant."""

    def decide(case: Case) -> None:
        case.acknowledge_case_review(
            actor=cmd.actor, occurred_at=cmd.occurred_at, request_id=cmd.request_id
        )

    return uow.update(cmd, decide)
