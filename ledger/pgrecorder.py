"""A PostgreSQL application recorder whose insert is one server-side call, table lock included.

The library's ``PostgresApplicationRecorder`` makes six round trips per save (BEGIN,
SET LOCAL, LOCK TABLE, NOTIFY, INSERT ... RETURNING, COMMIT) and holds the table lock
across all of them. Here ``create_table`` also creates a PL/pgSQL function that does
the same work inside the server: it takes the same ``LOCK TABLE ... IN EXCLUSIVE MODE``,
issues the same notification (``pg_notify`` on the library's channel), inserts the rows
and returns their notification ids. The recorder calls it as one statement in
autocommit, so the lock is held only for the server-side work, and since it is held
until commit, notification ids still follow commit order: a reader never sees a gap
that a slower transaction fills in later. A duplicate ``(originator_id,
originator_version)`` still raises the library's ``IntegrityError``.

The table layout is the library's, so ``select_notifications``, ``max_notification_id``,
``select_events`` and ``subscribe`` are inherited unchanged. ``POSTGRES_ENABLE_DB_FUNCTIONS``
is ignored: the library's own function takes no table lock, so it is not used.

Saves from several threads that arrive while an insert is in flight are sent together
in the next call (``GroupCommit``): they share one table lock and one commit, which is
what lets writers scale although the lock serialises them. Since a recorder then sends
one insert at a time, it keeps one pooled connection for them (``WriterConnection``).

``FastPostgresProcessRecorder`` does the same for process applications: the tracking
record is written by the server-side call too, in the same transaction as the events.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.persistence import (
    ApplicationRecorder,
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
    StoredEvent,
    Tracking,
)
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
    PostgresProcessRecorder,
)
from eventsourcing.utils import retry
from psycopg import Connection
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier, Literal

# The same lock as the library's recorder: it serialises writers so that notification
# ids are issued and committed in the same order. It is held until the commit.
_LOCK_AND_NOTIFY = """\
    SET LOCAL lock_timeout = {lock_timeout};
    LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE;
    PERFORM pg_notify({channel}, '');"""

_CREATE_INSERT_FUNCTION = """\
CREATE OR REPLACE FUNCTION {schema}.{function}(
    p_ids {id_type}[], p_versions bigint[], p_topics text[], p_states bytea[]
) RETURNS SETOF bigint
LANGUAGE plpgsql
AS $BODY$
BEGIN
LOCK_AND_NOTIFY
    RETURN QUERY
        INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state)
        SELECT * FROM unnest(p_ids, p_versions, p_topics, p_states)
        RETURNING notification_id;
END;
$BODY$""".replace("LOCK_AND_NOTIFY", _LOCK_AND_NOTIFY)

# One event per save is the common case; scalars spare building and unnesting arrays.
_CREATE_INSERT_ONE_FUNCTION = """\
CREATE OR REPLACE FUNCTION {schema}.{function}(
    p_id {id_type}, p_version bigint, p_topic text, p_state bytea
) RETURNS bigint
LANGUAGE plpgsql
AS $BODY$
DECLARE
    inserted bigint;
BEGIN
LOCK_AND_NOTIFY
    INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state)
    VALUES (p_id, p_version, p_topic, p_state)
    RETURNING notification_id INTO inserted;
    RETURN inserted;
END;
$BODY$""".replace("LOCK_AND_NOTIFY", _LOCK_AND_NOTIFY)

_CREATE_TRACKED_FUNCTION = """\
CREATE OR REPLACE FUNCTION {schema}.{function}(
    p_ids {id_type}[], p_versions bigint[], p_topics text[], p_states bytea[],
    p_application_name text, p_notification_id bigint
) RETURNS SETOF bigint
LANGUAGE plpgsql
AS $BODY$
BEGIN
    INSERT INTO {schema}.{tracking} AS t (application_name, notification_id)
    VALUES (p_application_name, p_notification_id)
    ON CONFLICT (application_name) DO UPDATE SET notification_id = p_notification_id
    WHERE t.notification_id < p_notification_id;
    IF NOT FOUND THEN
        RAISE unique_violation USING MESSAGE = format(
            'Failed to record tracking for %s %s', p_application_name, p_notification_id);
    END IF;
    IF cardinality(p_ids) > 0 THEN
        RETURN QUERY SELECT * FROM {schema}.{insert}(p_ids, p_versions, p_topics, p_states);
    END IF;
END;
$BODY$"""


def _columns(
    stored_events: Sequence[StoredEvent],
) -> tuple[list[Any], list[int], list[str], list[bytes]]:
    return (
        [e.originator_id for e in stored_events],
        [e.originator_version for e in stored_events],
        [e.topic for e in stored_events],
        [e.state for e in stored_events],
    )


Send = Callable[[Sequence[StoredEvent]], list[int]]


class _Pending:
    __slots__ = ("done", "error", "events", "ids", "lead", "ready")

    def __init__(self, events: Sequence[StoredEvent]) -> None:
        self.events = events
        self.ids: list[int] = []
        self.error: BaseException | None = None
        self.done = False
        self.lead = False
        self.ready = threading.Event()


class GroupCommit:
    """Saves that arrive while another is in flight share the next call: one lock, one commit.

    The first caller sends at once. Callers arriving meanwhile queue; when the call in
    flight returns, the first of them sends all the queued events in one call and the
    rest wait for it. Nobody waits on a timer. If a shared call meets a conflict, each
    queued save is sent again alone, so only the conflicting save fails.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._queue: list[_Pending] = []
        self._busy = False

    def __call__(self, events: Sequence[StoredEvent], send: Send) -> list[int]:
        """Sends ``events`` (alone or with others' events) and returns their positions."""
        mine = _Pending(events)
        with self._mutex:
            self._queue.append(mine)
            lead, self._busy = not self._busy, True
        if not lead:
            mine.ready.wait()
        if lead or mine.lead:
            self._lead(send)
        if mine.error is not None:
            raise mine.error
        return mine.ids

    def _lead(self, send: Send) -> None:
        with self._mutex:
            batch, self._queue = self._queue, []
        try:
            self._run(batch, send)
        except BaseException as error:
            for pending in batch:
                if not pending.done:
                    pending.error, pending.done = error, True
            raise
        finally:
            with self._mutex:
                if self._queue:
                    self._queue[0].lead = True
                    self._queue[0].ready.set()
                else:
                    self._busy = False
            for pending in batch:
                pending.ready.set()

    @staticmethod
    def _run(batch: list[_Pending], send: Send) -> None:
        if len(batch) > 1:
            try:
                ids = send([event for pending in batch for event in pending.events])
            except IntegrityError:
                pass  # someone's conflict: send each alone below
            except Exception as error:
                for pending in batch:
                    pending.error, pending.done = error, True
                return
            else:
                start = 0
                for pending in batch:
                    end = start + len(pending.events)
                    pending.ids, pending.done, start = ids[start:end], True, end
                return
        for pending in batch:
            try:
                pending.ids = send(pending.events)
            except Exception as error:
                pending.error = error
            pending.done = True


_ERRORS: tuple[tuple[type[psycopg.Error], type[PersistenceError]], ...] = (
    (psycopg.InterfaceError, InterfaceError),
    (psycopg.OperationalError, OperationalError),
    (psycopg.DataError, DataError),
    (psycopg.IntegrityError, IntegrityError),
    (psycopg.InternalError, InternalError),
    (psycopg.ProgrammingError, ProgrammingError),
    (psycopg.NotSupportedError, NotSupportedError),
    (psycopg.DatabaseError, DatabaseError),
)


def _library_error(error: psycopg.Error) -> PersistenceError:
    """The library's exception for a psycopg one, as ``PostgresDatastore`` maps them."""
    for theirs, ours in _ERRORS:
        if isinstance(error, theirs):
            return ours(str(error))
    return PersistenceError(str(error))


class WriterConnection:
    """The one pooled connection a recorder's inserts use, kept between inserts.

    Group commit sends one insert at a time, so one connection is enough; keeping it
    spares the pool's round robin (it hands out its idle connections oldest first, so
    every save would wake a different backend). It goes back to the pool when it breaks,
    outlives the pool's ``max_lifetime``, or the recorder is closed. A pool with room
    for only one connection is left to the other readers: then each insert borrows.
    """

    def __init__(self, datastore: PostgresDatastore) -> None:
        self._datastore = datastore
        self._conn: Connection[Any] | None = None
        self._expires = 0.0

    @contextmanager
    def connection(self) -> Iterator[Connection[Any]]:
        pool = self._datastore.pool
        if pool.max_size < 2:
            with self._datastore.get_connection() as borrowed:
                yield borrowed
            return
        conn = self._conn
        try:
            if conn is None or conn.closed or time.monotonic() > self._expires:
                self.release()
                timeout = self._datastore.pool_open_timeout
                pool.open(timeout is not None, timeout or 30.0)
                conn = self._conn = pool.getconn()
                self._expires = time.monotonic() + pool.max_lifetime
            yield conn
        except psycopg.Error as error:
            if (
                conn is not None and (conn.broken or conn.closed or not conn.autocommit)
            ) or isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
                self.release()
            raise _library_error(error) from error
        except BaseException:
            self.release()  # interrupted mid-statement: the connection's state is unknown
            raise

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                self._datastore.pool.putconn(conn)


class FastPostgresApplicationRecorder(PostgresApplicationRecorder):
    """The library's application recorder, inserting with one locked server-side call."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        **kwargs: Any,
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name, **kwargs)
        self.fast_insert_function = f"{self.events_table_name}_fast_insert"
        self.fast_insert_one_function = f"{self.events_table_name}_fast_insert_one"
        self.check_identifier_length(self.fast_insert_one_function)
        schema = Identifier(self.datastore.schema)
        # "uuid" or "text": the datastore refuses anything else.
        id_type = SQL(self.datastore.originator_id_type)
        names = {
            "schema": schema,
            "id_type": id_type,
            "table": Identifier(self.events_table_name),
            "channel": Literal(self.channel_name),
            "lock_timeout": Literal(f"{int(self.datastore.lock_timeout)}s"),
        }
        for template, function in (
            (_CREATE_INSERT_FUNCTION, self.fast_insert_function),
            (_CREATE_INSERT_ONE_FUNCTION, self.fast_insert_one_function),
        ):
            self.sql_create_statements.append(
                SQL(template).format(function=Identifier(function), **names)
            )
        # Binary parameters (%b): text-encoding a bytea array costs more than the call.
        self.fast_insert_statement: Composed = SQL(
            "SELECT id FROM {schema}.{function}("
            "%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[]) AS t(id)"
        ).format(schema=schema, function=Identifier(self.fast_insert_function), id_type=id_type)
        self.fast_insert_one_statement: Composed = SQL(
            "SELECT {schema}.{function}(%b::{id_type}, %b::bigint, %b::text, %b::bytea)"
        ).format(schema=schema, function=Identifier(self.fast_insert_one_function), id_type=id_type)
        self._group_commit = GroupCommit()
        self.writer = WriterConnection(datastore)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return self._fast_insert(stored_events, kwargs.get("tracking"))

    def _fast_insert(
        self, stored_events: Sequence[StoredEvent], tracking: Tracking | None
    ) -> list[int]:
        # Like the library's application recorder, this one ignores tracking.
        if not stored_events:
            return []
        return self._group_commit(stored_events, self._send)

    def _send(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        """One statement in autocommit: its own transaction, one round trip."""
        if len(stored_events) == 1:
            e = stored_events[0]
            statement = self.fast_insert_one_statement
            params: Sequence[Any] = (e.originator_id, e.originator_version, e.topic, e.state)
        else:
            statement, params = self.fast_insert_statement, _columns(stored_events)
        with self.writer.connection() as conn:
            return _execute(conn, statement, params)

    def close(self) -> None:
        """Gives the writer connection back to the pool."""
        self.writer.release()


def _execute(conn: Connection[Any], statement: Composed, params: Sequence[Any]) -> list[int]:
    assert conn.autocommit
    with conn.cursor(row_factory=tuple_row) as curs:
        curs.execute(statement, params, prepare=True)
        return [row[0] for row in curs.fetchall()]


class FastPostgresProcessRecorder(FastPostgresApplicationRecorder, PostgresProcessRecorder):
    """The library's process recorder, writing tracking and events in one server-side call."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        tracking_table_name: str = "notification_tracking",
    ) -> None:
        super().__init__(
            datastore, events_table_name=events_table_name, tracking_table_name=tracking_table_name
        )
        self.fast_tracked_function = f"{self.events_table_name}_fast_tracked"
        self.check_identifier_length(self.fast_tracked_function)
        schema = Identifier(self.datastore.schema)
        id_type = SQL(self.datastore.originator_id_type)
        self.sql_create_statements.append(
            SQL(_CREATE_TRACKED_FUNCTION).format(
                schema=schema,
                function=Identifier(self.fast_tracked_function),
                id_type=id_type,
                tracking=Identifier(self.tracking_table_name),
                insert=Identifier(self.fast_insert_function),
            )
        )
        self.fast_tracked_statement: Composed = SQL(
            "SELECT id FROM {schema}.{function}("
            "%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[], %b::text, %b::bigint) AS t(id)"
        ).format(schema=schema, function=Identifier(self.fast_tracked_function), id_type=id_type)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        tracking: Tracking | None = kwargs.get("tracking")
        if tracking is not None and not self.datastore.single_row_tracking:
            # Legacy multi-row tracking tables keep the library's transaction.
            ids: Sequence[int] | None = PostgresApplicationRecorder.insert_events(
                self, stored_events, tracking=tracking
            )
        else:
            ids = super().insert_events(stored_events, **kwargs)
        return ids

    def _fast_insert(
        self, stored_events: Sequence[StoredEvent], tracking: Tracking | None
    ) -> list[int]:
        if tracking is None:
            return super()._fast_insert(stored_events, tracking)
        params = (*_columns(stored_events), tracking.application_name, tracking.notification_id)
        with self.datastore.get_connection() as conn:
            return _execute(conn, self.fast_tracked_statement, params)


def fast_application_recorder(factory: PostgresFactory) -> ApplicationRecorder:
    """The fast recorder on a factory's datastore, with the table the factory would use."""
    recorder = FastPostgresApplicationRecorder(
        factory.datastore, events_table_name=f"{factory.env.name.lower() or 'stored'}_events"
    )
    if factory.env_create_table():
        # Processes starting together (server workers, verify's workers) race in the
        # catalogue: PostgreSQL then fails one with "tuple concurrently updated". The
        # statements are idempotent, so the loser tries again.
        for attempt in range(5):
            try:
                recorder.create_table()
                break
            except PersistenceError:
                if attempt == 4:
                    raise
                time.sleep(0.05 * (attempt + 1))
    return recorder
