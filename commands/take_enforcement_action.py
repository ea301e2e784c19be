"""Record a formal tool used against an alleged perpetrator linked to a case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger import fields
from ledger.case import Case
from ledger.enums import EnforcementTool, Provision
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class TakeEnforcementAction(CaseCommand):
    name: ClassVar[str] = "take_enforcement_action"

    tool: EnforcementTool
    subject_ref: UUID
    legislation: Provision
    outcome: str


def handle(cmd: TakeEnforcementAction, uow: UnitOfWork) -> Receipt:
    """Record a formal tool used against an alleged perpetrator linked to a case."""
    seal = uow.seal(cmd.case_id)

    def decide(case: Case) -> None:
        case.take_enforcement_action(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            tool=cmd.tool,
            subject_ref=cmd.subject_ref,
            legislation=cmd.legislation,
            outcome=seal.text(cmd.outcome, fields.ENFORCEMENT_OUTCOME),
        )

    return uow.update(cmd, decide)
