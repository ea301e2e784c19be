"""Close a break-glass alert: the DPO's review of a use, as justified, corrected or escalated,
with a follow-up code and a note (sealed under the case's key) if given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from commands.common import Command
from ledger.application import CaseLedger
from ledger.break_glass import BreakGlassGrant
from ledger.enums import AlertFollowUp, AlertOutcome


@dataclass(frozen=True, kw_only=True)
class CloseAlert(Command):
    name: ClassVar[str] = "close_alert"

    grant_id: UUID
    outcome: AlertOutcome
    follow_up: AlertFollowUp | None = None
    note: str | None = None


def handle(cmd: CloseAlert, ledger: CaseLedger) -> tuple[BreakGlassGrant, int] | None:
    """Records the review; None if no grant has this id."""
    return ledger.break_glass.review(
        cmd.grant_id,
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        outcome=cmd.outcome,
        follow_up=cmd.follow_up,
        note=cmd.note,
    )
