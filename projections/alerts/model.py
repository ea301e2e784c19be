"""What the break-glass alert queue answers with: its alerts, a query's filter, pages, cursors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from projections.paging import Cursor

AlertStatus = Literal["open", "closed"]


@dataclass(frozen=True, kw_only=True)
class Alert:
    """One break-glass use, as the DPO reviews it: references, codes, staff ids and times,
    never personal data (the rationale and the note stay sealed in the ledger).

    ``ends_at`` is when reads under the grant stop (its expiry, or the closing of the alert
    as corrected or escalated); ``reads`` counts the reads made under it. A use is
    ``reconciled`` once the case was later assigned to one of the supervisor's teams."""

    grant_id: UUID
    position: int
    case_id: UUID
    reference: str
    supervisor_id: str
    supervisor_team: str | None
    teams: tuple[str, ...]
    reason: str
    granted_at: datetime
    expires_at: datetime
    ends_at: datetime
    reads: int
    last_read_at: datetime | None
    outcome: str | None
    follow_up: str | None
    closed_by: str | None
    closed_at: datetime | None
    reconciled_at: datetime | None
    reconciled_team: str | None

    @property
    def status(self) -> AlertStatus:
        return "open" if self.outcome is None else "closed"

    def active_at(self, now: datetime) -> bool:
        """Whether reads under the grant are allowed at ``now``."""
        return now < self.ends_at


@dataclass(frozen=True, kw_only=True)
class AlertQuery:
    """Which alerts: by status, reconciliation, case and supervisor. All given filters apply."""

    status: AlertStatus | None = None
    reconciled: bool | None = None
    case_id: UUID | None = None
    supervisor: str | None = None


@dataclass(frozen=True)
class AlertPage:
    """A page of the queue, open alerts first, newest first within each; ``next_cursor`` is
    None on the last page."""

    items: list[Alert]
    next_cursor: str | None


CURSOR = Cursor("ga1")
"""The queue's cursors: the last alert listed, as ``position * 2 + closed`` (the keyset)."""


def cursor_key(alert: Alert) -> int:
    return alert.position * 2 + (alert.outcome is not None)


def keyset(key: int) -> tuple[int, int]:
    """The (closed, position) a cursor's key stands for."""
    return key % 2, key // 2
