"""Cancel a planned action, with the reason."""

from __future__ import annotations

from dataclasses import dataclass

from commands.common import CaseCommand, load
from ledger import fields
from ledger.application import CaseLedger
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class CancelAction(CaseCommand):
    action_id: str
    outcome: str


def handle(cmd: CancelAction, ledger: CaseLedger) -> Receipt:
    case, seal = load(ledger, cmd)
    case.cancel_action(
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        action_id=cmd.action_id,
        outcome=seal.text(cmd.outcome, fields.ACTION_OUTCOME),
    )
    return ledger.save_case(case)
