"""Mark a planned action done, with its outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger import fields
from ledger.case import Case
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class CompleteAction(CaseCommand):
    name: ClassVar[str] = "complete_action"

    action_id: str
    outcome: str


def handle(cmd: CompleteAction, uow: UnitOfWork) -> Receipt:
    """Mark a planned action done, with its outcome."""
    seal = uow.seal(cmd.case_id)

    def decide(case: Case) -> None:
        case.complete_action(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            action_id=cmd.action_id,
            outcome=seal.text(cmd.outcome, fields.ACTION_OUTCOME),
        )

    return uow.update(cmd, decide)
