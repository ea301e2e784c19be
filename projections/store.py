"""Connections for views to the events' own database: the SQLite file or the PostgreSQL schema.

Views write through the smallest interface that lets a whole page of events and its tracking
position go in one transaction (``transaction()``), and read with ``select()``. SQL is written
once with ``?`` placeholders and rendered for each store by ``sql()``; the few differences
(column types, lists as parameters, row locks, value conversions) live here.
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

if TYPE_CHECKING:
    from ledger.settings import StoreConfig
from ledger.sqlitelock import write_lock

Row = tuple[Any, ...]
_DDL_LOCK = 0x_A5B_1ED6  # advisory lock key: one process at a time creates view tables


class UnsupportedStore(RuntimeError):
    """Views need a database of their own beside the events; the in-memory store has none."""


class Writer(Protocol):
    """An open write transaction."""

    def execute(self, statement: str, params: Sequence[object] = ()) -> None: ...

    def executemany(self, statement: str, rows: Sequence[Sequence[object]]) -> None: ...

    def fetchone(self, statement: str, params: Sequence[object] = ()) -> Row | None: ...


class ViewStore(ABC):
    """Where views keep their tables: the same database as the events."""

    kind: ClassVar[str]
    types: ClassVar[dict[str, str]]
    """Column types by role: ``uuid``, ``bigint``, ``time``."""
    lock_row: ClassVar[str]
    """Appended to a SELECT that must lock the row it reads until commit."""

    @abstractmethod
    def table(self, name: str) -> str:
        """A table's name, quoted (and schema-qualified) for use in SQL."""

    def ident(self, name: str) -> str:
        """A plain identifier (an index name), quoted."""
        return '"' + name.replace('"', '""') + '"'

    @abstractmethod
    def sql(self, statement: str) -> str:
        """A statement written with ``?`` placeholders, for this store."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Writer]:
        """One write transaction: committed if the block ends normally, else rolled back."""

    @abstractmethod
    def select(self, statement: str, params: Sequence[object] = ()) -> list[Row]:
        """Rows of one read, outside any write transaction."""

    @abstractmethod
    def create(self, statements: Iterable[str]) -> None:
        """Runs DDL (``CREATE ... IF NOT EXISTS``) once, safely against other processes."""

    def drop(self, tables: Iterable[str]) -> None:
        """Drops tables (quoted names, as ``table()`` gives them) in one transaction."""
        self.create([f"DROP TABLE IF EXISTS {table}" for table in tables])

    @abstractmethod
    def exclusive(self, key: str) -> AbstractContextManager[bool]:
        """Holds the lock ``key`` against every other holder, in any process, while the block
        runs; yields False at once (holding nothing) if another holds it. A process that
        dies releases it."""

    @abstractmethod
    def close(self) -> None: ...

    # -------------------------------------------------- values in and out of SQL

    def uuid_param(self, value: UUID) -> object:
        return value

    def uuid_value(self, value: Any) -> UUID:
        return value if isinstance(value, UUID) else UUID(str(value))

    def time_param(self, value: datetime) -> object:
        return value.astimezone(UTC)

    def time_value(self, value: Any) -> datetime:
        return (value if isinstance(value, datetime) else datetime.fromisoformat(value)).astimezone(
            UTC
        )

    @abstractmethod
    def in_list(self, column: str) -> str:
        """A condition that ``column`` is one of a list given as one parameter."""

    @abstractmethod
    def list_param(self, values: Iterable[str]) -> object: ...


class _SQLiteWriter:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, statement: str, params: Sequence[object] = ()) -> None:
        self._conn.execute(statement, params)

    def executemany(self, statement: str, rows: Sequence[Sequence[object]]) -> None:
        self._conn.executemany(statement, rows)

    def fetchone(self, statement: str, params: Sequence[object] = ()) -> Row | None:
        row: Row | None = self._conn.execute(statement, params).fetchone()
        return row


class SQLiteViewStore(ViewStore):
    """The embedded store's file, through connections of our own (one per thread; WAL is on)."""

    kind = "sqlite"
    types: ClassVar[dict[str, str]] = {"uuid": "TEXT", "bigint": "INTEGER", "time": "TEXT"}
    lock_row = ""  # BEGIN IMMEDIATE already holds the database's one write lock

    def __init__(self, path: str, timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def table(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def sql(self, statement: str) -> str:
        return statement

    @contextmanager
    def transaction(self) -> Iterator[Writer]:
        # The process's one write lock for this file (ledger/sqlitelock.py): writers in
        # this process queue on it instead of sleeping in SQLite's busy handler.
        with write_lock(self.path):
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SQLiteWriter(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def select(self, statement: str, params: Sequence[object] = ()) -> list[Row]:
        return list(self._connection().execute(statement, params).fetchall())

    def create(self, statements: Iterable[str]) -> None:
        with self.transaction() as tx:
            for statement in statements:
                tx.execute(statement)

    @contextmanager
    def exclusive(self, key: str) -> Iterator[bool]:
        # A lock file beside the database: flock is per open file, so this excludes other
        # threads and processes alike, and the kernel lets go when the process dies.
        with open(f"{self.path}.{key}.lock", "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def uuid_param(self, value: UUID) -> object:
        return str(value)

    def time_param(self, value: datetime) -> object:
        return value.astimezone(UTC).isoformat()

    def in_list(self, column: str) -> str:
        return f"{column} IN (SELECT value FROM json_each(?))"  # noqa: S608 - a column from code

    def list_param(self, values: Iterable[str]) -> object:
        return json.dumps(sorted(values))


class _PostgresWriter:
    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        self._conn = conn

    def execute(self, statement: str, params: Sequence[object] = ()) -> None:
        self._conn.execute(statement, params)

    def executemany(self, statement: str, rows: Sequence[Sequence[object]]) -> None:
        with self._conn.cursor() as cursor:
            cursor.executemany(statement, rows)

    def fetchone(self, statement: str, params: Sequence[object] = ()) -> Row | None:
        return self._conn.execute(statement, params).fetchone()


class PostgresViewStore(ViewStore):
    """The production database, in the ledger's schema, through a small pool of our own.

    A write transaction is pipelined: a page's statements go without waiting for each reply,
    so a page costs about one round trip, not one per event.
    """

    kind = "postgres"
    types: ClassVar[dict[str, str]] = {"uuid": "uuid", "bigint": "bigint", "time": "timestamptz"}
    lock_row = " FOR UPDATE"

    def __init__(self, conninfo: str, schema: str, max_size: int = 4) -> None:
        self.conninfo = conninfo
        self.schema = schema
        self.pool: ConnectionPool[psycopg.Connection[Row]] = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_size,
            kwargs={"autocommit": True},
            open=True,
            name="asb-views",
        )
        with self.pool.connection() as conn:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))

    def table(self, name: str) -> str:
        return sql.Identifier(self.schema, name).as_string()

    def sql(self, statement: str) -> str:
        return statement.replace("?", "%s")

    @contextmanager
    def transaction(self) -> Iterator[Writer]:
        with self.pool.connection() as conn, conn.transaction(), conn.pipeline():
            yield _PostgresWriter(conn)

    def select(self, statement: str, params: Sequence[object] = ()) -> list[Row]:
        with self.pool.connection() as conn:
            return conn.execute(statement, params).fetchall()

    def create(self, statements: Iterable[str]) -> None:
        # Concurrent CREATE ... IF NOT EXISTS can still collide in the catalogue.
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_DDL_LOCK,))
            for statement in statements:
                conn.execute(statement)

    @contextmanager
    def exclusive(self, key: str) -> Iterator[bool]:
        # A session-level advisory lock on a connection of its own, held for the block:
        # it ends with the session, so a killed process releases it.
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            row = conn.execute(
                "SELECT pg_try_advisory_lock(hashtext(%s))", (f"asb:{self.schema}:{key}",)
            ).fetchone()
            yield bool(row and row[0])

    def close(self) -> None:
        self.pool.close()

    def in_list(self, column: str) -> str:
        return f"{column} = ANY(?)"

    def list_param(self, values: Iterable[str]) -> object:
        return sorted(values)


def open_view_store(config: StoreConfig, *, max_connections: int = 4) -> ViewStore:
    """A view store on the same database as the ledger configured by ``config``."""
    if config.kind == "sqlite" and config.sqlite_path is not None:
        return SQLiteViewStore(config.sqlite_path)
    if config.kind == "postgres" and config.postgres_conninfo is not None:
        return PostgresViewStore(config.postgres_conninfo, config.postgres_schema, max_connections)
    raise UnsupportedStore(
        f"views need SQLite or PostgreSQL beside the events, not the {config.kind!r} store"
    )


def table_contents(
    store: ViewStore, orders: dict[str, tuple[str, str]]
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of each named table in key order, to compare a rebuild with the live view.
    ``orders`` maps a name to (quoted table, ORDER BY columns), both set in code."""
    return {
        name: [tuple(row) for row in store.select(f"SELECT * FROM {table} ORDER BY {key}")]  # noqa: S608
        for name, (table, key) in orders.items()
    }
