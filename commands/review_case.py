"""Record a routine review of a case and when the next one is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger import fields
from ledger.case import Case
from ledger.enums import ReviewOutcome
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class ReviewCase(CaseCommand):
    name: ClassVar[str] = "review_case"

    outcome: ReviewOutcome
    notes: str
    next_review_due: date


def handle(cmd: ReviewCase, uow: UnitOfWork) -> Receipt:
    """Record a routine review of a case and when the next one is due."""
    seal = uow.seal(cmd.case_id)

    def decide(case: Case) -> None:
        case.review(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            outcome=cmd.outcome,
            notes=seal.text(cmd.notes, fields.REVIEW_NOTES),
            next_review_due=cmd.next_review_due,
        )

    return uow.update(cmd, decide)
