"""The export bundle format, ``asb-ledger/bundle/v1``: dataclasses, writer and strict parser.

Standard library only, so the offline verifier can depend on it. The parser checks the
bundle's shape and encodings and nothing more. Whether hashes, chains, proofs and the
signed checkpoint hold is the verifier's job (``replay/offline.py``). So a change to a
commitment or to the checkpoint note is reported as a failure naming the case and
version, not as a malformed file. The commitment and the note are kept exactly as
parsed. See ``docs/verifying.md``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

FORMAT = "asb-ledger/bundle/v1"
HASH_SIZE = 32
_HEX = frozenset("0123456789abcdef")
_TOP = ("format", "exported_at", "origin", "checkpoint", "consistency", "cases")
_EVENT = ("commitment", "event_hash", "leaf_index", "inclusion_proof", "ciphertexts")
_RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")
T = TypeVar("T")


class MalformedBundle(ValueError):
    """Input that is not an ``asb-ledger/bundle/v1`` bundle; the message says where and why."""


def _is_hex_hash(value: object) -> bool:
    return isinstance(value, str) and len(value) == 2 * HASH_SIZE and _HEX.issuperset(value)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _hashes(values: Sequence[bytes], what: str) -> tuple[bytes, ...]:
    if isinstance(values, str | bytes) or not all(
        isinstance(v, bytes) and len(v) == HASH_SIZE for v in values
    ):
        raise MalformedBundle(f"{what} is not a list of {HASH_SIZE}-byte hashes")
    return tuple(values)


@dataclass(frozen=True, slots=True)
class BundleEvent:
    """One event: what its hash commits to, the hash, its leaf in the log and the proof."""

    commitment: Mapping[str, Any]
    event_hash: str
    leaf_index: int
    inclusion_proof: Sequence[bytes]
    ciphertexts: Mapping[str, bytes]
    """Sealed blobs (nonce ‖ ciphertext ‖ tag) that survive, by their SHA-256 hex digest."""

    def __post_init__(self) -> None:
        if not isinstance(self.commitment, Mapping):
            raise MalformedBundle("commitment is not an object")
        if not _is_hex_hash(self.event_hash):
            raise MalformedBundle("event_hash is not 64 lowercase hex digits")
        if not _is_count(self.leaf_index):
            raise MalformedBundle("leaf_index is not a non-negative integer")
        object.__setattr__(
            self, "inclusion_proof", _hashes(self.inclusion_proof, "inclusion_proof")
        )
        if not isinstance(self.ciphertexts, Mapping):
            raise MalformedBundle("ciphertexts is not an object")
        for digest, blob in self.ciphertexts.items():
            if not _is_hex_hash(digest):
                raise MalformedBundle("a ciphertexts key is not 64 lowercase hex digits")
            if not isinstance(blob, bytes):
                raise MalformedBundle("a ciphertext is not bytes")


@dataclass(frozen=True, slots=True)
class BundleCase:
    """A case's events, in version order."""

    case_id: str
    events: Sequence[BundleEvent]

    def __post_init__(self) -> None:
        if not isinstance(self.case_id, str) or not _is_uuid(self.case_id):
            raise MalformedBundle("case_id is not a UUID in its canonical lowercase form")
        object.__setattr__(self, "events", tuple(self.events))


def _is_uuid(text: str) -> bool:
    try:
        return str(UUID(text)) == text
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """RFC 9162 proof that the tree of ``from_size`` leaves is a prefix of the checkpoint's."""

    from_size: int
    proof: Sequence[bytes]

    def __post_init__(self) -> None:
        if not _is_count(self.from_size):
            raise MalformedBundle("from_size is not a non-negative integer")
        object.__setattr__(self, "proof", _hashes(self.proof, "proof"))


@dataclass(frozen=True, slots=True)
class Bundle:
    """A self-contained export: a signed checkpoint, proofs to it, and cases' events."""

    exported_at: datetime
    origin: str
    checkpoint: str
    """The signed note text (C2SP tlog-checkpoint), exactly as the notary wrote it."""
    consistency: Sequence[ConsistencyProof]
    cases: Sequence[BundleCase]

    def __post_init__(self) -> None:
        stamp = self.exported_at
        if not isinstance(stamp, datetime) or stamp.utcoffset() != timedelta(0):
            raise MalformedBundle("exported_at is not a UTC time")
        if not isinstance(self.origin, str) or not self.origin or "\n" in self.origin:
            raise MalformedBundle("origin is not one non-empty line")
        if not isinstance(self.checkpoint, str):
            raise MalformedBundle("checkpoint is not the text of a signed note")
        object.__setattr__(self, "consistency", tuple(self.consistency))
        object.__setattr__(self, "cases", tuple(self.cases))
        sizes = [entry.from_size for entry in self.consistency]
        if len(set(sizes)) != len(sizes):
            raise MalformedBundle("consistency holds two proofs from the same size")
        ids = [case.case_id for case in self.cases]
        if len(set(ids)) != len(ids):
            raise MalformedBundle("cases lists the same case twice")

    def to_json(self, *, indent: int | None = None) -> str:
        """The bundle as UTF-8 JSON text, as ``parse_bundle`` reads it back."""
        return dump_bundle(self, indent=indent)


def rfc3339(moment: datetime) -> str:
    """An aware time as RFC 3339 in UTC, with a ``Z``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def to_json_value(bundle: Bundle) -> dict[str, Any]:
    """The bundle as plain JSON values (objects, lists, strings, integers)."""
    return {
        "format": FORMAT,
        "exported_at": rfc3339(bundle.exported_at),
        "origin": bundle.origin,
        "checkpoint": bundle.checkpoint,
        "consistency": [
            {"from_size": entry.from_size, "proof": [h.hex() for h in entry.proof]}
            for entry in bundle.consistency
        ],
        "cases": [
            {
                "case_id": case.case_id,
                "events": [
                    {
                        "commitment": dict(event.commitment),
                        "event_hash": event.event_hash,
                        "leaf_index": event.leaf_index,
                        "inclusion_proof": [h.hex() for h in event.inclusion_proof],
                        "ciphertexts": {d: _b64(b) for d, b in event.ciphertexts.items()},
                    }
                    for event in case.events
                ],
            }
            for case in bundle.cases
        ],
    }


def dump_bundle(bundle: Bundle, *, indent: int | None = None) -> str:
    """The bundle as JSON text (UTF-8 when written), ending in a newline."""
    return json.dumps(to_json_value(bundle), ensure_ascii=False, indent=indent) + "\n"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise MalformedBundle("a JSON object repeats a key, so readers could disagree on it")
    return value


def _no_constant(name: str) -> Any:
    raise MalformedBundle(f"{name} is not JSON")


def _object(value: Any, where: str, keys: Sequence[str] | None = None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedBundle(f"{where} is not a JSON object")
    if keys is not None and set(value) != set(keys):
        missing, extra = sorted(set(keys) - set(value)), sorted(set(value) - set(keys))
        what = f"lacks {', '.join(missing)}" if missing else f"has unknown {', '.join(extra)}"
        raise MalformedBundle(f"{where} {what}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise MalformedBundle(f"{where} is not a JSON list")
    return value


def _hex_hashes(value: Any, where: str) -> list[bytes]:
    items = _list(value, where)
    for i, item in enumerate(items):
        if not _is_hex_hash(item):
            raise MalformedBundle(f"{where}[{i}] is not 64 lowercase hex digits")
    return [bytes.fromhex(item) for item in items]


def _blob(value: Any, where: str) -> bytes:
    if not isinstance(value, str):
        raise MalformedBundle(f"{where} is not a base64 string")
    try:
        data = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise MalformedBundle(f"{where} is not base64") from None
    if _b64(data) != value:
        raise MalformedBundle(f"{where} is not canonical base64 (with padding)")
    return data


def _time(value: Any, where: str) -> datetime:
    try:
        if isinstance(value, str) and _RFC3339_UTC.fullmatch(value):
            return datetime.fromisoformat(value)
    except ValueError:
        pass
    raise MalformedBundle(f"{where} is not an RFC 3339 UTC time ending in Z")


def _built(where: str, build: Callable[..., T], *args: Any) -> T:
    try:
        return build(*args)
    except MalformedBundle as error:
        raise MalformedBundle(f"{where}: {error}") from None


def _event(raw: Any, where: str) -> BundleEvent:
    raw = _object(raw, where, _EVENT)
    ciphertexts = _object(raw["ciphertexts"], f"{where}.ciphertexts")
    return _built(
        where,
        BundleEvent,
        _object(raw["commitment"], f"{where}.commitment"),
        raw["event_hash"],
        raw["leaf_index"],
        _hex_hashes(raw["inclusion_proof"], f"{where}.inclusion_proof"),
        {d: _blob(b, f"{where}.ciphertexts value") for d, b in ciphertexts.items()},
    )


def _case(raw: Any, where: str) -> BundleCase:
    raw = _object(raw, where, ("case_id", "events"))
    events = _list(raw["events"], f"{where}.events")
    parsed = [_event(event, f"{where}.events[{j}]") for j, event in enumerate(events)]
    return _built(where, BundleCase, raw["case_id"], parsed)


def _consistency(raw: Any, where: str) -> ConsistencyProof:
    raw = _object(raw, where, ("from_size", "proof"))
    proof = _hex_hashes(raw["proof"], f"{where}.proof")
    return _built(where, ConsistencyProof, raw["from_size"], proof)


def parse_bundle(data: str | bytes) -> Bundle:
    """The bundle in ``data`` (JSON, UTF-8); ``MalformedBundle`` says where it is not one."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedBundle("the bundle is not UTF-8 text") from None
    try:
        raw = json.loads(data, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except MalformedBundle:
        raise
    except ValueError as error:
        raise MalformedBundle(f"the bundle is not JSON: {error}") from None
    except RecursionError:
        raise MalformedBundle(
            "the bundle is not JSON this verifier reads: nested too deeply"
        ) from None
    top = _object(raw, "the bundle", _TOP)
    if top["format"] != FORMAT:
        raise MalformedBundle(f"the bundle's format is not {FORMAT}")
    consistency = _list(top["consistency"], "consistency")
    cases = _list(top["cases"], "cases")
    return _built(
        "the bundle",
        Bundle,
        _time(top["exported_at"], "exported_at"),
        top["origin"],
        top["checkpoint"],
        [_consistency(entry, f"consistency[{i}]") for i, entry in enumerate(consistency)],
        [_case(case, f"cases[{i}]") for i, case in enumerate(cases)],
    )
