"""The key table's rows in bulk, on both stores: several scopes looked up in one query for
sealing, and a rotation's walk over the rows and its compare-and-swap rewrap."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from psycopg import sql
from psycopg_pool import ConnectionPool


class SQLiteKeyRows:
    """For ``SQLiteSidecar``: its connection and its write lock."""

    _connection: Callable[[], sqlite3.Connection]
    _write: threading.RLock

    def load_keys(self, scopes: list[str]) -> dict[str, bytes | None]:
        if not scopes:
            return {}
        marks = ", ".join("?" * len(scopes))
        rows = (
            self._connection()
            .execute(
                f"SELECT scope, wrapped FROM asb_data_keys WHERE scope IN ({marks})",  # noqa: S608
                scopes,
            )
            .fetchall()
        )
        return {str(scope): wrapped for scope, wrapped in rows}

    def key_rows(
        self, after: str, limit: int, *, since: datetime | None = None
    ) -> tuple[list[tuple[str, bytes]], str]:
        """In rowid order, the table's own: a page of rows then sits on a few pages of the
        file, where in scope order (random ids) each row of a batch is on a page of its own
        and its update rewrites the whole page (measured: 3x slower for 100,000 keys)."""
        query = (
            "SELECT rowid, scope, wrapped FROM asb_data_keys WHERE wrapped IS NOT NULL"
            " AND rowid > ?"
        )
        params: list[object] = [int(after or 0)]
        if since is not None:  # CURRENT_TIMESTAMP's own form, in UTC
            query += " AND created_at >= ?"
            params.append(since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"))
        rows = self._connection().execute(query + " ORDER BY rowid LIMIT ?", [*params, limit])
        found = rows.fetchall()
        page = [(str(scope), bytes(wrapped)) for _, scope, wrapped in found]
        return page, str(found[-1][0]) if found else after

    def count_keys(self) -> int:
        row = (
            self._connection()
            .execute("SELECT count(*) FROM asb_data_keys WHERE wrapped IS NOT NULL")
            .fetchone()
        )
        return int(row[0]) if row else 0

    def swap_keys(self, rows: list[tuple[str, bytes, bytes]]) -> int:
        with self._write:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = conn.executemany(
                    "UPDATE asb_data_keys SET wrapped = ? WHERE scope = ? AND wrapped = ?",
                    [(new, scope, old) for scope, old, new in rows],
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return cursor.rowcount


class PostgresKeyRows:
    """For ``PostgresSidecar``: its pool and its key table's name."""

    pool: ConnectionPool
    _keys: sql.Identifier

    def load_keys(self, scopes: list[str]) -> dict[str, bytes | None]:
        if not scopes:
            return {}
        with self.pool.connection() as conn:
            rows = conn.execute(
                sql.SQL("SELECT scope, wrapped FROM {} WHERE scope = ANY(%s)").format(self._keys),
                (scopes,),
            ).fetchall()
        return {str(scope): wrapped for scope, wrapped in rows}

    def key_rows(
        self, after: str, limit: int, *, since: datetime | None = None
    ) -> tuple[list[tuple[str, bytes]], str]:
        query = "SELECT scope, wrapped FROM {} WHERE wrapped IS NOT NULL AND scope > %s"
        params: list[object] = [after]
        if since is not None:
            query += " AND created_at >= %s"
            params.append(since)
        statement = sql.SQL(query + " ORDER BY scope LIMIT %s").format(self._keys)
        with self.pool.connection() as conn:
            rows = conn.execute(statement, [*params, limit]).fetchall()
        page = [(str(scope), bytes(wrapped)) for scope, wrapped in rows]
        return page, page[-1][0] if page else after

    def count_keys(self) -> int:
        with self.pool.connection() as conn:
            row = conn.execute(
                sql.SQL("SELECT count(*) FROM {} WHERE wrapped IS NOT NULL").format(self._keys)
            ).fetchone()
        return int(row[0]) if row else 0

    def swap_keys(self, rows: list[tuple[str, bytes, bytes]]) -> int:
        if not rows:
            return 0
        with self.pool.connection() as conn:
            cursor = conn.execute(
                sql.SQL(
                    "UPDATE {} AS k SET wrapped = v.new"
                    " FROM unnest(%s::text[], %s::bytea[], %s::bytea[]) AS v(scope, old, new)"
                    " WHERE k.scope = v.scope AND k.wrapped = v.old"
                ).format(self._keys),
                ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]),
            )
            return cursor.rowcount
