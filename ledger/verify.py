"""Checking a case's stored rows against its hash chain, naming the first bad version."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cache
from typing import Any
from uuid import UUID

from eventsourcing.domain import OriginatorVersionError
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import TopicError

from ledger.chain import HASH_KEY
from ledger.errors import IntegrityFailure
from ledger.events import CaseEvent
from ledger.integrity import GENESIS, NotCanonicalisable
from ledger.type_names import stored_class, type_name

UNREADABLE = (MapperDeserialisationError, TopicError, NotCanonicalisable, OriginatorVersionError)
"""What tampered rows raise while being decoded; anything else is a bug, not a finding."""


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one case's chain."""

    case_id: UUID
    intact: bool
    events: int
    head_hash: str
    version: int | None = None
    reason: str | None = None


@cache
def declared_fields(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls))


@cache
def _stored_shapes(cls: type) -> tuple[frozenset[str], ...] | None:
    """The field sets a stored case event of ``cls`` may have (its declared fields, with or
    without its recorded hash); None for anything but a case event."""
    if not issubclass(cls, CaseEvent):
        return None
    declared = declared_fields(cls)
    return declared, declared | {HASH_KEY}


class ChainMapper(Mapper[UUID]):
    """Stores every event under its stable type name and reads back only registered names
    (a row naming anything else is unreadable: never resolved by importing a module path).
    Refuses stored case events whose fields differ from their class's, and marks those
    that lost their recorded hash so the chain check fails on them."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        type_name(type(domain_event))  # a class with no stored type name is never written
        return super().to_stored_event(domain_event)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        stored_class(stored_event.topic)  # raises UnknownTypeName (a TopicError)
        event = super().to_domain_event(stored_event)
        shapes = _stored_shapes(type(event))
        if shapes is not None:
            state = vars(event)
            if state.keys() not in shapes:
                raise IntegrityFailure(
                    event.originator_id,
                    event.originator_version,
                    "stored event's fields differ from its class's: fields added or removed",
                )
            state.setdefault(HASH_KEY, "")
        return event


def verify_rows(case_id: UUID, rows: Sequence[StoredEvent], mapper: Mapper[UUID]) -> Verdict:
    """Folds the rows through the aggregate's own chain check; the first failure is named."""
    if not rows:
        return Verdict(case_id, False, 0, GENESIS, 1, "the case's events are missing")
    case: Any = None
    head = GENESIS
    for expected, row in enumerate(rows, start=1):
        version = row.originator_version
        if version != expected:
            what = "is missing" if version > expected else "appears twice"
            return Verdict(
                case_id, False, expected - 1, head, expected, f"version {expected} {what}"
            )
        try:
            event = mapper.to_domain_event(row)
            if not isinstance(event, CaseEvent):
                reason = f"{row.topic} is not a case event"
                return Verdict(case_id, False, expected - 1, head, version, reason)
            case = event.mutate(case)
        except IntegrityFailure as failure:
            return Verdict(case_id, False, expected - 1, head, version, failure.reason)
        except UNREADABLE as error:
            reason = f"stored event cannot be decoded ({type(error).__name__})"
            return Verdict(case_id, False, expected - 1, head, version, reason)
        head = case.head_hash
    return Verdict(case_id, True, len(rows), head)
