"""The offline verifier: an export bundle checked against the notary's public key, no database.

It depends only on the standard library, ``cryptography`` (through ``ledger.checkpoint``)
and the project's pure modules: ``ledger.integrity`` (the code the ledger itself hashes
events with), ``ledger.merkle``, ``ledger.checkpoint`` and ``replay.bundle``. Checks run
in this order, and the first failure is the one reported (``docs/verifying.md``):

1. the bundle's checkpoint is signed by the key, for the bundle's origin;
2. with a pinned checkpoint (``--since``): it is signed by the same key, it is not larger
   than the bundle's (a rollback), and a consistency proof leads from it to the bundle's;
3. each case in bundle order, each event in list order (which must be version order):
   its hash, its case, its version, its ``prev_hash``, its ciphertexts, its leaf (inside
   the tree, not claimed twice) and its inclusion proof.

Reasons name versions, sizes and leaf indices, never field values or ciphertext.
Run it as ``python -m replay.offline BUNDLE --key notary.pub [--since CHECKPOINT]``.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TextIO

from ledger import merkle
from ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    Inconsistent,
    MalformedNote,
    VerifierKey,
    check_extends,
    parse,
    verify,
)
from ledger.integrity import GENESIS, NotCanonicalisable, hash_commitment
from replay.bundle import Bundle, BundleCase, BundleEvent, MalformedBundle, parse_bundle
from replay.sar_bundle import SarBundleFailed, is_sar_bundle
from replay.sar_bundle import check as check_sar


@dataclass(frozen=True, slots=True)
class Result:
    """The verdict: intact, or the first failure (a case and version, or the checkpoint)."""

    intact: bool
    case_id: str | None = None
    version: int | None = None
    reason: str | None = None
    cases: int = 0
    events: int = 0

    def line(self) -> str:
        """``intact``, ``FAILED case <id> version <n>: <reason>`` or ``FAILED checkpoint: ...``."""
        if self.intact:
            return "intact"
        if self.case_id is None:
            return f"FAILED checkpoint: {self.reason}"
        return f"FAILED case {self.case_id} version {self.version}: {self.reason}"


class _Failed(Exception):
    def __init__(self, reason: str, case_id: str | None = None, version: int | None = None):
        super().__init__(reason)
        self.reason, self.case_id, self.version = reason, case_id, version


def verify_bundle(bundle: Bundle, key: VerifierKey, since: str | None = None) -> Result:
    """Check ``bundle`` against ``key``, and against the pinned checkpoint note ``since``."""
    try:
        checkpoint = _signed(bundle.checkpoint, key, bundle.origin, "")
        if since is not None:
            pinned = _signed(since, key, bundle.origin, "the pinned checkpoint: ")
            _extends_pinned(bundle, checkpoint, pinned)
        claimed: set[int] = set()
        for case in bundle.cases:
            _check_case(case, checkpoint, claimed)
    except _Failed as failure:
        return Result(False, failure.case_id, failure.version, failure.reason)
    events = sum(len(case.events) for case in bundle.cases)
    return Result(True, cases=len(bundle.cases), events=events)


def _signed(note: str, key: VerifierKey, origin: str, prefix: str) -> Checkpoint:
    try:
        return verify(note, key.public_key, key.name, origin=origin)
    except MalformedNote as error:
        raise _Failed(f"{prefix}the checkpoint note is malformed: {error}") from None
    except CheckpointError as error:
        raise _Failed(f"{prefix}{error}") from None


def _extends_pinned(bundle: Bundle, checkpoint: Checkpoint, pinned: Checkpoint) -> None:
    old, new = pinned.size, checkpoint.size
    if old > new:
        raise _Failed(f"the ledger was rolled back: {old} leaves were pinned, the bundle has {new}")
    if old == new and pinned.root != checkpoint.root:
        raise _Failed(f"the log forked: the pinned checkpoint has another root at size {new}")
    proofs = {entry.from_size: entry.proof for entry in bundle.consistency}
    if 0 < old < new and old not in proofs:
        raise _Failed(f"the bundle holds no consistency proof from the pinned size {old}")
    try:
        check_extends(pinned, checkpoint, proofs.get(old, ()))
    except Inconsistent as error:
        raise _Failed(f"the log was rewritten or forked: {error}") from None


def _check_case(case: BundleCase, checkpoint: Checkpoint, claimed: set[int]) -> None:
    if not case.events:
        raise _Failed("the case's events are missing", case.case_id, 1)
    listed = {v for e in case.events if type(v := e.commitment.get("version")) is int}
    previous = GENESIS
    for expected, event in enumerate(case.events, start=1):
        _check_event(case.case_id, expected, event, previous, listed)
        _check_included(case.case_id, expected, event, checkpoint, claimed)
        previous = event.event_hash


def _check_event(
    case_id: str, expected: int, event: BundleEvent, previous: str, listed: set[int]
) -> None:
    def fail(reason: str, version: int = expected) -> NoReturn:
        raise _Failed(reason, case_id, version)

    body = event.commitment
    try:
        digest = hash_commitment(body)
    except (NotCanonicalisable, UnicodeEncodeError, RecursionError):
        fail("the commitment holds a value that canonical JSON cannot express")
    if digest != event.event_hash:
        fail("the event's content does not match its hash")
    if body.get("case_id") != case_id:
        fail("the event belongs to another case")
    version = body.get("version")
    if type(version) is not int or version < 1:
        fail("the event's version is not a positive integer")
    if version < expected:
        fail(f"version {version} appears twice", version)
    if version > expected:
        where = f"is listed after version {version}" if expected in listed else "is missing"
        fail(f"version {expected} {where}")
    if body.get("prev_hash") != previous:
        if expected == 1:
            fail("prev_hash of the first event is not the genesis hash")
        fail(
            "prev_hash does not match the previous event: an event before it was"
            " altered, removed or inserted"
        )
    sealed = set(_sealed_digests(body.get("fields")))
    for digest in sorted(event.ciphertexts):
        if hashlib.sha256(event.ciphertexts[digest]).hexdigest() != digest:
            fail("a ciphertext does not match its digest")
        if digest not in sealed:
            fail("a ciphertext is not the digest of any sealed field of the event")


def _sealed_digests(fields: Any) -> Iterator[str]:
    """The digests of the sealed fields (``{"sealed": <digest>, "scope": ...}``) at any depth."""
    stack = [fields]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if value.keys() == {"sealed", "scope"} and isinstance(value["sealed"], str):
                yield value["sealed"]
            else:
                stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _check_included(
    case_id: str, version: int, event: BundleEvent, checkpoint: Checkpoint, claimed: set[int]
) -> None:
    index, size = event.leaf_index, checkpoint.size
    if index >= size:
        raise _Failed(
            f"not covered by the checkpoint: leaf {index} is beyond its {size} leaves",
            case_id,
            version,
        )
    if index in claimed:
        raise _Failed(f"leaf {index} is claimed by another event too", case_id, version)
    claimed.add(index)
    leaf = merkle.event_leaf_hash(event.event_hash)
    try:
        merkle.verify_inclusion(leaf, index, size, event.inclusion_proof, checkpoint.root)
    except merkle.InvalidProof as error:
        reason = f"the event is not in the checkpoint's tree: {error}"
        raise _Failed(reason, case_id, version) from None


class BadUsage(ValueError):
    """An input the verifier cannot start from: a missing file, a malformed bundle or key."""


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise BadUsage(f"cannot read the {what} {path}: {error.strerror or error}") from None


def load(
    bundle_path: Path, key_path: Path, since_path: Path | None = None
) -> tuple[Bundle, VerifierKey, str | None]:
    """The bundle, the key and the pinned note from their files; ``BadUsage`` says what is wrong."""
    try:
        bundle = parse_bundle(_read(bundle_path, "bundle"))
    except MalformedBundle as error:
        raise BadUsage(f"{bundle_path} is not a bundle: {error}") from None
    try:
        key = VerifierKey.parse(_read(key_path, "key").decode("utf-8"))
    except ValueError as error:
        raise BadUsage(f"{key_path} is not a verifier key: {error}") from None
    if since_path is None:
        return bundle, key, None
    try:
        since = _read(since_path, "pinned checkpoint").decode("utf-8")
        parse(since)
    except ValueError as error:
        raise BadUsage(f"{since_path} is not a checkpoint note: {error}") from None
    return bundle, key, since


def run(
    bundle_path: Path,
    key_path: Path,
    since_path: Path | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Verify the files and print the verdict: 0 intact, 1 a check failed, 2 bad usage."""
    out, err = out or sys.stdout, err or sys.stderr
    if since_path is None and is_sar_bundle(_peek(bundle_path)):
        return _run_sar(bundle_path, key_path, out, err)
    try:
        bundle, key, since = load(bundle_path, key_path, since_path)
    except BadUsage as error:
        print(f"verify: {error}".splitlines()[0], file=err)
        return 2
    result = verify_bundle(bundle, key, since)
    if result.intact:
        print(f"{result.cases} cases, {result.events} events checked", file=err)
    print(result.line(), file=out)
    return 0 if result.intact else 1


def _peek(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""  # load() reports it


def _run_sar(bundle_path: Path, key_path: Path, out: TextIO, err: TextIO) -> int:
    """A subject access response's bundle (``replay/sar_bundle.py``) and its report."""
    try:
        key = VerifierKey.parse(_read(key_path, "key").decode("utf-8"))
    except (BadUsage, ValueError) as error:
        print(f"verify: {key_path} is not a verifier key: {error}".splitlines()[0], file=err)
        return 2
    try:
        events, sar_id = check_sar(bundle_path, key)
    except SarBundleFailed as failure:
        print(f"FAILED subject access response: {failure}", file=out)
        return 1
    print(f"subject access response {sar_id}: {events} cited events checked", file=err)
    print("intact", file=out)
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"verify: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m replay.offline BUNDLE --key notary.pub [--since CHECKPOINT]``."""
    parser = _Parser(
        prog="python -m replay.offline",
        description="Check an asb-ledger export bundle against the notary's public key.",
    )
    parser.add_argument("bundle", type=Path, help="the exported bundle (JSON)")
    parser.add_argument("--key", type=Path, required=True, help="the notary's verifier key")
    parser.add_argument("--since", type=Path, help="an earlier checkpoint note, pinned")
    args = parser.parse_args(argv)
    return run(args.bundle, args.key, args.since)


if __name__ == "__main__":
    sys.exit(main())
