"""The break-glass alert queue's tables: their SQL and the writes its handlers make (in a page).

- ``asb_view_alerts<suffix>``: one row per grant, keyed by its id: the case, the supervisor,
  the reason code and times, its review (outcome, follow-up, who and when) and its
  reconciliation (the position, time and team of the case's later assignment to one of the
  supervisor's teams);
- ``asb_view_alert_teams<suffix>``: (grant, team), the supervisor's teams, to reconcile by;
- ``asb_view_alert_reads<suffix>``: one row per read under a grant, keyed by its position.

Every write is keyed (a grant id, a position) or guarded (a review applies to an open alert
only, a reconciliation to an unreconciled one), so applying an event twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from ledger.access import AccessedV2
from ledger.break_glass import ENDS_GRANT, BreakGlassGranted, BreakGlassReviewed
from ledger.events import CaseAssigned
from projections.store import ViewStore
from projections.tables import Tables, table

ALERT_COLUMNS = (
    "grant_id, position, case_id, reference, supervisor_id, supervisor_team, teams, reason,"
    " granted_at, expires_at, ends_at, closed, outcome, follow_up, closed_by, closed_at,"
    " reconciled_at, reconciled_position, reconciled_team"
)


class AlertTables(Tables):
    alerts: str = table("asb_view_alerts", key="grant_id")
    teams: str = table("asb_view_alert_teams", key="grant_id, team")
    reads: str = table("asb_view_alert_reads", key="position")

    def statements(self, store: ViewStore, index: str) -> list[str]:
        uuid, bigint, time = (store.types[k] for k in ("uuid", "bigint", "time"))
        return [
            f"CREATE TABLE IF NOT EXISTS {self.alerts} ("
            f" grant_id {uuid} PRIMARY KEY, position {bigint} NOT NULL UNIQUE,"
            f" case_id {uuid} NOT NULL, reference TEXT NOT NULL, supervisor_id TEXT NOT NULL,"
            " supervisor_team TEXT, teams TEXT NOT NULL, reason TEXT NOT NULL,"
            f" granted_at {time} NOT NULL, expires_at {time} NOT NULL, ends_at {time} NOT NULL,"
            f" closed {bigint} NOT NULL, outcome TEXT, follow_up TEXT, closed_by TEXT,"
            f" closed_at {time}, reconciled_at {time}, reconciled_position {bigint},"
            " reconciled_team TEXT)",
            f"CREATE TABLE IF NOT EXISTS {self.teams} ("
            f" grant_id {uuid} NOT NULL, team TEXT NOT NULL, PRIMARY KEY (grant_id, team))",
            f"CREATE TABLE IF NOT EXISTS {self.reads} ("
            f" position {bigint} PRIMARY KEY, grant_id {uuid} NOT NULL,"
            f" occurred_at {time} NOT NULL, view_name TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_queue')}"
            f" ON {self.alerts} (closed, position)",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_case')} ON {self.alerts} (case_id)",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_team')} ON {self.teams} (team)",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_reads')}"
            f" ON {self.reads} (grant_id)",
        ]


class _Writes(Protocol):
    store: ViewStore
    tables: AlertTables

    def execute(self, statement: str, params: tuple[object, ...] = ()) -> None: ...


class AlertWriter:
    """The writes the queue's handlers make, inside its view's open page."""

    def __init__(self, view: _Writes) -> None:
        self.view = view

    @property
    def t(self) -> AlertTables:
        return self.view.tables

    def _time(self, value: datetime) -> object:
        return self.view.store.time_param(value)

    def _uuid(self, value: UUID) -> object:
        return self.view.store.uuid_param(value)

    def granted(self, event: BreakGlassGranted, position: int) -> None:
        places = ", ".join("?" for _ in ALERT_COLUMNS.split(","))
        self.view.execute(
            f"INSERT INTO {self.t.alerts} ({ALERT_COLUMNS}) VALUES ({places})"  # noqa: S608 - names from code
            " ON CONFLICT (grant_id) DO NOTHING",
            (
                self._uuid(event.originator_id),
                position,
                self._uuid(event.case_id),
                event.reference,
                event.actor.user_id,
                event.actor.team,
                " ".join(event.teams),
                event.reason.value,
                self._time(event.occurred_at),
                self._time(event.expires_at),
                self._time(event.expires_at),
                0,
                *(None,) * 7,
            ),
        )
        for team in event.teams:
            self.view.execute(
                f"INSERT INTO {self.t.teams} (grant_id, team) VALUES (?, ?)"  # noqa: S608
                " ON CONFLICT (grant_id, team) DO NOTHING",
                (self._uuid(event.originator_id), team),
            )

    def reviewed(self, event: BreakGlassReviewed) -> None:
        """Closes an open alert; an outcome that ends the grant brings ``ends_at`` forward."""
        at = self._time(event.occurred_at)
        ends = event.outcome in ENDS_GRANT
        self.view.execute(
            f"UPDATE {self.t.alerts} SET closed = 1, outcome = ?, follow_up = ?,"  # noqa: S608
            " closed_by = ?, closed_at = ?,"
            " ends_at = CASE WHEN ? = 1 AND ends_at > ? THEN ? ELSE ends_at END"
            " WHERE grant_id = ? AND closed = 0",
            (
                event.outcome.value,
                None if event.follow_up is None else event.follow_up.value,
                event.actor.user_id,
                at,
                int(ends),
                at,
                at,
                self._uuid(event.originator_id),
            ),
        )

    def read(self, event: AccessedV2, position: int) -> None:
        self.view.execute(
            f"INSERT INTO {self.t.reads} (position, grant_id, occurred_at, view_name)"  # noqa: S608
            " VALUES (?, ?, ?, ?) ON CONFLICT (position) DO NOTHING",
            (position, self._uuid(event.grant_id), self._time(event.occurred_at), event.view),
        )

    def assigned(self, event: CaseAssigned, position: int) -> None:
        """Reconciles the case's earlier uses by a supervisor of the team it now has."""
        self.view.execute(
            f"UPDATE {self.t.alerts} SET reconciled_at = ?, reconciled_position = ?,"  # noqa: S608
            " reconciled_team = ? WHERE case_id = ? AND reconciled_position IS NULL"
            f" AND position < ? AND grant_id IN (SELECT grant_id FROM {self.t.teams}"
            " WHERE team = ?)",
            (
                self._time(event.occurred_at),
                position,
                event.team,
                self._uuid(event.originator_id),
                position,
                event.team,
            ),
        )
