"""Break the glass: a supervisor reads a case outside their team, for a coded reason and a
sealed rationale, for a limited time (``ASB_BREAK_GLASS_HOURS``). Reads only: the grant opens
no command on the case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from commands.common import Command
from ledger.application import CaseLedger
from ledger.break_glass import BreakGlassGrant
from ledger.case import Case
from ledger.enums import BreakGlassReason


@dataclass(frozen=True, kw_only=True)
class BreakGlass(Command):
    name: ClassVar[str] = "break_glass"

    case_id: UUID
    grant_id: UUID
    teams: frozenset[str]
    """The supervisor's teams: the case's later assignment to one reconciles the use."""
    reason: BreakGlassReason
    rationale: str


def handle(
    cmd: BreakGlass, ledger: CaseLedger, admit: Callable[[Case], None]
) -> tuple[BreakGlassGrant, int]:
    """Loads the case, lets ``admit`` (the caller's policy) refuse it, then records the
    grant; returns it and its position."""
    case = ledger.get_case(cmd.case_id)
    admit(case)
    return ledger.break_glass.grant(
        grant_id=cmd.grant_id,
        actor=cmd.actor,
        teams=cmd.teams,
        occurred_at=cmd.occurred_at,
        case=case,
        reason=cmd.reason,
        rationale=cmd.rationale,
    )
