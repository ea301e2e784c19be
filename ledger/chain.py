"""The per-case hash chain on the domain side: from a domain event to its commitment."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum
from functools import cache, lru_cache
from typing import Any
from uuid import UUID

from ledger.integrity import (
    GENESIS,
    MAX_SAFE_INTEGER,
    NotCanonicalisable,
    commitment,
    hash_checked_commitment,
)
from ledger.type_names import type_name
from ledger.values import Actor, Sealed

HASH_KEY = "event_hash"
"""Key under which each stored event carries its own hash (outside the commitment)."""

ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp", "actor", "prev_hash"})


@cache
def committed_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.name not in ENVELOPE)


@cache
def _value_fields(cls: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _int(value: int) -> int:
    if abs(value) > MAX_SAFE_INTEGER:
        raise NotCanonicalisable(f"integer {value} is outside the JCS safe range")
    return value


def _key(key: Any) -> str:
    if not isinstance(key, str) or not key.isascii():
        raise NotCanonicalisable(f"object key {key!r} must be an ASCII string")
    return key


def _same(value: Any) -> Any:
    return value


_BY_TYPE: dict[type, Any] = {
    str: _same,
    bool: _same,
    type(None): _same,
    int: _int,
    UUID: str,
    datetime: datetime.isoformat,
    date: date.isoformat,
}


def plain(value: Any) -> Any:
    """A value as the commitment sees it: sealed fields become their ciphertext digests.

    The result is held to the commitment domain as it is built (no floats, integers within
    the JCS safe range, ASCII keys), so it is hashed without a second walk.
    """
    convert = _BY_TYPE.get(type(value))
    if convert is not None:
        return convert(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Sealed):
        return {"sealed": value.digest, "scope": value.scope}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(plain(item) for item in value)
    if isinstance(value, dict):
        return {_key(key): plain(item) for key, item in value.items()}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: plain(getattr(value, name)) for name in _value_fields(type(value))}
    raise NotCanonicalisable(f"{type(value).__name__} cannot be committed to")


@lru_cache(maxsize=1024)
def _cached_actor(actor: Actor) -> Any:
    return plain(actor)


def _plain_actor(actor: Any) -> Any:
    """Staff act again and again, so their plain form is cached (when it can be: a decoded
    actor that was tampered with may not even be hashable)."""
    try:
        return _cached_actor(actor)
    except TypeError:
        return plain(actor)


def commitment_of(event: Any) -> dict[str, Any]:
    """The commitment of a case event, exactly as an exported envelope reproduces it.

    Every slot goes through ``plain``: a stored event that was tampered with can decode to
    values of the wrong type, and must then hash differently rather than fail to hash."""
    return commitment(
        case_id=str(event.originator_id),
        version=_int(event.originator_version),
        topic=type_name(type(event)),
        recorded_at=plain(event.timestamp),
        actor=_plain_actor(event.actor),
        fields={name: plain(getattr(event, name)) for name in committed_fields(event.__class__)},
        prev_hash=plain(event.prev_hash),
    )


def hash_event(event: Any) -> str:
    return hash_checked_commitment(commitment_of(event))


def hash_record(event: Any) -> str:
    """The hash of a stored record outside every case's chain (a reference index entry, a key
    erasure record): its commitment as if it opened a stream of its own (``prev_hash`` is
    ``GENESIS``; no actor is ``{}``), so the notary can log it and a verifier recompute it."""
    actor = getattr(event, "actor", None)
    return hash_checked_commitment(
        commitment(
            case_id=str(event.originator_id),
            version=_int(event.originator_version),
            topic=type_name(type(event)),
            recorded_at=plain(event.timestamp),
            actor={} if actor is None else _plain_actor(actor),
            fields={
                name: plain(getattr(event, name)) for name in committed_fields(event.__class__)
            },
            prev_hash=GENESIS,
        )
    )
