"""Assign or reassign a case to a team and, optionally, an officer."""

from __future__ import annotations

from dataclasses import dataclass

from commands.common import CaseCommand, load
from ledger.application import CaseLedger
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class AssignCase(CaseCommand):
    team: str
    officer: str | None = None


def handle(cmd: AssignCase, ledger: CaseLedger) -> Receipt:
    case, _ = load(ledger, cmd)
    case.assign(actor=cmd.actor, occurred_at=cmd.occurred_at, team=cmd.team, officer=cmd.officer)
    return ledger.save_case(case)
