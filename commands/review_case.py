"""Record a routine review of a case and when the next one is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from commands.common import CaseCommand, load
from ledger import fields
from ledger.application import CaseLedger
from ledger.enums import ReviewOutcome
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class ReviewCase(CaseCommand):
    outcome: ReviewOutcome
    notes: str
    next_review_due: date


def handle(cmd: ReviewCase, ledger: CaseLedger) -> Receipt:
    case, seal = load(ledger, cmd)
    case.review(
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        outcome=cmd.outcome,
        notes=seal.text(cmd.notes, fields.REVIEW_NOTES),
        next_review_due=cmd.next_review_due,
    )
    return ledger.save_case(case)
