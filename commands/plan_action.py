"""Add an action to a case's plan, with an owner and a due date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger import fields
from ledger.case import Case
from ledger.enums import Agency
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class PlanAction(CaseCommand):
    name: ClassVar[str] = "plan_action"

    action_id: str
    description: str
    owner_agency: Agency | None
    owner_officer: str | None
    due: date | None


def handle(cmd: PlanAction, uow: UnitOfWork) -> Receipt:
    """Add an action to a case's plan, with an owner and a due date."""
    seal = uow.seal(cmd.case_id)

    def decide(case: Case) -> None:
        case.plan_action(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            action_id=cmd.action_id,
            description=seal.text(cmd.description, fields.ACTION_DESCRIPTION),
            owner_agency=cmd.owner_agency,
            owner_officer=cmd.owner_officer,
            due=cmd.due,
        )

    return uow.update(cmd, decide)
