"""Legal holds: a DPO's order to keep records, each its own stream, and the index of those active.

A hold covers one case, one person (every record found to be them) or every case of a
category (a public inquiry into all cases of one kind). It is placed and lifted by events
that carry references and codes only: the scope, a reason code and a reference to the
matter (a claim number, an inquiry's or the regulator's case reference), never personal data.

``ActiveHolds`` is the index of the holds in force: one stream, saved in the same
transaction as each hold's own event, so asking whether something is held reads one
aggregate and is never behind (``HoldRegister.covering``). Every event is hash-chained in
its stream and logged by the notary, as a case's are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.case_steps import utc
from ledger.enums import Category, HoldKind, HoldLiftReason, HoldReason, HoldScopeKind
from ledger.errors import Rule, RuleViolation
from ledger.events import CaseEvent
from ledger.integrity import GENESIS
from ledger.type_names import stored_as
from ledger.values import Actor

ACTIVE_HOLDS_ID = uuid5(NAMESPACE_URL, "asb-ledger:holds:active")
"""The one stream of the index of active holds."""
REFERENCE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9/._:-]{0,62}[A-Za-z0-9])?$")
"""A matter's reference: letters, digits and ``/ . _ : -``, no spaces (so no name fits in
it as written), 1 to 64 characters, starting and ending with a letter or digit."""


@dataclass(frozen=True)
class HoldScope:
    """What a hold covers: exactly one of a case, a person, or a case category."""

    case_id: UUID | None = None
    person_ref: UUID | None = None
    category: Category | None = None

    def __post_init__(self) -> None:
        given = [v for v in (self.case_id, self.person_ref, self.category) if v is not None]
        if len(given) != 1:
            raise ValueError("a hold's scope is exactly one of a case, a person or a category")

    @property
    def kind(self) -> HoldScopeKind:
        if self.case_id is not None:
            return HoldScopeKind.CASE
        if self.person_ref is not None:
            return HoldScopeKind.PERSON
        return HoldScopeKind.CATEGORY

    def describe(self) -> str:
        """``case <id>``, ``person <ref>`` or ``category <code>``: references only."""
        target = self.category.value if self.category is not None else self.case_id
        return f"{self.kind.value} {target or self.person_ref}"


@dataclass(frozen=True)
class Cover:
    """Something that holds records back: its source (``kind``: a legal hold, or later an
    open subject access request), its id, its reason code and its scope."""

    kind: HoldKind
    hold_id: UUID
    reason: str
    scope: HoldScope

    def describe(self) -> str:
        """``legal_hold <id> (litigation) on case <id>``: references and codes only."""
        return f"{self.kind.value} {self.hold_id} ({self.reason}) on {self.scope.describe()}"


def check_reference(reference: str) -> str:
    if not REFERENCE.match(reference):
        raise RuleViolation(
            Rule.HOLD_REFERENCE_FORMAT,
            "reference: the matter's reference (letters, digits and / . _ : - without"
            " spaces, at most 64), never a name",
        )
    return reference


# ------------------------------------------------------------------ one hold


@stored_as("asb.hold.HoldPlaced.v1")
class HoldPlaced(CaseEvent, Aggregate.Created):
    """A DPO placed a legal hold: what it covers, why (a code) and the matter's reference."""

    case_id: UUID | None
    person_ref: UUID | None
    category: Category | None
    reason: HoldReason
    reference: str


@stored_as("asb.hold.HoldLifted.v1")
class HoldLifted(CaseEvent):
    """A DPO lifted a legal hold, with why (a code)."""

    reason: HoldLiftReason

    def apply(self, aggregate: Any) -> None:
        aggregate.lifted_at = self.occurred_at
        aggregate.lifted_by = self.actor
        aggregate.lift_reason = self.reason


@stored_as("asb.hold.LegalHold.v1")
class LegalHold(Aggregate):
    """One legal hold, from its placing to its lifting."""

    def __init__(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        case_id: UUID | None,
        person_ref: UUID | None,
        category: Category | None,
        reason: HoldReason,
        reference: str,
    ) -> None:
        self.scope = HoldScope(case_id, person_ref, category)
        self.reason = reason
        self.reference = reference
        self.placed_at = occurred_at
        self.placed_by = actor
        self.lifted_at: datetime | None = None
        self.lifted_by: Actor | None = None
        self.lift_reason: HoldLiftReason | None = None
        self.head_hash = GENESIS

    @classmethod
    def place(
        cls,
        *,
        hold_id: UUID,
        actor: Actor,
        occurred_at: datetime,
        scope: HoldScope,
        reason: HoldReason,
        reference: str,
    ) -> LegalHold:
        """Places a hold (its id chosen by the caller, so a retry names the same hold)."""
        return cls._create(
            HoldPlaced,
            id=hold_id,
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=GENESIS,
            case_id=scope.case_id,
            person_ref=scope.person_ref,
            category=scope.category,
            reason=reason,
            reference=check_reference(reference.strip()),
        )

    @property
    def active(self) -> bool:
        return self.lifted_at is None

    def lift(self, *, actor: Actor, occurred_at: datetime, reason: HoldLiftReason) -> None:
        if self.lifted_at is not None:
            raise RuleViolation(
                Rule.HOLD_LIFTED, f"legal hold {self.id} was lifted on {self.lifted_at.date()}"
            )
        self.trigger_event(
            HoldLifted,
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=self.head_hash,
            reason=reason,
        )

    def cover(self) -> Cover:
        return Cover(HoldKind.LEGAL_HOLD, self.id, self.reason.value, self.scope)


# ------------------------------------------------------------------ the index


@stored_as("asb.hold.HoldIndexStarted.v1")
class HoldIndexStarted(CaseEvent, Aggregate.Created):
    """The index of active holds was started, with the first hold placed."""


@stored_as("asb.hold.HoldActivated.v1")
class HoldActivated(CaseEvent):
    """A hold came into force (saved with its ``HoldPlaced``)."""

    hold_id: UUID
    case_id: UUID | None
    person_ref: UUID | None
    category: Category | None
    reason: HoldReason

    def apply(self, aggregate: Any) -> None:
        scope = HoldScope(self.case_id, self.person_ref, self.category)
        aggregate.active[self.hold_id] = Cover(
            HoldKind.LEGAL_HOLD, self.hold_id, self.reason.value, scope
        )


@stored_as("asb.hold.HoldDeactivated.v1")
class HoldDeactivated(CaseEvent):
    """A hold stopped being in force (saved with its ``HoldLifted``)."""

    hold_id: UUID

    def apply(self, aggregate: Any) -> None:
        aggregate.active.pop(self.hold_id, None)


@stored_as("asb.hold.RequestHoldActivated.v1")
class RequestHoldActivated(CaseEvent):
    """A subject access request about ``person_ref`` was opened: it holds their data until
    it is issued or closed (DPA 2018 s173), which ``HoldDeactivated`` records."""

    sar_id: UUID
    person_ref: UUID

    def apply(self, aggregate: Any) -> None:
        aggregate.active[self.sar_id] = Cover(
            HoldKind.SUBJECT_ACCESS_REQUEST,
            self.sar_id,
            HoldKind.SUBJECT_ACCESS_REQUEST.value,
            HoldScope(person_ref=self.person_ref),
        )


@stored_as("asb.hold.ActiveHolds.v1")
class ActiveHolds(Aggregate):
    """The holds in force, by id: what ``covering`` reads."""

    def __init__(self) -> None:
        self.active: dict[UUID, Cover] = {}
        self.head_hash = GENESIS

    @classmethod
    def start(cls, *, actor: Actor, occurred_at: datetime) -> ActiveHolds:
        return cls._create(
            HoldIndexStarted,
            id=ACTIVE_HOLDS_ID,
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=GENESIS,
        )

    def activate(self, hold: LegalHold, *, actor: Actor, occurred_at: datetime) -> None:
        self.trigger_event(
            HoldActivated,
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=self.head_hash,
            hold_id=hold.id,
            case_id=hold.scope.case_id,
            person_ref=hold.scope.person_ref,
            category=hold.scope.category,
            reason=hold.reason,
        )

    def hold_for_request(
        self, sar_id: UUID, person_ref: UUID, *, actor: Actor, occurred_at: datetime
    ) -> None:
        """An open subject access request joins the holds in force."""
        self.trigger_event(
            RequestHoldActivated,
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=self.head_hash,
            sar_id=sar_id,
            person_ref=person_ref,
        )

    def deactivate(self, hold_id: UUID, *, actor: Actor, occurred_at: datetime) -> None:
        self.trigger_event(
            HoldDeactivated,
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=self.head_hash,
            hold_id=hold_id,
        )


def covering(
    active: Iterable[Cover],
    *,
    cases: Iterable[UUID] = (),
    persons: Iterable[UUID] = (),
    categories: Iterable[Category] = (),
) -> list[Cover]:
    """The holds among ``active`` that cover any of the cases, people or categories given
    (the people as every reference of theirs: the caller expands merges), in id order."""
    case_set, person_set, category_set = set(cases), set(persons), set(categories)
    found = [
        cover
        for cover in active
        if cover.scope.case_id in case_set
        or cover.scope.person_ref in person_set
        or cover.scope.category in category_set
    ]
    return sorted(found, key=lambda c: str(c.hold_id))
