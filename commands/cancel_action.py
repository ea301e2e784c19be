"""Cancel a planned action, with the reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger import fields
from ledger.case import Case
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class CancelAction(CaseCommand):
    name: ClassVar[str] = "cancel_action"

    action_id: str
    outcome: str


def handle(cmd: CancelAction, uow: UnitOfWork) -> Receipt:
    """Cancel a planned action, with the reason."""
    seal = uow.seal(cmd.case_id)

    def decide(case: Case) -> None:
        case.cancel_action(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            action_id=cmd.action_id,
            outcome=seal.text(cmd.outcome, fields.ACTION_OUTCOME),
        )

    return uow.update(cmd, decide)
