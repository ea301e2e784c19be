"""Record an ASB Case Review (Community Trigger) request by a person linked to a case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger.case import Case
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class RequestCaseReview(CaseCommand):
    name: ClassVar[str] = "request_case_review"

    request_id: UUID
    applicant_ref: UUID
    received_at: datetime


def handle(cmd: RequestCaseReview, uow: UnitOfWork) -> Receipt:
    """Record an ASB Case Review (Community Trigger) request by a person linked to a case."""

    def decide(case: Case) -> None:
        case.request_case_review(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            request_id=cmd.request_id,
            applicant_ref=cmd.applicant_ref,
            received_at=cmd.received_at,
        )

    return uow.update(cmd, decide)
