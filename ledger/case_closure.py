"""Formal closure with reasons and feedback, and reopening."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ledger import events, rules
from ledger.case_steps import CaseSteps
from ledger.case_steps import utc as _utc
from ledger.enums import (
    ClosureReason,
)
from ledger.errors import Rule, RuleViolation
from ledger.values import Actor, Feedback, Sealed


class ClosureSteps(CaseSteps):
    """Formal closure with reasons and feedback, and reopening."""

    def close(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        reason: ClosureReason,
        full_reasons: Sealed | None,
        feedback: Feedback | None,
        explanation: Sealed | None = None,
        advice: Sealed | None = None,
    ) -> None:
        """Closes the case formally, with full reasons and feedback to the complainant."""
        self._open("close it again")
        when = _utc(occurred_at, "occurred_at")
        if full_reasons is None:
            raise RuleViolation(Rule.CLOSURE_REASONS_REQUIRED, "a closure needs full reasons")
        if feedback is None:
            raise RuleViolation(Rule.CLOSURE_FEEDBACK_REQUIRED, "a closure needs feedback given")
        used_preferred = feedback.method is self.preferred_contact
        if not used_preferred and feedback.why_not_preferred is None:
            raise RuleViolation(
                Rule.CLOSURE_PREFERRED_METHOD,
                f"feedback was not by the preferred method ({self.preferred_contact.value}):"
                " record why",
            )
        if reason.needs_explanation_and_advice and (explanation is None or advice is None):
            raise RuleViolation(
                Rule.CLOSURE_EXPLANATION_REQUIRED,
                f"a {reason.value} closure needs the explanation and the advice given",
            )
        rules.check_closure_authority(
            actor,
            risk_level=self.risk_level,
            unreferred=self.unreferred_criminal_incidents,
            open_actions=self.open_actions,
        )
        if reason is ClosureReason.NO_CONTACT:
            rules.check_no_contact(self.contacts, self.complainant_ref, when)
        self.trigger_event(
            events.CaseClosed,
            actor=actor,
            occurred_at=when,
            reason=reason,
            full_reasons=full_reasons,
            feedback=replace(
                feedback,
                given_at=_utc(feedback.given_at, "feedback.given_at"),
                preferred_method_used=used_preferred,
            ),
            explanation=explanation,
            advice=advice,
        )

    def reopen(self, *, actor: Actor, occurred_at: datetime, reason: Sealed | None) -> None:
        """Reopens a closed case."""
        if not self.closed:
            raise RuleViolation(Rule.CASE_NOT_CLOSED, "only a closed case can be reopened")
        if reason is None:
            raise RuleViolation(Rule.REOPEN_REASON_REQUIRED, "a reopening needs a reason")
        self.trigger_event(
            events.CaseReopened,
            actor=actor,
            occurred_at=occurred_at,
            reason=reason,
        )
