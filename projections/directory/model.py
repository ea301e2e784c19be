"""What the case directory answers with: its rows, pages and opaque cursors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from ledger.enums import Category, Department, RiskLevel
from projections.paging import Cursor

CaseStatus = Literal["open", "closed"]
STATUSES: frozenset[str] = frozenset({"open", "closed"})


@dataclass(frozen=True, kw_only=True)
class DirectoryEntry:
    """One case as the directory lists it: no personal data, only references and codes."""

    case_id: UUID
    reference: str
    status: CaseStatus
    team: str | None
    officer: str | None
    lead_department: Department
    category: Category
    risk_level: RiskLevel | None
    received_at: datetime
    opened_position: int
    last_version: int
    last_event_at: datetime


@dataclass(frozen=True)
class DirectoryPage:
    """A page of the directory, newest first; ``next_cursor`` is None on the last page."""

    items: list[DirectoryEntry]
    next_cursor: str | None


CURSOR = Cursor("cd1")
"""The directory's cursors: the position at which the last case listed was opened."""
