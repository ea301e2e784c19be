"""Place and lift legal holds: a data protection officer's decisions (DESIGN §13)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from commands.common import Command
from ledger.application import CaseLedger
from ledger.enums import HoldLiftReason, HoldReason
from ledger.holds import HoldScope, LegalHold


@dataclass(frozen=True, kw_only=True)
class PlaceHold(Command):
    name: ClassVar[str] = "place_hold"

    hold_id: UUID
    scope: HoldScope
    reason: HoldReason
    reference: str


@dataclass(frozen=True, kw_only=True)
class LiftHold(Command):
    name: ClassVar[str] = "lift_hold"

    hold_id: UUID
    reason: HoldLiftReason


def place(cmd: PlaceHold, ledger: CaseLedger) -> tuple[LegalHold, int]:
    """Places a hold on a known case or person, or on a category; from then on erasure and
    the retention sweep leave what it covers alone. Returns it and its position."""
    hold = LegalHold.place(
        hold_id=cmd.hold_id,
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        scope=cmd.scope,
        reason=cmd.reason,
        reference=cmd.reference,
    )
    return hold, ledger.holds.place(hold)


def lift(cmd: LiftHold, ledger: CaseLedger) -> tuple[LegalHold, int]:
    """Lifts a hold in force; returns it and its position."""
    return ledger.holds.lift(
        cmd.hold_id, actor=cmd.actor, occurred_at=cmd.occurred_at, reason=cmd.reason
    )
