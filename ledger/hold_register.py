"""Placing, lifting and checking legal holds through the ledger's store (``ledger/holds.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from ledger.enums import Category, HoldLiftReason
from ledger.errors import CaseNotFound, ConcurrentWrite, HoldNotFound, Rule, RuleViolation
from ledger.holds import (
    ACTIVE_HOLDS_ID,
    ActiveHolds,
    Cover,
    HoldPlaced,
    HoldScope,
    LegalHold,
    covering,
)
from ledger.type_names import type_name
from ledger.values import Actor

if TYPE_CHECKING:
    from ledger.application import CaseLedger

PLACED_TOPIC = type_name(HoldPlaced)
ATTEMPTS = 3
"""How often a hold's save is tried again when another hold's save moved the index first."""


class HoldRegister:
    """Legal holds as the ledger holds them. Every read goes to the store, so a hold placed
    is in force for the very next erasure or retention sweep, in any process."""

    def __init__(self, ledger: CaseLedger) -> None:
        self.ledger = ledger

    # ------------------------------------------------------------- writing

    def place(self, hold: LegalHold) -> int:
        """Saves a new hold (``LegalHold.place``) on a case or a person the ledger knows,
        or on a category, with the index's record of it, atomically; returns its position."""
        self._require_known(hold.scope)
        for _ in range(ATTEMPTS):
            index = self._index() or ActiveHolds.start(
                actor=hold.placed_by, occurred_at=hold.placed_at
            )
            index.activate(hold, actor=hold.placed_by, occurred_at=hold.placed_at)
            try:
                return self._position(self.ledger.save(hold, index), hold.id)
            except IntegrityError:
                if self.get(hold.id) is not None:
                    raise ConcurrentWrite(hold.id) from None  # the same hold placed twice
        raise ConcurrentWrite(hold.id)

    def lift(
        self, hold_id: UUID, *, actor: Actor, occurred_at: datetime, reason: HoldLiftReason
    ) -> tuple[LegalHold, int]:
        """Lifts a hold in force (``hold.already_lifted`` if it was lifted), atomically with
        the index. Returns it and its position."""
        for _ in range(ATTEMPTS):
            hold = self.require(hold_id)
            hold.lift(actor=actor, occurred_at=occurred_at, reason=reason)
            index = self._index()
            if index is None:  # pragma: no cover - a placed hold always started the index
                raise HoldNotFound(hold_id)
            index.deactivate(hold_id, actor=actor, occurred_at=occurred_at)
            try:
                return hold, self._position(self.ledger.save(hold, index), hold.id)
            except IntegrityError:
                continue  # another hold moved the index, or this hold was lifted: reload
        raise ConcurrentWrite(hold_id)

    @staticmethod
    def _position(recordings: list[Any], hold_id: UUID) -> int:
        return max(
            int(r.notification.id) for r in recordings if r.domain_event.originator_id == hold_id
        )

    def _require_known(self, scope: HoldScope) -> None:
        if scope.case_id is not None:
            try:
                self.ledger.get_case(scope.case_id)
            except CaseNotFound:
                raise RuleViolation(
                    Rule.HOLD_SCOPE_UNKNOWN, f"case_id: no case {scope.case_id}"
                ) from None
        if scope.person_ref is not None and self.ledger.people.get(scope.person_ref) is None:
            raise RuleViolation(
                Rule.HOLD_SCOPE_UNKNOWN,
                f"person_ref: no person {scope.person_ref} is registered",
            )

    # ------------------------------------------------------------- reading

    def get(self, hold_id: UUID) -> LegalHold | None:
        try:
            found: Any = self.ledger.repository.get(hold_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, LegalHold) else None

    def require(self, hold_id: UUID) -> LegalHold:
        found = self.get(hold_id)
        if found is None:
            raise HoldNotFound(hold_id)
        return found

    def all(self, page: int = 500) -> list[LegalHold]:
        """Every hold ever placed, in force first, then lifted; newest first in each."""
        found: list[LegalHold] = []
        start = 1
        while True:
            notes = self.ledger.recorder.select_notifications(start, page, topics=[PLACED_TOPIC])
            found.extend(self.require(UUID(str(note.originator_id))) for note in notes)
            if len(notes) < page:
                break
            start = notes[-1].id + 1
        found.reverse()  # the last placed first, where two times are the same
        lifted = sorted((h for h in found if not h.active), key=_lifted_at, reverse=True)
        active = sorted((h for h in found if h.active), key=lambda h: h.placed_at, reverse=True)
        return [*active, *lifted]

    def active(self) -> list[Cover]:
        """The holds in force, from the index (read from the store now)."""
        index = self._index()
        return [] if index is None else list(index.active.values())

    def covering(
        self,
        *,
        cases: Iterable[UUID] = (),
        persons: Iterable[UUID] = (),
        categories: Iterable[Category] = (),
        active: list[Cover] | None = None,
    ) -> list[Cover]:
        """The holds in force that cover any of ``cases``, ``persons`` or ``categories``:
        empty when nothing is held. A person is covered by a hold on any record found to be
        them (merges). Read from the store now, never from a view; ``active`` (what
        ``active()`` gave) saves reading it again when many things are asked about at once."""
        active = self.active() if active is None else active
        if not active:
            return []
        person_refs: set[UUID] = set()
        if any(c.scope.person_ref is not None for c in active):
            for ref in persons:
                person_refs.update(self.ledger.people.same_person(ref))
        return covering(active, cases=cases, persons=person_refs, categories=categories)

    def index(self) -> ActiveHolds | None:
        """The index of the holds in force, as stored now (None before the first)."""
        return self._index()

    def _index(self) -> ActiveHolds | None:
        try:
            found: Any = self.ledger.repository.get(ACTIVE_HOLDS_ID)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, ActiveHolds) else None


def _lifted_at(hold: LegalHold) -> datetime:
    assert hold.lifted_at is not None
    return hold.lifted_at
