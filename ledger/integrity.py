"""Pure hashing for the per-case chain: canonical JSON commitments and event hashes.

This module depends on the standard library only, so the offline verifier can use
exactly the code the ledger uses. ``canonical_json`` emits RFC 8785 (JCS) bytes for
the value domain commitments use: strings, integers, booleans, null, lists and
string-keyed objects, with no floats. Within that domain the C JSON encoder with
sorted keys is byte-for-byte JCS and several times faster than a pure-Python JCS
encoder; ``tests/property/test_canonical.py`` holds it to the ``rfc8785`` package.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

DOMAIN_TAG = b"asb-ledger/event/v2\n"
"""v2: the commitment's ``topic`` is the event's stable type name (``ledger/type_names.py``),
no longer the class's module path (v1)."""
GENESIS = "0" * 64

_encode = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode


class NotCanonicalisable(TypeError):
    """A value outside the commitment domain (a float, a non-string key, an unknown type)."""


MAX_SAFE_INTEGER = 2**53 - 1


def _check(value: Any) -> None:
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise NotCanonicalisable(f"integer {value} is outside the JCS safe range")
        return
    if isinstance(value, list):
        for item in value:
            _check(item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise NotCanonicalisable(f"object key {key!r} must be an ASCII string")
            _check(item)
        return
    raise NotCanonicalisable(f"{type(value).__name__} cannot be committed to")


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON of a commitment-domain value."""
    _check(value)
    return _encode(value).encode("utf-8")


def commitment(
    *,
    case_id: str,
    version: int,
    topic: str,
    recorded_at: str,
    actor: Mapping[str, Any],
    fields: Mapping[str, Any],
    prev_hash: str,
) -> dict[str, Any]:
    """What an event hash commits to. Sealed fields appear in ``fields`` as
    ``{"sealed": <sha256 of nonce+ciphertext>, "scope": <key scope>}``."""
    return {
        "case_id": case_id,
        "version": version,
        "topic": topic,
        "recorded_at": recorded_at,
        "actor": dict(actor),
        "fields": dict(fields),
        "prev_hash": prev_hash,
    }


def hash_commitment(value: Mapping[str, Any]) -> str:
    """``sha256(DOMAIN_TAG + canonical_json(commitment))`` as lowercase hex."""
    return hashlib.sha256(DOMAIN_TAG + canonical_json(dict(value))).hexdigest()


def hash_checked_commitment(value: dict[str, Any]) -> str:
    """As ``hash_commitment``, for a value its builder already held to the commitment domain."""
    return hashlib.sha256(DOMAIN_TAG + _encode(value).encode("utf-8")).hexdigest()
