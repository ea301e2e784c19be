"""``asb-ledger verify --all`` in one pass over the log, on every core.

Every stored event is read once, in notification order, and checked twice over:
- **its chain**: decoded through the ledger's own mapper (which refuses rows whose fields
  differ from their class's), its hash recomputed from the event (``ledger/chain.py``) and
  compared with the recorded one, its version the next of its case, and its ``prev_hash``
  the hash of that version; a record outside every chain (an access, idempotency, reference
  or erasure record) must be the first and only version of its stream. At the end, a case
  that a reference names but that has no events is missing.
- **the Merkle log** (``replay/log_check.py``): the same recomputed hash against the leaf
  the notary logged at its index, the tree's root against the signed checkpoint, and a
  pinned checkpoint against the log.
The first finding in log order wins; at one row, the chain's finding comes first.

Decoding and hashing, the bulk of the work, run in worker processes (one per core), each
on a range of notification positions; the parent folds their compact results in order.
A small store is checked in this process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Any
from uuid import UUID

from ledger import merkle
from ledger.application import CaseLedger
from ledger.chain import HASH_KEY
from ledger.erasure import ReferenceRegistered
from ledger.errors import IntegrityFailure
from ledger.events import CaseEvent
from ledger.integrity import GENESIS
from ledger.settings import Settings
from ledger.verify import UNREADABLE
from projections.notary import chained_topics, leaf_digest, logged_topics
from replay.log_check import LogCheck, LogFinding

CHUNK = 4000
"""Notification positions per task."""
IN_PROCESS = 20_000
"""Below this many notifications, no worker processes."""

CHAINED_TOPICS = frozenset(chained_topics())
"""Every hash-chained event: a case's, and those of the other streams that grow (a person's
record, an organisation's) or hold one event (an access record); each stream's chain is
checked version by version. Every other logged record stands alone."""

# One checked row: (position, originator bytes, version, topic kind, prev_hash, digest,
# reason, referenced case bytes, leaf hash). Kind: 0 a case event, 1 a one-event record,
# 2 a reference.
Checked = tuple[
    int, bytes, int, int, str | None, str | None, str | None, bytes | None, bytes | None
]


def check_notes(ledger: CaseLedger, start: int, stop: int) -> list[Checked]:
    """Decodes and hashes the notifications from ``start`` to ``stop`` (inclusive)."""
    topics = frozenset(logged_topics())
    out: list[Checked] = []
    for note in ledger.recorder.select_notifications(start, stop - start + 1, stop):
        originator = UUID(str(note.originator_id))
        version = note.originator_version
        kind = 0 if note.topic in CHAINED_TOPICS else 1
        if note.topic not in topics:
            out.append(
                (
                    note.id,
                    originator.bytes,
                    version,
                    kind,
                    None,
                    None,
                    f"{note.topic} is not an event the ledger writes",
                    None,
                    None,
                )
            )
            continue
        try:
            event: Any = ledger.mapper.to_domain_event(note)
            digest = leaf_digest(event)
        except IntegrityFailure as failure:
            out.append(
                (note.id, originator.bytes, version, kind, None, None, failure.reason, None, None)
            )
            continue
        except (*UNREADABLE, TypeError, ValueError) as error:
            unread = f"stored event cannot be decoded ({type(error).__name__})"
            out.append((note.id, originator.bytes, version, kind, None, None, unread, None, None))
            continue
        reason: str | None = None
        prev: str | None = None
        referenced: bytes | None = None
        if isinstance(event, CaseEvent):
            prev = str(event.prev_hash)
            if vars(event).get(HASH_KEY) != digest:
                reason = "event content does not match its recorded hash"
        elif isinstance(event, ReferenceRegistered):
            kind, referenced = 2, UUID(str(event.case_id)).bytes
        leaf = merkle.event_leaf_hash(digest)
        out.append(
            (note.id, originator.bytes, version, kind, prev, digest, reason, referenced, leaf)
        )
    return out


_worker: CaseLedger | None = None


def _start_worker(settings: Settings) -> None:
    global _worker
    _worker = CaseLedger(settings)


def _work(span: tuple[int, int]) -> list[Checked]:
    assert _worker is not None
    return check_notes(_worker, *span)


def scan(
    ledger: CaseLedger,
    *,
    workers: int | None = None,
    chunk: int = CHUNK,
    in_process: int = IN_PROCESS,
) -> Iterator[Checked]:
    """Every notification, checked, in order: by ``workers`` processes (default: one per
    core) in spans of ``chunk`` positions, unless the log is shorter than ``in_process``."""
    head = ledger.recorder.max_notification_id() or 0
    spans = [(start, min(start + chunk - 1, head)) for start in range(1, head + 1, chunk)]
    count = workers if workers is not None else (os.cpu_count() or 1)
    if head < in_process or count < 2:
        for span in spans:
            yield from check_notes(ledger, *span)
        return
    # At most two spans per worker are in flight, and they are taken in order. A pool of
    # futures (not ``Pool.imap``) so that stopping at the first finding cancels what is
    # queued and waits only for what is running: ``Pool.terminate`` can hang on a task
    # handler blocked mid-put once the workers are gone.
    context = multiprocessing.get_context("spawn")
    queue = iter(spans)
    with ProcessPoolExecutor(
        count, mp_context=context, initializer=_start_worker, initargs=(ledger.settings,)
    ) as pool:
        running = deque(pool.submit(_work, span) for span in islice(queue, 2 * count))
        try:
            while running:
                checked = running.popleft().result()
                following = next(queue, None)
                if following is not None:
                    running.append(pool.submit(_work, following))
                yield from checked
        finally:
            for future in running:
                future.cancel()


@dataclass(frozen=True)
class Finding:
    """The first thing found wrong: a case (or record) and version, or the checkpoint."""

    reason: str
    case_id: UUID | None = None
    version: int | None = None


@dataclass(frozen=True)
class Report:
    events: int
    cases: int
    finding: Finding | None
    log: Any = None  # the LogCheck, for its summary


class ChainCheck:
    """Each case's versions and links, folded row by row in log order."""

    def __init__(self, stored: Callable[[UUID, int], bool]) -> None:
        self.heads: dict[bytes, tuple[int, str]] = {}
        self.referenced: dict[bytes, None] = {}
        self.stored = stored
        """Whether the store holds a case's version (asked only when one is out of place)."""

    def feed(self, row: Checked) -> Finding | None:
        _, originator, version, kind, prev, digest, reason, referenced, _ = row
        if reason is None and kind == 0 and prev is not None:
            last_version, last_hash = self.heads.get(originator, (0, GENESIS))
            if version == last_version + 1 and prev == last_hash:  # the usual case, quickly
                assert digest is not None
                self.heads[originator] = (version, digest)
                return None
        case_id = UUID(bytes=originator)
        if kind == 0:
            # A case's versions first: the first bad version of a case is the one named.
            last_version = self.heads.get(originator, (0, GENESIS))[0]
            expected = last_version + 1
            if version > expected:
                where = (
                    "is stored out of its place in the log: inserted or moved"
                    if self.stored(case_id, expected)
                    else "is missing"
                )
                return Finding(f"version {expected} {where}", case_id, expected)
            if version < expected:
                return Finding(f"version {version} appears out of order", case_id, version)
        if reason is not None:
            return Finding(reason, case_id, version)
        assert digest is not None
        if kind != 0:
            if version != 1:
                return Finding(f"version {version} of a record that has only one", case_id, version)
            if prev is not None and prev != GENESIS:
                return Finding("prev_hash of a first event is not the genesis hash", case_id, 1)
            if referenced is not None:
                self.referenced[referenced] = None
            return None
        last_hash = self.heads.get(originator, (0, GENESIS))[1]
        if prev != last_hash:
            return Finding(
                "prev_hash does not match the previous event: an event before it was"
                " altered, removed or inserted",
                case_id,
                version,
            )
        self.heads[originator] = (version, digest)
        return None

    def finish(self) -> Finding | None:
        for case in self.referenced:
            if case not in self.heads:
                return Finding("the case's events are missing", UUID(bytes=case), 1)
        return None


def verify_ledger(
    ledger: CaseLedger,
    log: LogCheck | None,
    *,
    workers: int | None = None,
    chunk: int = CHUNK,
    in_process: int = IN_PROCESS,
    advance: Callable[[int], None] = lambda _: None,
) -> Report:
    """Checks every chain and, with ``log``, the store against the Merkle log, in one pass."""

    def stored(case_id: UUID, version: int) -> bool:
        return bool(ledger.recorder.select_events(case_id, gt=version - 1, lte=version))

    chain = ChainCheck(stored)
    events = 0
    for row in scan(ledger, workers=workers, chunk=chunk, in_process=in_process):
        events += 1
        found = chain.feed(row)
        if found is None and log is not None:
            logged = log.feed(row[1], row[2], row[8])
            if logged is not None:
                found = _finding(logged)
        if found is not None:
            return Report(events, len(chain.heads), found, log)
        if events % 1000 == 0:
            advance(1000)
    found = chain.finish()
    if found is None and log is not None:
        logged = log.finish()
        found = None if logged is None else _finding(logged)
    advance(events % 1000)
    return Report(events, len(chain.heads), found, log)


def _finding(found: LogFinding) -> Finding:
    return Finding(found.reason, found.case_id, found.version)
