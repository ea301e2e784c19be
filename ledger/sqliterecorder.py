"""A leaner SQLite application recorder: one autocommit ``INSERT ... RETURNING`` per event.

The library's recorder takes a pooled connection through reader-writer interlocks, sends
``BEGIN``, inserts, reads ``lastrowid`` and commits. Here one writer connection, guarded by
a lock, sends a single-event save as one autocommit statement (its own transaction), and
wraps several events in ``BEGIN IMMEDIATE ... COMMIT``. SQLite admits one writer at a time
and assigns the rowid (the notification id) inside the writing transaction, so ids still
follow commit order. Reads are the library's, on the same table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    IntegrityError,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteApplicationRecorder,
    SQLiteDatastore,
)

from ledger.sqlitelock import write_lock


class LeanSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """The library's SQLite recorder, with a one-statement insert on its own connection."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)
        table = self.events_table_name  # set in code, never from input
        self._insert = f"INSERT INTO {table} VALUES (?,?,?,?) RETURNING rowid"  # noqa: S608
        self._writer: sqlite3.Connection | None = None
        # Shared with the key table and the views on the same file (ledger/sqlitelock.py).
        self._lock = write_lock(datastore.pool.db_name)

    def _connection(self) -> sqlite3.Connection:
        if self._writer is None:
            pool = self.datastore.pool
            self._writer = sqlite3.connect(
                pool.db_name,
                uri=True,
                check_same_thread=False,
                isolation_level=None,
                timeout=pool.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT,
            )
        return self._writer

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        rows = [
            (
                e.originator_id.hex if isinstance(e.originator_id, UUID) else e.originator_id,
                e.originator_version,
                e.topic,
                e.state,
            )
            for e in stored_events
        ]
        with self._lock:
            conn = self._connection()
            try:
                if len(rows) == 1:
                    return [conn.execute(self._insert, rows[0]).fetchone()[0]]
                conn.execute("BEGIN IMMEDIATE")
                try:
                    ids = [conn.execute(self._insert, row).fetchone()[0] for row in rows]
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                return ids
            except sqlite3.IntegrityError as error:
                raise IntegrityError(error) from error
            except sqlite3.OperationalError as error:
                raise OperationalError(error) from error
            except sqlite3.Error as error:
                raise PersistenceError(error) from error

    def close(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None


def lean_application_recorder(
    datastore: SQLiteDatastore, create_table: bool
) -> SQLiteApplicationRecorder:
    """The lean recorder on a factory's datastore, with the library's table."""
    recorder = LeanSQLiteApplicationRecorder(datastore)
    if create_table:
        recorder.create_table()
    return recorder
