"""The break-glass alert queue's queries: open alerts first, filtered, a page at a time.

Mixed into ``BreakGlassAlerts`` (``projections/alerts/projection.py``), which names the tables.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from projections.alerts.model import CURSOR, Alert, AlertPage, AlertQuery, cursor_key, keyset
from projections.alerts.store import AlertTables
from projections.store import Row, ViewStore

_SELECTED = (
    "a.grant_id, a.position, a.case_id, a.reference, a.supervisor_id, a.supervisor_team,"
    " a.teams, a.reason, a.granted_at, a.expires_at, a.ends_at, COALESCE(r.n, 0), r.last,"
    " a.outcome, a.follow_up, a.closed_by, a.closed_at, a.reconciled_at, a.reconciled_team"
)


class AlertQueries:
    """Reads of the queue's tables on ``store``."""

    store: ViewStore
    tables: AlertTables

    def require(self, position: int | None, timeout: float | None = None) -> None:
        raise NotImplementedError  # the view's own (``View.require``) comes first

    def list_alerts(
        self,
        query: AlertQuery,
        *,
        limit: int,
        cursor: str | None = None,
        min_position: int | None = None,
        timeout: float | None = None,
    ) -> AlertPage:
        """The alerts ``query`` asks for: open ones first, newest first within each, a page
        at a time. ``min_position`` waits (bounded) for the view to reach a command's
        position (``ViewBehind`` if it does not); a malformed cursor is a ``BadCursor``."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        after = None if cursor is None else keyset(CURSOR.decode(cursor))
        self.require(min_position, timeout)
        conditions: list[str] = []
        params: list[object] = []
        if query.status is not None:
            conditions.append("a.closed = ?")
            params.append(int(query.status == "closed"))
        if query.reconciled is not None:
            null = "IS NOT NULL" if query.reconciled else "IS NULL"
            conditions.append(f"a.reconciled_position {null}")
        if query.case_id is not None:
            conditions.append("a.case_id = ?")
            params.append(self.store.uuid_param(query.case_id))
        if query.supervisor is not None:
            conditions.append("a.supervisor_id = ?")
            params.append(query.supervisor)
        if after is not None:
            conditions.append("(a.closed > ? OR (a.closed = ? AND a.position < ?))")
            params.extend((after[0], after[0], after[1]))
        found = self._select(conditions, params, limit + 1)
        items = found[:limit]
        more = len(found) > limit
        return AlertPage(items, CURSOR.encode(cursor_key(items[-1])) if more else None)

    def alert(self, grant_id: UUID, *, min_position: int | None = None) -> Alert | None:
        """One alert by its grant's id; None if the view has none (yet)."""
        self.require(min_position)
        found = self._select(["a.grant_id = ?"], [self.store.uuid_param(grant_id)], 1)
        return found[0] if found else None

    def contents(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, in key order: to compare a rebuild with the live view."""
        return self.tables.contents(self.store)

    def _select(self, conditions: list[str], params: list[object], limit: int) -> list[Alert]:
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self.store.select(
            self.store.sql(
                f"SELECT {_SELECTED} FROM {self.tables.alerts} a"  # noqa: S608 - names from code
                " LEFT JOIN (SELECT grant_id, COUNT(*) AS n, MAX(occurred_at) AS last"
                f" FROM {self.tables.reads} GROUP BY grant_id) r ON r.grant_id = a.grant_id"
                f"{where} ORDER BY a.closed ASC, a.position DESC LIMIT ?"
            ),
            (*params, limit),
        )
        return [self._alert(row) for row in rows]

    def _alert(self, row: Row) -> Alert:
        uuid, time = self.store.uuid_value, self.store.time_value
        return Alert(
            grant_id=uuid(row[0]),
            position=int(row[1]),
            case_id=uuid(row[2]),
            reference=row[3],
            supervisor_id=row[4],
            supervisor_team=row[5],
            teams=tuple(str(row[6]).split()),
            reason=row[7],
            granted_at=time(row[8]),
            expires_at=time(row[9]),
            ends_at=time(row[10]),
            reads=int(row[11]),
            last_read_at=None if row[12] is None else time(row[12]),
            outcome=row[13],
            follow_up=row[14],
            closed_by=row[15],
            closed_at=None if row[16] is None else time(row[16]),
            reconciled_at=None if row[17] is None else time(row[17]),
            reconciled_team=row[18],
        )
