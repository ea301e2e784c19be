"""The record that a closed case was erased at the end of its retention: references and codes only.

One stream per case (``retention_erasure_id``: the same id for the same case, so a second
sweep, or a resumed one, cannot record it twice). Its single event names the case, when it
closed and fell due, the key scopes destroyed and the people whose keys were kept (they are
on a case still kept). ``CaseErasure.record`` checks the rules: the case is closed, its
retention has run out, and nothing holds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.case import Case
from ledger.case_steps import utc
from ledger.enums import Category, ErasureReason, HoldKind
from ledger.errors import Rule, RuleViolation
from ledger.events import CaseEvent
from ledger.holds import Cover
from ledger.integrity import GENESIS
from ledger.type_names import stored_as
from ledger.values import Actor


def retention_erasure_id(case_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"asb-ledger:retention:{case_id}")


@stored_as("asb.retention.CaseErased.v1")
class CaseErased(CaseEvent, Aggregate.Created):
    """A closed case past its retention was erased: its key and the keys of the people on
    no other case still kept were destroyed (each also recorded as a ``KeyDestroyed``)."""

    case_id: UUID
    reference: str
    category: Category
    closed_on: date
    due_on: date
    scopes: tuple[str, ...]
    kept: tuple[UUID, ...]
    reason: ErasureReason


@stored_as("asb.retention.CaseErasure.v1")
class CaseErasure(Aggregate):
    """One per case erased for retention; its single event is the record."""

    def __init__(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        case_id: UUID,
        reference: str,
        category: Category,
        closed_on: date,
        due_on: date,
        scopes: tuple[str, ...],
        kept: tuple[UUID, ...],
    ) -> None:
        self.actor = actor
        self.occurred_at = occurred_at
        self.case_id = case_id
        self.reference = reference
        self.category = category
        self.closed_on = closed_on
        self.due_on = due_on
        self.scopes = tuple(scopes)
        self.kept = tuple(kept)
        self.head_hash = GENESIS

    @classmethod
    def record(
        cls,
        case: Case,
        *,
        actor: Actor,
        occurred_at: datetime,
        closed_on: date,
        due_on: date,
        today: date,
        holds: Sequence[Cover],
        scopes: Sequence[str],
        kept: Sequence[UUID],
    ) -> CaseErasure:
        """The record of ``case``'s erasure, to save once its keys are destroyed. Refused
        while it is open (``retention.case_open``), before ``due_on`` (``retention.not_due``)
        and while a hold covers it (``retention.legal_hold``, naming the holds)."""
        check_erasable(case, due_on=due_on, today=today, holds=holds)
        return cls._create(
            CaseErased,
            id=retention_erasure_id(case.id),
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=GENESIS,
            case_id=case.id,
            reference=case.reference,
            category=case.category,
            closed_on=closed_on,
            due_on=due_on,
            scopes=tuple(scopes),
            kept=tuple(sorted(set(kept), key=str)),
            reason=ErasureReason.RETENTION_EXPIRED,
        )


def check_erasable(case: Case, *, due_on: date, today: date, holds: Sequence[Cover]) -> None:
    """The rules an erasure for retention keeps (see ``CaseErasure.record``)."""
    if not case.closed or case.closed_at is None:
        raise RuleViolation(Rule.RETENTION_CASE_OPEN, f"case {case.reference} is not closed")
    if today < due_on:
        raise RuleViolation(
            Rule.RETENTION_NOT_DUE, f"case {case.reference} is kept until {due_on.isoformat()}"
        )
    if any(h.kind is HoldKind.SUBJECT_ACCESS_REQUEST for h in holds):
        raise RuleViolation(
            Rule.RETENTION_OPEN_SAR,
            f"case {case.reference} is held by an open subject access request:"
            f" {'; '.join(h.describe() for h in holds)}",
        )
    if holds:
        raise RuleViolation(
            Rule.RETENTION_LEGAL_HOLD,
            f"case {case.reference} is held: {'; '.join(h.describe() for h in holds)}",
        )
