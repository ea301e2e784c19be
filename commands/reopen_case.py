"""Reopen a closed case, with the reason."""

from __future__ import annotations

from dataclasses import dataclass

from commands.common import CaseCommand, load
from ledger import fields
from ledger.application import CaseLedger
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class ReopenCase(CaseCommand):
    reason: str


def handle(cmd: ReopenCase, ledger: CaseLedger) -> Receipt:
    case, seal = load(ledger, cmd)
    case.reopen(
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        reason=seal.text(cmd.reason, fields.REOPEN_REASON),
    )
    return ledger.save_case(case)
