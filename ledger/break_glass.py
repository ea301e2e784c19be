"""Break-glass grants: a supervisor's time-limited read of a case outside their team, and the
DPO's review of that use (DESIGN §13). References, codes and sealed text, no personal data.

A grant is a stream of its own (``asb.break_glass.*``), chained and logged by the notary like
every other record: granted, then perhaps reviewed. The policy finds a supervisor's grants on
a case through an index stream per (supervisor, case) whose id is derived from both, so the
lookup reads the ledger itself (never a view that may lag) and two racing grants conflict.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.case_steps import utc
from ledger.enums import AlertFollowUp, AlertOutcome, BreakGlassReason
from ledger.errors import Rule, RuleViolation
from ledger.events import CaseEvent
from ledger.integrity import GENESIS
from ledger.type_names import stored_as
from ledger.values import Actor, Sealed

ENDS_GRANT = frozenset({AlertOutcome.CORRECTED, AlertOutcome.ESCALATED})
"""Outcomes that end a grant still running when the alert is closed."""


def index_id(user_id: str, case_id: UUID) -> UUID:
    """The stream of one supervisor's grants on one case."""
    return uuid5(NAMESPACE_URL, f"asb-ledger:break-glass:{case_id}:{user_id}")


@stored_as("asb.break_glass.BreakGlassGranted.v1")
class BreakGlassGranted(CaseEvent, Aggregate.Created):
    """A supervisor broke the glass: they may read a case outside their team until
    ``expires_at``, for a coded reason, with their rationale sealed under the case's key.
    ``teams`` are the teams their token named (a later assignment to one reconciles it)."""

    case_id: UUID
    reference: str
    teams: tuple[str, ...]
    reason: BreakGlassReason
    rationale: Sealed
    expires_at: datetime


@stored_as("asb.break_glass.BreakGlassReviewed.v1")
class BreakGlassReviewed(CaseEvent):
    """The DPO closed the alert a grant raised: justified, corrected or escalated, with a
    follow-up code and a sealed note if given. ``corrected`` and ``escalated`` end the grant."""

    outcome: AlertOutcome
    follow_up: AlertFollowUp | None
    note: Sealed | None

    def apply(self, aggregate: Any) -> None:
        aggregate.outcome = self.outcome
        aggregate.follow_up = self.follow_up
        aggregate.note = self.note
        aggregate.reviewed_at = self.occurred_at
        aggregate.reviewer = self.actor


@stored_as("asb.break_glass.BreakGlassGrant.v1")
class BreakGlassGrant(Aggregate):
    """One break-glass use: the grant, and the DPO's review of it. Reads only: a grant
    never lets its holder change the case."""

    def __init__(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        case_id: UUID,
        reference: str,
        teams: tuple[str, ...],
        reason: BreakGlassReason,
        rationale: Sealed,
        expires_at: datetime,
    ) -> None:
        self.supervisor = actor
        self.granted_at = occurred_at
        self.case_id = case_id
        self.reference = reference
        self.teams = tuple(teams)
        self.reason = reason
        self.rationale = rationale
        self.expires_at = expires_at
        self.outcome: AlertOutcome | None = None
        self.follow_up: AlertFollowUp | None = None
        self.note: Sealed | None = None
        self.reviewed_at: datetime | None = None
        self.reviewer: Actor | None = None
        self.head_hash = GENESIS

    @classmethod
    def grant(
        cls,
        *,
        grant_id: UUID,
        actor: Actor,
        occurred_at: datetime,
        case_id: UUID,
        reference: str,
        teams: tuple[str, ...],
        reason: BreakGlassReason,
        rationale: Sealed | None,
        hours: float,
    ) -> BreakGlassGrant:
        """A grant from ``occurred_at`` for ``hours``; the rationale is required."""
        if rationale is None:
            raise RuleViolation(Rule.TEXT_REQUIRED, "rationale is required")
        if rationale.scope != f"case:{case_id}":
            raise RuleViolation(Rule.SEAL_SCOPE, "rationale: sealed under another key")
        granted = utc(occurred_at, "occurred_at")
        return cls._create(
            BreakGlassGranted,
            id=grant_id,
            actor=actor,
            occurred_at=granted,
            prev_hash=GENESIS,
            case_id=case_id,
            reference=reference,
            teams=tuple(sorted(set(teams))),
            reason=reason,
            rationale=rationale,
            expires_at=granted + timedelta(hours=hours),
        )

    def review(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        outcome: AlertOutcome,
        follow_up: AlertFollowUp | None,
        note: Sealed | None,
    ) -> None:
        """Closes the alert; an alert is closed once."""
        if self.outcome is not None:
            raise RuleViolation(
                Rule.ALERT_CLOSED,
                f"the alert was closed as {self.outcome.value} on {self.reviewed_at:%Y-%m-%d}",
            )
        if note is not None and note.scope != f"case:{self.case_id}":
            raise RuleViolation(Rule.SEAL_SCOPE, "note: sealed under another key")
        self.trigger_event(
            BreakGlassReviewed,
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=self.head_hash,
            outcome=outcome,
            follow_up=follow_up,
            note=note,
        )

    @property
    def ends_at(self) -> datetime:
        """When reads under the grant stop: its expiry, or the closing of its alert as
        corrected or escalated, whichever came first."""
        if self.outcome in ENDS_GRANT and self.reviewed_at is not None:
            return min(self.expires_at, self.reviewed_at)
        return self.expires_at

    def active_at(self, now: datetime) -> bool:
        return now < self.ends_at


@stored_as("asb.break_glass.BreakGlassIndexOpened.v1")
class BreakGlassIndexOpened(CaseEvent, Aggregate.Created):
    """A supervisor's first grant on a case: the index the policy reads their grants from."""

    user_id: str
    case_id: UUID
    grant_id: UUID


@stored_as("asb.break_glass.BreakGlassIndexed.v1")
class BreakGlassIndexed(CaseEvent):
    """A further grant of the same supervisor on the same case."""

    grant_id: UUID

    def apply(self, aggregate: Any) -> None:
        aggregate.grants.append(self.grant_id)


@stored_as("asb.break_glass.BreakGlassIndex.v1")
class BreakGlassIndex(Aggregate):
    """One supervisor's grants on one case, in order (``index_id``)."""

    def __init__(self, *, user_id: str, case_id: UUID, grant_id: UUID) -> None:
        self.user_id = user_id
        self.case_id = case_id
        self.grants = [grant_id]
        self.head_hash = GENESIS

    @classmethod
    def open(
        cls, *, actor: Actor, occurred_at: datetime, case_id: UUID, grant_id: UUID
    ) -> BreakGlassIndex:
        return cls._create(
            BreakGlassIndexOpened,
            id=index_id(actor.user_id, case_id),
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=GENESIS,
            user_id=actor.user_id,
            case_id=case_id,
            grant_id=grant_id,
        )

    def add(self, *, actor: Actor, occurred_at: datetime, grant_id: UUID) -> None:
        self.trigger_event(
            BreakGlassIndexed,
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=self.head_hash,
            grant_id=grant_id,
        )

    @property
    def latest(self) -> UUID:
        return self.grants[-1]
