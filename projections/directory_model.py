"""What the case directory answers with: its rows, pages, opaque cursors and who may see what."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from ledger.enums import Category, Department, RiskLevel

CaseStatus = Literal["open", "closed"]
STATUSES: frozenset[str] = frozenset({"open", "closed"})
_CURSOR_PREFIX = "cd1:"


@dataclass(frozen=True, kw_only=True)
class Visibility:
    """Which cases a caller may see: everything, or by team, assigned officer or share.

    A caseworker sees their teams' cases and those assigned to them personally; a partner
    sees the cases shared with their organisation. The empty visibility sees nothing.
    """

    everything: bool = False
    teams: frozenset[str] = frozenset()
    officer: str | None = None
    organisation: str | None = None

    @classmethod
    def all(cls) -> Visibility:
        return cls(everything=True)

    @property
    def sees_nothing(self) -> bool:
        return not (self.everything or self.teams or self.officer or self.organisation)


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


def encode_cursor(opened_position: int) -> str:
    """An opaque cursor for the page after the case opened at ``opened_position``."""
    raw = f"{_CURSOR_PREFIX}{opened_position}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The position a cursor stands for; ``ValueError`` if it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raise ValueError("malformed cursor") from None
    digits = text.removeprefix(_CURSOR_PREFIX)
    if digits == text or not digits.isdigit() or not digits.isascii() or int(digits) < 1:
        raise ValueError("malformed cursor")
    return int(digits)
