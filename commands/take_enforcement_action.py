"""Record a formal tool used against an alleged perpetrator linked to a case."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from commands.common import CaseCommand, load
from ledger import fields
from ledger.application import CaseLedger
from ledger.enums import EnforcementTool
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class TakeEnforcementAction(CaseCommand):
    tool: EnforcementTool
    subject_ref: UUID
    legislation: str
    outcome: str


def handle(cmd: TakeEnforcementAction, ledger: CaseLedger) -> Receipt:
    case, seal = load(ledger, cmd)
    case.take_enforcement_action(
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        tool=cmd.tool,
        subject_ref=cmd.subject_ref,
        legislation=cmd.legislation,
        outcome=seal.text(cmd.outcome, fields.ENFORCEMENT_OUTCOME),
    )
    return ledger.save_case(case)
