"""Tables beside the events, on both stores: wrapped data keys, case-reference counters and
the people's blind index (keyed hashes of their normalised details, ``ledger/blind_index.py``).

A person's index tokens are deleted in the same transaction that destroys their key, so
erasing a person leaves nothing to find them by."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from ledger.keyrows import PostgresKeyRows, SQLiteKeyRows
from ledger.sqlitelock import write_lock

_SQLITE_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS asb_data_keys ("
    " scope TEXT PRIMARY KEY, wrapped BLOB,"
    " created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, destroyed_at TEXT)",
    "CREATE TABLE IF NOT EXISTS asb_reference_counters ("
    " year INTEGER PRIMARY KEY, last INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS asb_person_tokens ("
    " token TEXT NOT NULL, person_ref TEXT NOT NULL, kind TEXT NOT NULL,"
    " PRIMARY KEY (token, person_ref))",
    "CREATE INDEX IF NOT EXISTS asb_person_tokens_ref ON asb_person_tokens (person_ref)",
)
PERSON_SCOPE = "person:"
"""The key scope prefix whose destruction also deletes the person's index tokens."""


def _person_of(scope: str) -> str | None:
    return scope[len(PERSON_SCOPE) :] if scope.startswith(PERSON_SCOPE) else None


class SQLiteSidecar(SQLiteKeyRows):
    """Key and reference tables in the embedded store's database file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._write = write_lock(path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as conn:
            for statement in _SQLITE_SCHEMA:
                conn.execute(statement)

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA secure_delete=ON")
            self._local.conn = conn
        return conn

    def load_key(self, scope: str) -> tuple[bool, bytes | None]:
        row = (
            self._connection()
            .execute("SELECT wrapped FROM asb_data_keys WHERE scope = ?", (scope,))
            .fetchone()
        )
        return (False, None) if row is None else (True, row[0])

    def insert_key(self, scope: str, wrapped: bytes) -> bool:
        with self._write:
            cursor = self._connection().execute(
                "INSERT INTO asb_data_keys (scope, wrapped) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (scope, wrapped),
            )
        return cursor.rowcount == 1

    def destroy_key(self, scope: str) -> bool:
        with self._write:
            return self._destroy_key(scope)

    def _destroy_key(self, scope: str) -> bool:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            had = conn.execute(
                "UPDATE asb_data_keys SET wrapped = NULL, destroyed_at = CURRENT_TIMESTAMP"
                " WHERE scope = ? AND wrapped IS NOT NULL",
                (scope,),
            ).rowcount
            conn.execute(
                "INSERT INTO asb_data_keys (scope, wrapped, destroyed_at)"
                " VALUES (?, NULL, CURRENT_TIMESTAMP) ON CONFLICT DO NOTHING",
                (scope,),
            )
            person = _person_of(scope)
            if person is not None:
                conn.execute("DELETE FROM asb_person_tokens WHERE person_ref = ?", (person,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        # secure_delete zeroes the freed page content; checkpoint so the WAL holds no copy.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return had > 0

    def reserve(self, year: int, rows: list[tuple[str, bytes]]) -> tuple[int, set[str]]:
        with self._write:
            return self._reserve(year, rows)

    def _reserve(self, year: int, rows: list[tuple[str, bytes]]) -> tuple[int, set[str]]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            inserted = set()
            for scope, wrapped in rows:
                cursor = conn.execute(
                    "INSERT INTO asb_data_keys (scope, wrapped) VALUES (?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (scope, wrapped),
                )
                if cursor.rowcount == 1:
                    inserted.add(scope)
            row = conn.execute(
                "INSERT INTO asb_reference_counters (year, last) VALUES (?, 1)"
                " ON CONFLICT (year) DO UPDATE SET last = asb_reference_counters.last + 1"
                " RETURNING last",
                (year,),
            ).fetchone()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        assert row is not None
        return int(row[0]), inserted

    def add_tokens(self, person_ref: str, tokens: dict[str, str]) -> None:
        with self._write:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT INTO asb_person_tokens (token, person_ref, kind) VALUES (?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    [(token, person_ref, kind) for token, kind in tokens.items()],
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def match_tokens(
        self, tokens: list[str], *, within: list[str] | None = None, limit: int | None = None
    ) -> list[tuple[str, str]]:
        if not tokens or within == []:
            return []
        marks = ", ".join("?" * len(tokens))
        query = f"SELECT person_ref, kind FROM asb_person_tokens WHERE token IN ({marks})"  # noqa: S608
        params: list[object] = list(tokens)
        if within is not None:
            query += f" AND person_ref IN ({', '.join('?' * len(within))})"
            params += within
        if limit is not None:
            query += " LIMIT ?"
            params.append(limit)
        rows = self._connection().execute(query, params).fetchall()
        return [(str(ref), str(kind)) for ref, kind in rows]

    def match_with_sound(self, exact: list[str], sound: list[str]) -> list[tuple[str, str]]:
        if not exact:
            return []
        hits = ", ".join("?" * len(exact))
        query = (
            "WITH hit AS (SELECT person_ref, kind FROM asb_person_tokens"  # noqa: S608
            f" WHERE token IN ({hits})) SELECT person_ref, kind FROM hit"
        )
        if sound:
            query += (
                " UNION ALL SELECT person_ref, kind FROM asb_person_tokens"  # noqa: S608
                f" WHERE token IN ({', '.join('?' * len(sound))})"
                " AND person_ref IN (SELECT person_ref FROM hit)"
            )
        rows = self._connection().execute(query, [*exact, *sound]).fetchall()
        return [(str(ref), str(kind)) for ref, kind in rows]

    def repoint_tokens(self, from_ref: str, to_ref: str) -> None:
        with self._write:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "INSERT INTO asb_person_tokens (token, person_ref, kind)"
                    " SELECT token, ?, kind FROM asb_person_tokens WHERE person_ref = ?"
                    " ON CONFLICT DO NOTHING",
                    (to_ref, from_ref),
                )
                conn.execute("DELETE FROM asb_person_tokens WHERE person_ref = ?", (from_ref,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def kinds_of(self, person_refs: list[str]) -> list[tuple[str, str]]:
        if not person_refs:
            return []
        marks = ", ".join("?" * len(person_refs))
        rows = (
            self._connection()
            .execute(
                "SELECT DISTINCT person_ref, kind FROM asb_person_tokens"  # noqa: S608
                f" WHERE person_ref IN ({marks})",
                person_refs,
            )
            .fetchall()
        )
        return [(str(ref), str(kind)) for ref, kind in rows]

    def count_tokens(self, person_ref: str) -> int:
        row = (
            self._connection()
            .execute("SELECT count(*) FROM asb_person_tokens WHERE person_ref = ?", (person_ref,))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class PostgresSidecar(PostgresKeyRows):
    """Key and reference tables in the production PostgreSQL database."""

    def __init__(self, conninfo: str, schema: str = "public", max_size: int = 4) -> None:
        self.schema = schema
        self.pool: ConnectionPool = ConnectionPool(
            conninfo, min_size=1, max_size=max_size, kwargs={"autocommit": True}, open=True
        )
        self._keys = sql.Identifier(schema, "asb_data_keys")
        self._tokens = sql.Identifier(schema, "asb_person_tokens")
        self._sequences: set[int] = set()
        with self.pool.connection() as conn:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (scope TEXT PRIMARY KEY, wrapped BYTEA,"
                    " created_at TIMESTAMPTZ NOT NULL DEFAULT now(), destroyed_at TIMESTAMPTZ)"
                ).format(self._keys)
            )
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (token TEXT NOT NULL, person_ref TEXT NOT NULL,"
                    " kind TEXT NOT NULL, PRIMARY KEY (token, person_ref))"
                ).format(self._tokens)
            )
            conn.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (person_ref)").format(
                    sql.Identifier("asb_person_tokens_ref"), self._tokens
                )
            )

    def load_key(self, scope: str) -> tuple[bool, bytes | None]:
        with self.pool.connection() as conn:
            row = conn.execute(
                sql.SQL("SELECT wrapped FROM {} WHERE scope = %s").format(self._keys),
                (scope,),
            ).fetchone()
        return (False, None) if row is None else (True, row[0])

    def insert_key(self, scope: str, wrapped: bytes) -> bool:
        with self.pool.connection() as conn:
            cursor = conn.execute(
                sql.SQL(
                    "INSERT INTO {} (scope, wrapped) VALUES (%s, %s) ON CONFLICT DO NOTHING"
                ).format(self._keys),
                (scope, wrapped),
            )
            return cursor.rowcount == 1

    def destroy_key(self, scope: str) -> bool:
        table = self._keys
        with self.pool.connection() as conn, conn.transaction():
            had = conn.execute(
                sql.SQL(
                    "UPDATE {} SET wrapped = NULL, destroyed_at = now()"
                    " WHERE scope = %s AND wrapped IS NOT NULL"
                ).format(table),
                (scope,),
            ).rowcount
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (scope, wrapped, destroyed_at) VALUES (%s, NULL, now())"
                    " ON CONFLICT DO NOTHING"
                ).format(table),
                (scope,),
            )
            person = _person_of(scope)
            if person is not None:
                conn.execute(
                    sql.SQL("DELETE FROM {} WHERE person_ref = %s").format(self._tokens),
                    (person,),
                )
        return had > 0

    def reserve(self, year: int, rows: list[tuple[str, bytes]]) -> tuple[int, set[str]]:
        """One statement: ``nextval`` of the year's sequence (never repeats, gaps allowed)
        and the key rows, committed once."""
        sequence = sql.Identifier(self.schema, f"asb_case_reference_{year:04d}")
        with self.pool.connection() as conn:
            if year not in self._sequences:
                # A concurrent creator may win the race in the catalogue (IF NOT EXISTS is
                # not atomic): it then raises one of these, and the sequence exists.
                with contextlib.suppress(
                    psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable
                ):
                    conn.execute(
                        sql.SQL("CREATE SEQUENCE IF NOT EXISTS {} MINVALUE 1").format(sequence)
                    )
                self._sequences.add(year)
            found = conn.execute(
                sql.SQL(
                    "WITH added AS (INSERT INTO {keys} (scope, wrapped)"
                    " SELECT * FROM unnest(%s::text[], %s::bytea[])"
                    " ON CONFLICT DO NOTHING RETURNING scope)"
                    " SELECT nextval(%s::regclass), ARRAY(SELECT scope FROM added)"
                ).format(keys=self._keys),
                (
                    [scope for scope, _ in rows],
                    [wrapped for _, wrapped in rows],
                    sequence.as_string(conn),
                ),
            ).fetchone()
        assert found is not None
        return int(found[0]), set(found[1])

    def add_tokens(self, person_ref: str, tokens: dict[str, str]) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (token, person_ref, kind)"
                    " SELECT t, %s, k FROM unnest(%s::text[], %s::text[]) AS u(t, k)"
                    " ON CONFLICT DO NOTHING"
                ).format(self._tokens),
                (person_ref, list(tokens), list(tokens.values())),
            )

    def match_tokens(
        self, tokens: list[str], *, within: list[str] | None = None, limit: int | None = None
    ) -> list[tuple[str, str]]:
        if not tokens or within == []:
            return []
        query = sql.SQL("SELECT person_ref, kind FROM {} WHERE token = ANY(%s)").format(
            self._tokens
        )
        params: list[object] = [tokens]
        if within is not None:
            query += sql.SQL(" AND person_ref = ANY(%s)")
            params.append(within)
        if limit is not None:
            query += sql.SQL(" LIMIT %s")
            params.append(limit)
        with self.pool.connection() as conn:
            rows = conn.execute(query, params).fetchall()
        return [(str(ref), str(kind)) for ref, kind in rows]

    def match_with_sound(self, exact: list[str], sound: list[str]) -> list[tuple[str, str]]:
        if not exact:
            return []
        query = sql.SQL(
            "WITH hit AS (SELECT person_ref, kind FROM {t} WHERE token = ANY(%s))"
            " SELECT person_ref, kind FROM hit UNION ALL SELECT person_ref, kind FROM {t}"
            " WHERE token = ANY(%s) AND person_ref IN (SELECT person_ref FROM hit)"
        ).format(t=self._tokens)
        with self.pool.connection() as conn:
            rows = conn.execute(query, (exact, sound)).fetchall()
        return [(str(ref), str(kind)) for ref, kind in rows]

    def repoint_tokens(self, from_ref: str, to_ref: str) -> None:
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(
                sql.SQL(
                    "INSERT INTO {t} (token, person_ref, kind)"
                    " SELECT token, %s, kind FROM {t} WHERE person_ref = %s"
                    " ON CONFLICT DO NOTHING"
                ).format(t=self._tokens),
                (to_ref, from_ref),
            )
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE person_ref = %s").format(self._tokens), (from_ref,)
            )

    def kinds_of(self, person_refs: list[str]) -> list[tuple[str, str]]:
        if not person_refs:
            return []
        with self.pool.connection() as conn:
            rows = conn.execute(
                sql.SQL(
                    "SELECT DISTINCT person_ref, kind FROM {} WHERE person_ref = ANY(%s)"
                ).format(self._tokens),
                (person_refs,),
            ).fetchall()
        return [(str(ref), str(kind)) for ref, kind in rows]

    def count_tokens(self, person_ref: str) -> int:
        with self.pool.connection() as conn:
            row = conn.execute(
                sql.SQL("SELECT count(*) FROM {} WHERE person_ref = %s").format(self._tokens),
                (person_ref,),
            ).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.pool.close()
