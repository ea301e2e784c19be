"""The notary: every event hash, in the ledger's notification order, as a leaf of one RFC 9162
Merkle tree for the whole ledger, with signed checkpoints of its root (DESIGN §5).

It is a tracked view like the others (``projections/view.py``): the runner hands it pages of
notifications, and each page's leaves, perfect-subtree hashes, checkpoint and tracking commit
in one transaction, so every event is logged exactly once and a restart resumes where the
last page ended. Unlike the others it is never rebuilt: the tree is append-only, and on
PostgreSQL its tables reject ``UPDATE``, ``DELETE`` and ``TRUNCATE`` with triggers.

Tables (hashes as lowercase hex):
- ``asb_notary_leaves``: leaf ``leaf_index`` (dense from 0) is the event at notification
  ``position``: its case (originator) id, version, ``event_hash`` and leaf hash;
- ``asb_notary_subtrees``: every perfect subtree of two or more leaves, by (start, size): with
  the leaves, enough for any proof in O(log n) reads (``ledger/merkle.py``);
- ``asb_notary_checkpoints``: each signed checkpoint (C2SP signed note) by tree size;
- ``asb_notary_alarms``: each fork or inconsistency that stopped the notary.

On ingest it recomputes each event's hash from the event (``ledger/chain.py``, the code the
ledger uses) and checks it against the recorded one, and checks the version and ``prev_hash``
against what it logged last for that case. Anything else is a fork: the page rolls back, the
alarm is recorded and logged, and the notary goes no further until someone looks.

After each page it signs a checkpoint when ``every`` leaves or ``seconds`` have passed since
the last one (``tick()`` covers the quiet times), and only once the new root is shown to
extend the last signed one with a consistency proof read from its own tables.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from ledger import merkle
from ledger.chain import HASH_KEY, hash_event, hash_record
from ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    SignerKey,
    check_extends,
    sign,
    verify,
)
from ledger.checkpoint import parse as parse_note
from ledger.erasure import KeyDestroyed, ReferenceRegistered
from ledger.events import CaseEvent
from ledger.integrity import GENESIS, NotCanonicalisable
from ledger.type_names import stored_types, type_name
from ledger.verify import UNREADABLE
from projections.projection import PagedProjection
from projections.store import PostgresViewStore, ViewStore, Writer
from projections.view import LEDGER_NAME, View

log = structlog.get_logger("notary")

_ROWS_PER_INSERT = 100


def chained_topics() -> tuple[str, ...]:
    """The stored type name of every event that carries an ``event_hash``: case events,
    access records and idempotency records (each a ``CaseEvent``)."""
    return tuple(sorted(name for name, cls in stored_types().items() if issubclass(cls, CaseEvent)))


RECORDS: tuple[type, ...] = (ReferenceRegistered, KeyDestroyed)
"""Stored records outside every case's chain that the log also holds (``hash_record``), so
that removing or editing one is caught too: a case's reference, a key's destruction."""


def logged_topics() -> tuple[str, ...]:
    """Every topic the notary logs: the chained events, and ``RECORDS``."""
    return tuple(sorted({*chained_topics(), *(type_name(cls) for cls in RECORDS)}))


def leaf_digest(event: Any) -> str:
    """The hash the log holds for an event: its chain hash, recomputed from the event, or
    for one of ``RECORDS`` its record hash."""
    return hash_event(event) if isinstance(event, CaseEvent) else hash_record(event)


@dataclass(frozen=True)
class NotarySettings:
    """What the ingesting notary needs: its key, its log's name and when to sign."""

    signer: SignerKey
    origin: str
    every: int = 1000
    """Sign a checkpoint once this many leaves have been added since the last."""
    seconds: float = 60.0
    """... or once this many seconds have passed since the last, if any leaf was added."""
    witness: Path | None = None
    """A file outside the database where the notary keeps the last checkpoint it signed: it
    never signs again unless the tables still hold that checkpoint, or one that extends it."""

    def __post_init__(self) -> None:
        Checkpoint(self.origin, 0, merkle.EMPTY_ROOT)  # the origin must be a valid line
        if self.every < 1 or self.seconds < 0:
            raise ValueError("checkpoints need every >= 1 leaves and seconds >= 0")


class NotaryAlarm(RuntimeError):
    """The notary found a fork or an inconsistency and stopped: nothing of its page was kept."""

    def __init__(self, position: int, case_id: UUID | None, version: int | None, reason: str):
        where = f"case {case_id} version {version}" if case_id is not None else "the tree"
        super().__init__(f"notary stopped at position {position}, {where}: {reason}")
        self.position = position
        self.case_id = case_id
        self.version = version
        self.reason = reason


@dataclass(frozen=True)
class Leaf:
    """One logged event."""

    index: int
    position: int
    case_id: UUID
    version: int
    event_hash: str
    leaf_hash: bytes


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint as the notary stored it."""

    size: int
    root: bytes
    note: str
    signed_at: datetime


@dataclass
class _Ingest:
    """A page's work in hand: the growing tree and the rows still to write."""

    position: int
    tree: merkle.CompactRange
    last: SignedCheckpoint | None
    leaves: list[tuple[object, ...]] = field(default_factory=list)
    subtrees: list[tuple[object, ...]] = field(default_factory=list)
    heads: dict[UUID, tuple[int, str]] = field(default_factory=dict)
    force: bool = False
    signed: str | None = None


class _Hashes:
    """The notary's tables as a ``merkle.HashStore``, read through ``fetch``."""

    def __init__(self, notary: Notary, fetch: Callable[[str, tuple[object, ...]], Any]) -> None:
        self._notary = notary
        self._fetch = fetch

    def leaf(self, index: int) -> bytes:
        row = self._fetch(
            f"SELECT leaf_hash FROM {self._notary._leaves} WHERE leaf_index = ?",  # noqa: S608
            (index,),
        )
        if row is None:
            raise LookupError(f"leaf {index} is not in the notary's tables")
        return bytes.fromhex(str(row[0]))

    def subtree(self, start: int, size: int) -> bytes:
        row = self._fetch(
            f"SELECT hash FROM {self._notary._subtrees} WHERE start = ? AND size = ?",  # noqa: S608
            (start, size),
        )
        if row is None:
            raise LookupError(f"subtree [{start}, {start + size}) is not in the notary's tables")
        return bytes.fromhex(str(row[0]))


class _Prefetched:
    """A proof's hashes, read beforehand, as a ``merkle.HashStore``."""

    def __init__(self, found: dict[tuple[int, int], bytes]) -> None:
        self._found = found

    def leaf(self, index: int) -> bytes:
        return self._get(index, 1)

    def subtree(self, start: int, size: int) -> bytes:
        return self._get(start, size)

    def _get(self, start: int, size: int) -> bytes:
        try:
            return self._found[(start, size)]
        except KeyError:
            raise LookupError(f"[{start}, {start + size}) is not in the notary's tables") from None


class NotaryProjection(PagedProjection["Notary"]):
    """Every chained event becomes a leaf; anything else only moves the tracking."""

    topics = logged_topics()

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Not a chained event: nothing to log."""
        self.view.insert_tracking(tracking)

    @process_event.register(CaseEvent)
    def _logged(self, event: CaseEvent, tracking: Tracking) -> None:
        self.view.log(event, tracking.notification_id)
        self.view.insert_tracking(tracking)

    @process_event.register(ReferenceRegistered)
    @process_event.register(KeyDestroyed)
    def _record(self, event: Any, tracking: Tracking) -> None:
        self.view.log(event, tracking.notification_id)
        self.view.insert_tracking(tracking)


class Notary(View):
    """The Merkle log's tables; with ``settings`` it also ingests and signs, without them it
    only answers (checkpoints, leaves and proofs) from what is committed."""

    name = "notary"

    def __init__(
        self,
        store: ViewStore,
        *,
        suffix: str = "",
        application_name: str = LEDGER_NAME,
        settings: NotarySettings | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._leaves = store.table("asb_notary_leaves" + suffix)
        self._subtrees = store.table("asb_notary_subtrees" + suffix)
        self._checkpoints = store.table("asb_notary_checkpoints" + suffix)
        self._alarms = store.table("asb_notary_alarms" + suffix)
        self.settings = settings
        self._clock = clock or (lambda: datetime.now(UTC))
        self._alarm_lock = threading.Lock()
        super().__init__(store, suffix=suffix, application_name=application_name)

    def projection(self) -> NotaryProjection:
        if self.settings is None:
            raise RuntimeError("this notary has no signing key: it can answer, not ingest")
        return NotaryProjection(self)

    def table_statements(self) -> list[str]:
        uuid, bigint = self.store.types["uuid"], self.store.types["bigint"]
        index = self.store.ident
        base = "asb_notary" + self.suffix
        return [
            f"CREATE TABLE IF NOT EXISTS {self._leaves} ("
            f" leaf_index {bigint} PRIMARY KEY, position {bigint} NOT NULL UNIQUE,"
            f" originator_id {uuid} NOT NULL, version {bigint} NOT NULL,"
            " event_hash TEXT NOT NULL, leaf_hash TEXT NOT NULL,"
            " UNIQUE (originator_id, version))",
            f"CREATE TABLE IF NOT EXISTS {self._subtrees} ("
            f" start {bigint} NOT NULL, size {bigint} NOT NULL, hash TEXT NOT NULL,"
            " PRIMARY KEY (start, size))",
            f"CREATE TABLE IF NOT EXISTS {self._checkpoints} ("
            f" tree_size {bigint} PRIMARY KEY, root TEXT NOT NULL, note TEXT NOT NULL,"
            " signed_at TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self._alarms} ("
            f" position {bigint} PRIMARY KEY, case_id {uuid}, version {bigint},"
            " reason TEXT NOT NULL, raised_at TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {index(base + '_leaves_hash')}"
            f" ON {self._leaves} (event_hash)",
        ]

    def create_table(self) -> None:
        super().create_table()
        if isinstance(self.store, PostgresViewStore):
            self.store.create(self._append_only_statements())

    def _append_only_statements(self) -> list[str]:
        """PostgreSQL triggers that refuse to change or remove any row of the notary's tables."""
        function = self.store.table("asb_notary_append_only")
        statements = [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN RAISE EXCEPTION 'asb-ledger notary: % on % refused: the log is append-only',"
            " TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$"
        ]
        for table, base in (
            (self._leaves, "leaves"),
            (self._subtrees, "subtrees"),
            (self._checkpoints, "checkpoints"),
            (self._alarms, "alarms"),
        ):
            name = self.store.ident(f"asb_notary{self.suffix}_{base}_append_only")
            no_truncate = self.store.ident(f"asb_notary{self.suffix}_{base}_no_truncate")
            statements += [
                f"CREATE OR REPLACE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table}"
                f" FOR EACH ROW EXECUTE FUNCTION {function}()",
                f"CREATE OR REPLACE TRIGGER {no_truncate}"
                f" BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            ]
        return statements

    # -------------------------------------------------------------- ingesting (inside a page)

    @contextmanager
    def page(self, writer: Writer | None = None) -> Iterator[int]:
        """The base's page, with the tree resumed from the tables at its start; its leaves,
        subtrees and any checkpoint are written just before its tracking."""
        try:
            with super().page(writer) as start:
                force = bool(getattr(self._local, "force", False))
                ingest = self._local.ingest = self._resume(start)
                ingest.force = force
                try:
                    yield start
                    self._flush(ingest)
                    if self.settings is not None:
                        self._checkpoint_if_due(ingest)
                finally:
                    self._local.ingest = None
        except NotaryAlarm as alarm:
            self._record_alarm(alarm)
            raise
        except UNREADABLE as error:
            # A stored row the runner could not decode: nothing after it can be logged.
            stopped = NotaryAlarm(
                self.known_position + 1,
                None,
                None,
                f"a stored event after position {self.known_position} cannot be decoded"
                f" ({type(error).__name__})",
            )
            self._record_alarm(stopped)
            raise stopped from None
        if ingest.signed is not None:
            self._witness(ingest.signed)

    def _fetch(self, statement: str, params: tuple[object, ...]) -> Any:
        return self._writer().fetchone(self.store.sql(statement), params)

    def _resume(self, position: int) -> _Ingest:
        row = self._fetch(f"SELECT max(leaf_index) FROM {self._leaves}", ())  # noqa: S608
        size = 0 if row is None or row[0] is None else int(row[0]) + 1
        tree = merkle.CompactRange.resume(_Hashes(self, self._fetch), size)
        row = self._fetch(
            f"SELECT tree_size, root, note, signed_at FROM {self._checkpoints}"  # noqa: S608
            " ORDER BY tree_size DESC LIMIT 1",
            (),
        )
        return _Ingest(position, tree, None if row is None else _signed(row))

    def _ingest(self) -> _Ingest:
        ingest: _Ingest | None = getattr(self._local, "ingest", None)
        if ingest is None:
            raise RuntimeError("the notary logs events only inside a page")
        return ingest

    def log(self, event: Any, position: int) -> None:
        """Appends an event's hash as the next leaf, after checking it continues its case
        (for one of ``RECORDS``: that it is the next version of its own stream)."""
        ingest = self._ingest()
        case_id, version = event.originator_id, event.originator_version
        chained = isinstance(event, CaseEvent)
        try:
            digest = leaf_digest(event)
        except (NotCanonicalisable, TypeError, ValueError):
            raise NotaryAlarm(position, case_id, version, "the event cannot be hashed") from None
        if chained and vars(event).get(HASH_KEY) != digest:
            raise NotaryAlarm(
                position, case_id, version, "event content does not match its recorded hash"
            )
        last_version, last_hash = ingest.heads.get(case_id) or self._head(case_id)
        if version != last_version + 1:
            raise NotaryAlarm(
                position,
                case_id,
                version,
                f"version {version} follows version {last_version} in the log: a fork",
            )
        if chained and event.prev_hash != last_hash:
            raise NotaryAlarm(
                position,
                case_id,
                version,
                f"prev_hash is not the hash logged for version {last_version}: a fork",
            )
        leaf = merkle.event_leaf_hash(digest)
        index = ingest.tree.size
        for done in ingest.tree.append(leaf):
            ingest.subtrees.append((done.start, done.size, done.hash.hex()))
        ingest.leaves.append(
            (index, position, self.store.uuid_param(case_id), version, digest, leaf.hex())
        )
        ingest.heads[case_id] = (version, digest)
        ingest.position = position

    def _head(self, case_id: UUID) -> tuple[int, str]:
        row = self._fetch(
            f"SELECT version, event_hash FROM {self._leaves}"  # noqa: S608
            " WHERE originator_id = ? ORDER BY version DESC LIMIT 1",
            (self.store.uuid_param(case_id),),
        )
        return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))

    def _flush(self, ingest: _Ingest) -> None:
        writer = self._writer()
        for table, columns, rows in (
            (self._leaves, 6, ingest.leaves),
            (self._subtrees, 3, ingest.subtrees),
        ):
            for start in range(0, len(rows), _ROWS_PER_INSERT):
                chunk = rows[start : start + _ROWS_PER_INSERT]
                values = ", ".join(["(" + ", ".join("?" * columns) + ")"] * len(chunk))
                writer.execute(
                    self.store.sql(f"INSERT INTO {table} VALUES {values}"),  # noqa: S608
                    [value for row in chunk for value in row],
                )
        ingest.leaves.clear()
        ingest.subtrees.clear()

    def _checkpoint_if_due(self, ingest: _Ingest) -> None:
        assert self.settings is not None
        size, last = ingest.tree.size, ingest.last
        last_size = 0 if last is None else last.size
        if size <= last_size:
            return
        now = self._clock()
        due = (
            ingest.force
            or last is None
            or size - last_size >= self.settings.every
            or (now - last.signed_at).total_seconds() >= self.settings.seconds
        )
        if not due:
            return
        signer, origin = self.settings.signer, self.settings.origin
        new = Checkpoint(origin, size, ingest.tree.root())
        hashes = _Hashes(self, self._fetch)
        try:
            witnessed = self._witnessed()
            if witnessed is not None:
                # What this notary signed before must still be in the tables, or extended.
                held = (
                    None
                    if last is None
                    else verify(last.note, signer.private_key.public_key(), signer.name)
                )
                if held is None or held.size < witnessed.size:
                    raise CheckpointError(
                        f"its tables end at checkpoint {0 if held is None else held.size},"
                        f" before the {witnessed.size} it signed: they were cut back"
                    )
                proof = merkle.consistency_proof(hashes, witnessed.size, held.size)
                check_extends(witnessed, held, proof)
            if last is not None:
                previous = verify(
                    last.note, signer.private_key.public_key(), signer.name, origin=origin
                )
                check_extends(previous, new, merkle.consistency_proof(hashes, previous.size, size))
        except (CheckpointError, LookupError) as error:
            raise NotaryAlarm(
                ingest.position, None, None, f"will not sign tree size {size}: {error}"
            ) from None
        note = sign(new, signer.private_key, signer.name)
        ingest.signed = note
        self._writer().execute(
            self.store.sql(f"INSERT INTO {self._checkpoints} VALUES (?, ?, ?, ?)"),  # noqa: S608
            (size, new.root.hex(), note, now.astimezone(UTC).isoformat()),
        )
        ingest.last = SignedCheckpoint(size, new.root, note, now)
        log.info("notary.checkpoint", tree_size=size, root=new.root.hex())

    def _witnessed(self) -> Checkpoint | None:
        """The last checkpoint this notary signed, from its witness file (``None`` if it has
        none yet); a file it cannot trust is itself a reason to stop."""
        assert self.settings is not None
        path = self.settings.witness
        if path is None or not path.exists():
            return None
        signer = self.settings.signer
        try:
            note = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = f"its witness file cannot be read ({type(error).__name__})"
            raise CheckpointError(reason) from None
        return verify(note, signer.private_key.public_key(), signer.name)

    def _witness(self, note: str) -> None:
        """Keeps ``note`` (just committed) as the last signed, atomically, outside the database."""
        assert self.settings is not None
        path = self.settings.witness
        if path is None:
            return
        draft = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            draft.write_text(note, encoding="utf-8")
            if self._newer(note, path):
                draft.replace(path)
        except OSError as error:
            log.error("notary.witness_not_written", error=type(error).__name__)
        finally:
            draft.unlink(missing_ok=True)

    def _newer(self, note: str, path: Path) -> bool:
        """Whether ``note`` is larger than what the witness file holds (two notaries may share
        one file; the larger checkpoint extends the smaller, so it is the one to keep)."""
        try:
            held = parse_note(path.read_text(encoding="utf-8"))[0].size
        except (OSError, UnicodeDecodeError, CheckpointError):
            return True
        return parse_note(note)[0].size > held

    def tick(self, *, force: bool = False) -> None:
        """Signs a checkpoint now if one is due (``force``: if any leaf is not yet covered)."""
        self._local.force = force
        try:
            with self.page():
                pass
        finally:
            self._local.force = False

    def _record_alarm(self, alarm: NotaryAlarm) -> None:
        """Keeps the alarm in its own transaction (the page's rolled back) and logs it once."""
        with self._alarm_lock:
            try:
                with self.store.transaction() as tx:
                    seen = tx.fetchone(
                        self.store.sql(
                            f"SELECT 1 FROM {self._alarms} WHERE position = ?"  # noqa: S608
                        ),
                        (alarm.position,),
                    )
                    if seen is None:
                        tx.execute(
                            self.store.sql(
                                f"INSERT INTO {self._alarms} VALUES (?, ?, ?, ?, ?)"  # noqa: S608
                            ),
                            (
                                alarm.position,
                                None
                                if alarm.case_id is None
                                else self.store.uuid_param(alarm.case_id),
                                alarm.version,
                                alarm.reason,
                                self._clock().astimezone(UTC).isoformat(),
                            ),
                        )
            except Exception as error:  # the alarm is still raised; say it was not kept
                log.error("notary.alarm_not_recorded", error=type(error).__name__)
                seen = None
        if seen is None:
            log.error(
                "notary.alarm",
                position=alarm.position,
                case_id=None if alarm.case_id is None else str(alarm.case_id),
                version=alarm.version,
                reason=alarm.reason,
            )

    # -------------------------------------------------------------- answering (committed rows)

    def hashes(self) -> merkle.HashStore:
        """The committed tree as a ``merkle.HashStore``."""

        def fetch(statement: str, params: tuple[object, ...]) -> Any:
            rows = self.store.select(self.store.sql(statement), params)
            return rows[0] if rows else None

        return _Hashes(self, fetch)

    def tree_size(self) -> int:
        rows = self.store.select(f"SELECT max(leaf_index) FROM {self._leaves}")  # noqa: S608
        return 0 if not rows or rows[0][0] is None else int(rows[0][0]) + 1

    def latest_checkpoint(self) -> SignedCheckpoint | None:
        rows = self.store.select(
            f"SELECT tree_size, root, note, signed_at FROM {self._checkpoints}"  # noqa: S608
            " ORDER BY tree_size DESC LIMIT 1"
        )
        return _signed(rows[0]) if rows else None

    def checkpoint_at(self, size: int) -> SignedCheckpoint | None:
        rows = self.store.select(
            self.store.sql(
                f"SELECT tree_size, root, note, signed_at FROM {self._checkpoints}"  # noqa: S608
                " WHERE tree_size = ?"
            ),
            (size,),
        )
        return _signed(rows[0]) if rows else None

    def checkpoints(self) -> list[SignedCheckpoint]:
        """Every signed checkpoint, oldest first."""
        rows = self.store.select(
            f"SELECT tree_size, root, note, signed_at FROM {self._checkpoints}"  # noqa: S608
            " ORDER BY tree_size"
        )
        return [_signed(row) for row in rows]

    def _leaf_rows(self, where: str, params: tuple[object, ...]) -> list[Leaf]:
        rows = self.store.select(
            self.store.sql(
                "SELECT leaf_index, position, originator_id, version, event_hash, leaf_hash"  # noqa: S608
                f" FROM {self._leaves} WHERE {where}"
            ),
            params,
        )
        return [
            Leaf(
                int(r[0]),
                int(r[1]),
                self.store.uuid_value(r[2]),
                int(r[3]),
                str(r[4]),
                bytes.fromhex(str(r[5])),
            )
            for r in rows
        ]

    def leaf_at(self, index: int) -> Leaf | None:
        found = self._leaf_rows("leaf_index = ?", (index,))
        return found[0] if found else None

    def leaf_of(self, case_id: UUID, version: int) -> Leaf | None:
        found = self._leaf_rows(
            "originator_id = ? AND version = ?", (self.store.uuid_param(case_id), version)
        )
        return found[0] if found else None

    def leaf_by_hash(self, event_hash: str) -> Leaf | None:
        found = self._leaf_rows("event_hash = ? ORDER BY leaf_index LIMIT 1", (event_hash,))
        return found[0] if found else None

    def leaves_of(self, case_id: UUID) -> list[Leaf]:
        """The logged events of one case (or access record), by version."""
        return self._leaf_rows(
            "originator_id = ? ORDER BY version", (self.store.uuid_param(case_id),)
        )

    def leaf_page(self, start: int, limit: int) -> list[tuple[int, bytes, int, bytes]]:
        """Up to ``limit`` leaves from ``start`` as (index, case id bytes, version, leaf
        hash): what a check of every leaf compares, with nothing else built."""
        rows = self.store.select(
            self.store.sql(
                "SELECT leaf_index, originator_id, version, leaf_hash"  # noqa: S608
                f" FROM {self._leaves} WHERE leaf_index >= ? ORDER BY leaf_index LIMIT ?"
            ),
            (start, limit),
        )
        return [
            (int(r[0]), self.store.uuid_value(r[1]).bytes, int(r[2]), bytes.fromhex(str(r[3])))
            for r in rows
        ]

    def leaves(self, start: int, limit: int) -> list[Leaf]:
        """Up to ``limit`` leaves from index ``start``, in order."""
        return self._leaf_rows("leaf_index >= ? ORDER BY leaf_index LIMIT ?", (start, limit))

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """The audit path of leaf ``index`` at ``size``: its hashes read in one query."""
        plan = merkle.inclusion_plan(index, size)
        return merkle.inclusion_proof(self._prefetched(plan), index, size)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """The proof from ``old_size`` to ``new_size``: its hashes read in one query."""
        plan = merkle.consistency_plan(old_size, new_size)
        return merkle.consistency_proof(self._prefetched(plan), old_size, new_size)

    def _prefetched(self, plan: list[tuple[int, int]]) -> _Prefetched:
        """The leaves and perfect subtrees a proof's ranges read, fetched together (the
        plan is known before any read: at most ``2·⌈log2 n⌉`` rows)."""
        parts = [part for start, end in plan for part in merkle.perfect_subtrees(start, end)]
        leaves = sorted({start for start, size in parts if size == 1})
        nodes = sorted({(start, size) for start, size in parts if size > 1})
        selects, params = [], []
        if leaves:
            places = ", ".join("?" * len(leaves))
            selects.append(
                f"SELECT leaf_index, 1, leaf_hash FROM {self._leaves}"  # noqa: S608
                f" WHERE leaf_index IN ({places})"
            )
            params += leaves
        if nodes:
            pairs = " OR ".join(["(start = ? AND size = ?)"] * len(nodes))
            selects.append(
                f"SELECT start, size, hash FROM {self._subtrees} WHERE {pairs}"  # noqa: S608
            )
            params += [value for node in nodes for value in node]
        found: dict[tuple[int, int], bytes] = {}
        if selects:
            rows = self.store.select(self.store.sql(" UNION ALL ".join(selects)), params)
            found = {(int(r[0]), int(r[1])): bytes.fromhex(str(r[2])) for r in rows}
        return _Prefetched(found)

    def active_alarms(self) -> list[NotaryAlarm]:
        """The alarms the notary has not got past: it is still stopped at or before them."""
        position = self.position()
        return [alarm for alarm in self.alarms() if alarm.position > position]

    def alarms(self) -> list[NotaryAlarm]:
        rows = self.store.select(
            f"SELECT position, case_id, version, reason FROM {self._alarms}"  # noqa: S608
            " ORDER BY position"
        )
        return [
            NotaryAlarm(
                int(r[0]),
                None if r[1] is None else self.store.uuid_value(r[1]),
                None if r[2] is None else int(r[2]),
                str(r[3]),
            )
            for r in rows
        ]


def _signed(row: Any) -> SignedCheckpoint:
    return SignedCheckpoint(
        int(row[0]), bytes.fromhex(str(row[1])), str(row[2]), datetime.fromisoformat(str(row[3]))
    )
