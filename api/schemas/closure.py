"""Requests to close, reopen and assign a case."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from api.commanding import Context
from api.schemas.base import (
    Body,
    LongText,
    Occurred,
    RequiredText,
    StaffId,
    WrittenTime,
)
from commands.assign_case import AssignCase
from commands.close_case import CloseCase
from commands.reopen_case import ReopenCase
from ledger.enums import ClosureReason, ContactMethod


class FeedbackIn(Body):
    """Feedback given to the complainant; by their preferred method, or say why not."""

    method: ContactMethod = Field(examples=["phone"])
    given_at: WrittenTime | None = Field(default=None, description="Default: now.")
    why_not_preferred: LongText | None = None


class CloseIn(Occurred):
    """Formal closure: the reason, full reasons, and the feedback given. A no further
    action, not ASB, insufficient evidence or equal fault closure also needs the
    explanation and the self-help or alternative advice given."""

    reason: ClosureReason = Field(examples=["no_further_action"])
    full_reasons: RequiredText = Field(examples=["Noise assessed as normal living noise."])
    feedback: FeedbackIn | None
    explanation: LongText | None = Field(
        default=None, examples=["Explained why the noise is not a statutory nuisance."]
    )
    advice: LongText | None = Field(
        default=None, examples=["Keep a diary; mediation offered through Harmony."]
    )

    def to_command(self, case_id: UUID, ctx: Context) -> CloseCase:
        feedback = self.feedback
        return CloseCase(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            reason=self.reason,
            full_reasons=self.full_reasons,
            feedback_method=None if feedback is None else feedback.method,
            feedback_given_at=None if feedback is None else feedback.given_at or ctx.occurred_at,
            why_not_preferred=None if feedback is None else feedback.why_not_preferred,
            explanation=self.explanation,
            advice=self.advice,
        )


class ReopenIn(Occurred):
    """Why a closed case is reopened."""

    reason: RequiredText = Field(examples=["A further incident was reported."])

    def to_command(self, case_id: UUID, ctx: Context) -> ReopenCase:
        return ReopenCase(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            reason=self.reason,
        )


class AssignIn(Occurred):
    """The team (and optionally officer) to assign the case to."""

    team: StaffId = Field(examples=["asb-north"])
    officer: StaffId | None = Field(default=None, examples=["officer-17"])

    def to_command(self, case_id: UUID, ctx: Context) -> AssignCase:
        return AssignCase(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            team=self.team,
            officer=self.officer,
        )
