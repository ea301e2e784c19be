"""Assign or reassign a case to a team and, optionally, an officer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger.case import Case
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class AssignCase(CaseCommand):
    name: ClassVar[str] = "assign_case"

    team: str
    officer: str | None = None


def handle(cmd: AssignCase, uow: UnitOfWork) -> Receipt:
    """Assign or reassign a case to a team and, optionally, an officer."""

    def decide(case: Case) -> None:
        case.assign(
            actor=cmd.actor, occurred_at=cmd.occurred_at, team=cmd.team, officer=cmd.officer
        )

    return uow.update(cmd, decide)
