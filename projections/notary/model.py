"""What the notary stores and answers with: its leaves, its signed checkpoints and its alarms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


class NotaryAlarm(RuntimeError):
    """The notary found a fork or an inconsistency and stopped: nothing of its page was kept."""

    def __init__(self, position: int, case_id: UUID | None, version: int | None, reason: str):
        where = f"case {case_id} version {version}" if case_id is not None else "the tree"
        super().__init__(f"notary stopped at position {position}, {where}: {reason}")
        self.position = position
        self.case_id = case_id
        self.version = version
        self.reason = reason


@dataclass(frozen=True)
class Leaf:
    """One logged event."""

    index: int
    position: int
    case_id: UUID
    version: int
    event_hash: str
    leaf_hash: bytes


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint as the notary stored it."""

    size: int
    root: bytes
    note: str
    signed_at: datetime


def signed_row(row: Any) -> SignedCheckpoint:
    """A checkpoint from its stored row (size, root, note, signed at)."""
    return SignedCheckpoint(
        int(row[0]), bytes.fromhex(str(row[1])), str(row[2]), datetime.fromisoformat(str(row[3]))
    )
