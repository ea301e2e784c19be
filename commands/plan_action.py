"""Add an action to a case's plan, with an owner and a due date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from commands.common import CaseCommand, load
from ledger import fields
from ledger.application import CaseLedger
from ledger.enums import Agency
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class PlanAction(CaseCommand):
    action_id: str
    description: str
    owner_agency: Agency | None
    owner_officer: str | None
    due: date | None


def handle(cmd: PlanAction, ledger: CaseLedger) -> Receipt:
    case, seal = load(ledger, cmd)
    case.plan_action(
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        action_id=cmd.action_id,
        description=seal.text(cmd.description, fields.ACTION_DESCRIPTION),
        owner_agency=cmd.owner_agency,
        owner_officer=cmd.owner_officer,
        due=cmd.due,
    )
    return ledger.save_case(case)
