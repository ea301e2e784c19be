"""The per-case hash chain on the domain side: from a domain event to its commitment."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from ledger.integrity import NotCanonicalisable, commitment, hash_commitment
from ledger.values import Sealed

HASH_KEY = "event_hash"
"""Key under which each stored event carries its own hash (outside the commitment)."""

ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp", "actor", "prev_hash"})


@cache
def committed_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.name not in ENVELOPE)


@cache
def _value_fields(cls: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def plain(value: Any) -> Any:
    """A value as the commitment sees it: sealed fields become their ciphertext digests."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Sealed):
        return {"sealed": value.digest, "scope": value.scope}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(plain(item) for item in value)
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: plain(getattr(value, name)) for name in _value_fields(type(value))}
    raise NotCanonicalisable(f"{type(value).__name__} cannot be committed to")


def commitment_of(event: Any) -> dict[str, Any]:
    """The commitment of a case event, exactly as an exported envelope reproduces it."""
    return commitment(
        case_id=str(event.originator_id),
        version=event.originator_version,
        topic=get_topic(type(event)),
        recorded_at=event.timestamp.isoformat(),
        actor=plain(event.actor),
        fields={name: plain(getattr(event, name)) for name in committed_fields(event.__class__)},
        prev_hash=event.prev_hash,
    )


def hash_event(event: Any) -> str:
    return hash_commitment(commitment_of(event))
