"""Close a case formally, with full reasons and feedback to the complainant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger import fields
from ledger.case import Case
from ledger.enums import ClosureReason, ContactMethod
from ledger.values import Feedback, Receipt


@dataclass(frozen=True, kw_only=True)
class CloseCase(CaseCommand):
    name: ClassVar[str] = "close_case"

    reason: ClosureReason
    full_reasons: str
    feedback_method: ContactMethod | None
    feedback_given_at: datetime | None
    why_not_preferred: str | None = None
    explanation: str | None = None
    advice: str | None = None


def handle(cmd: CloseCase, uow: UnitOfWork) -> Receipt:
    """Feedback is recorded as given by the closing officer; whether it went by the
    complainant's preferred method is worked out by the case, never taken on trust."""
    seal = uow.seal(cmd.case_id)

    def decide(case: Case) -> None:
        feedback = None
        if cmd.feedback_method is not None and cmd.feedback_given_at is not None:
            feedback = Feedback(
                method=cmd.feedback_method,
                given_at=cmd.feedback_given_at,
                given_by=cmd.actor.user_id,
                preferred_method_used=False,
                why_not_preferred=seal.text(
                    cmd.why_not_preferred, fields.CLOSURE_WHY_NOT_PREFERRED
                ),
            )
        case.close(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            reason=cmd.reason,
            full_reasons=seal.text(cmd.full_reasons, fields.CLOSURE_REASONS),
            feedback=feedback,
            explanation=seal.text(cmd.explanation, fields.CLOSURE_EXPLANATION),
            advice=seal.text(cmd.advice, fields.CLOSURE_ADVICE),
            harm_rules=uow.ledger.risk_thresholds,
        )

    return uow.update(cmd, decide)
