"""The case's plan: actions, agreed timescales and reviews."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ledger import events, rules
from ledger.case_steps import CaseSteps
from ledger.enums import (
    ActionStatus,
    Agency,
    ReviewOutcome,
)
from ledger.errors import Rule, RuleViolation
from ledger.values import Actor, Sealed


class PlanSteps(CaseSteps):
    """The case's plan: actions, agreed timescales and reviews."""

    def plan_action(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        action_id: str,
        description: Sealed | None,
        owner_agency: Agency | None,
        owner_officer: str | None,
        due: date | None,
    ) -> None:
        """Adds an action to the plan: it needs an owner and a due date."""
        self._open("plan an action")
        rules.require(description, "description")
        if owner_agency is None or not (owner_officer or "").strip():
            raise RuleViolation(
                Rule.ACTION_OWNER_REQUIRED, "an action needs an owner agency and officer"
            )
        if due is None:
            raise RuleViolation(Rule.ACTION_DUE_REQUIRED, "an action needs a due date")
        if action_id in self.actions:
            raise RuleViolation(Rule.ACTION_DUPLICATE, f"action {action_id} already planned")
        self.trigger_event(
            events.ActionPlanned,
            actor=actor,
            occurred_at=occurred_at,
            action_id=action_id,
            description=description,
            owner_agency=owner_agency,
            owner_officer=(owner_officer or "").strip(),
            due=due,
        )

    def complete_action(
        self, *, actor: Actor, occurred_at: datetime, action_id: str, outcome: Sealed | None
    ) -> None:
        """Marks a planned action done, with its outcome."""
        self._finish_action(events.ActionCompleted, actor, occurred_at, action_id, outcome)

    def cancel_action(
        self, *, actor: Actor, occurred_at: datetime, action_id: str, outcome: Sealed | None
    ) -> None:
        """Cancels a planned action, with the reason."""
        self._finish_action(events.ActionCancelled, actor, occurred_at, action_id, outcome)

    def _finish_action(
        self,
        event_class: type[Any],
        actor: Actor,
        occurred_at: datetime,
        action_id: str,
        outcome: Sealed | None,
    ) -> None:
        self._open("change an action")
        rules.require(outcome, "outcome")
        action = self.actions.get(action_id)
        if action is None:
            raise RuleViolation(Rule.ACTION_UNKNOWN, f"no action {action_id} in the plan")
        if action.status is not ActionStatus.OPEN:
            raise RuleViolation(
                Rule.ACTION_NOT_OPEN, f"action {action_id} is {action.status.value}"
            )
        self.trigger_event(
            event_class,
            actor=actor,
            occurred_at=occurred_at,
            action_id=action_id,
            outcome=outcome,
        )

    def agree_timescales(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        first_contact_due: date,
        next_review_due: date,
        target_resolution: date,
        agreed_with: tuple[Agency, ...] = (),
        organisations: tuple[str, ...] = (),
    ) -> None:
        """Records timescales agreed with the victim and partners (``organisations``: the
        registered ids of the partner organisations agreed with)."""
        self._open("agree timescales")
        if not first_contact_due <= target_resolution or not next_review_due <= target_resolution:
            raise RuleViolation(
                Rule.TIMESCALES_ORDER,
                "first contact and next review must fall on or before the target resolution",
            )
        self.trigger_event(
            events.TimescalesAgreedV2,
            actor=actor,
            occurred_at=occurred_at,
            first_contact_due=first_contact_due,
            next_review_due=next_review_due,
            target_resolution=target_resolution,
            agreed_with=tuple(dict.fromkeys(agreed_with)),
            organisations=tuple(dict.fromkeys(organisations)),
        )

    def review(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        outcome: ReviewOutcome,
        notes: Sealed | None,
        next_review_due: date,
    ) -> None:
        """Records a case review and the next review date."""
        self._open("review")
        rules.require(notes, "notes")
        self.trigger_event(
            events.CaseReviewed,
            actor=actor,
            occurred_at=occurred_at,
            outcome=outcome,
            notes=notes,
            next_review_due=next_review_due,
        )
