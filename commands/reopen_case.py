"""Reopen a closed case, with the reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger import fields
from ledger.case import Case
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class ReopenCase(CaseCommand):
    name: ClassVar[str] = "reopen_case"

    reason: str


def handle(cmd: ReopenCase, uow: UnitOfWork) -> Receipt:
    """Reopen a closed case, with the reason."""
    seal = uow.seal(cmd.case_id)

    def decide(case: Case) -> None:
        case.reopen(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            reason=seal.text(cmd.reason, fields.REOPEN_REASON),
        )

    return uow.update(cmd, decide)
