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

After each page it signs a checkpoint when one is due (``projections/notary/signing.py``;
``tick()`` covers the quiet times). Its answers, proofs included, are in ``queries.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from ledger import merkle
from ledger.chain import HASH_KEY, hash_event, hash_record
from ledger.checkpoint import Checkpoint, CheckpointError
from ledger.erasure import KeyDestroyed, ReferenceRegistered
from ledger.events import CaseEvent
from ledger.integrity import GENESIS, NotCanonicalisable
from ledger.type_names import stored_types, type_name
from ledger.verify import UNREADABLE
from projections.notary.model import NotaryAlarm, SignedCheckpoint, signed_row
from projections.notary.queries import NotaryQueries, NotaryTables, TableHashes
from projections.notary.signing import NotarySettings, Signing
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


class Notary(View, NotaryQueries):
    """The Merkle log's tables; with ``settings`` it also ingests and signs, without them it
    only answers (checkpoints, leaves and proofs) from what is committed."""

    name = "notary"
    tables_type = NotaryTables
    projection_type = NotaryProjection
    tables: NotaryTables

    def __init__(
        self,
        store: ViewStore,
        *,
        suffix: str = "",
        application_name: str = LEDGER_NAME,
        settings: NotarySettings | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock or (lambda: datetime.now(UTC))
        self._signing = None if settings is None else Signing(settings, self._clock)
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
            f"CREATE TABLE IF NOT EXISTS {self.tables.leaves} ("
            f" leaf_index {bigint} PRIMARY KEY, position {bigint} NOT NULL UNIQUE,"
            f" originator_id {uuid} NOT NULL, version {bigint} NOT NULL,"
            " event_hash TEXT NOT NULL, leaf_hash TEXT NOT NULL,"
            " UNIQUE (originator_id, version))",
            f"CREATE TABLE IF NOT EXISTS {self.tables.subtrees} ("
            f" start {bigint} NOT NULL, size {bigint} NOT NULL, hash TEXT NOT NULL,"
            " PRIMARY KEY (start, size))",
            f"CREATE TABLE IF NOT EXISTS {self.tables.checkpoints} ("
            f" tree_size {bigint} PRIMARY KEY, root TEXT NOT NULL, note TEXT NOT NULL,"
            " signed_at TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.tables.alarms} ("
            f" position {bigint} PRIMARY KEY, case_id {uuid}, version {bigint},"
            " reason TEXT NOT NULL, raised_at TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {index(base + '_leaves_hash')}"
            f" ON {self.tables.leaves} (event_hash)",
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
        for base, table in self.tables.by_field().items():
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
                    if self._signing is not None:
                        self._checkpoint_if_due(self._signing, ingest)
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
        if ingest.signed is not None and self._signing is not None:
            self._signing.witness(ingest.signed)

    def _fetch(self, statement: str, params: tuple[object, ...]) -> Any:
        return self._writer().fetchone(self.store.sql(statement), params)

    def _page_hashes(self) -> TableHashes:
        """The tree as this page sees it (its own writes included)."""
        return TableHashes(self.tables, self._fetch)

    def _resume(self, position: int) -> _Ingest:
        row = self._fetch(f"SELECT max(leaf_index) FROM {self.tables.leaves}", ())  # noqa: S608
        size = 0 if row is None or row[0] is None else int(row[0]) + 1
        tree = merkle.CompactRange.resume(self._page_hashes(), size)
        row = self._fetch(
            f"SELECT tree_size, root, note, signed_at FROM {self.tables.checkpoints}"  # noqa: S608
            " ORDER BY tree_size DESC LIMIT 1",
            (),
        )
        return _Ingest(position, tree, None if row is None else signed_row(row))

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
            f"SELECT version, event_hash FROM {self.tables.leaves}"  # noqa: S608
            " WHERE originator_id = ? ORDER BY version DESC LIMIT 1",
            (self.store.uuid_param(case_id),),
        )
        return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))

    def _flush(self, ingest: _Ingest) -> None:
        writer = self._writer()
        for table, columns, rows in (
            (self.tables.leaves, 6, ingest.leaves),
            (self.tables.subtrees, 3, ingest.subtrees),
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

    def _checkpoint_if_due(self, signing: Signing, ingest: _Ingest) -> None:
        size, now = ingest.tree.size, self._clock()
        if not signing.due(size, ingest.last, now, force=ingest.force):
            return
        new = Checkpoint(signing.settings.origin, size, ingest.tree.root())
        try:
            note = signing.sign(new, ingest.last, self._page_hashes())
        except (CheckpointError, LookupError) as error:
            raise NotaryAlarm(
                ingest.position, None, None, f"will not sign tree size {size}: {error}"
            ) from None
        ingest.signed = note
        self._writer().execute(
            self.store.sql(f"INSERT INTO {self.tables.checkpoints} VALUES (?, ?, ?, ?)"),  # noqa: S608
            (size, new.root.hex(), note, now.astimezone(UTC).isoformat()),
        )
        ingest.last = SignedCheckpoint(size, new.root, note, now)
        log.info("notary.checkpoint", tree_size=size, root=new.root.hex())

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
                            f"SELECT 1 FROM {self.tables.alarms} WHERE position = ?"  # noqa: S608
                        ),
                        (alarm.position,),
                    )
                    if seen is None:
                        tx.execute(
                            self.store.sql(
                                f"INSERT INTO {self.tables.alarms} VALUES (?, ?, ?, ?, ?)"  # noqa: S608
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
