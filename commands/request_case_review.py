"""Record an ASB Case Review (Community Trigger) request by a person linked to a case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from commands.common import CaseCommand, load
from ledger.application import CaseLedger
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class RequestCaseReview(CaseCommand):
    request_id: UUID
    applicant_ref: UUID
    received_at: datetime


def handle(cmd: RequestCaseReview, ledger: CaseLedger) -> Receipt:
    case, _ = load(ledger, cmd)
    case.request_case_review(
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        request_id=cmd.request_id,
        applicant_ref=cmd.applicant_ref,
        received_at=cmd.received_at,
    )
    return ledger.save_case(case)
