"""Record timescales agreed with the victim and partners."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from commands.common import CaseCommand, load
from ledger.application import CaseLedger
from ledger.enums import Agency
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class AgreeTimescales(CaseCommand):
    first_contact_due: date
    next_review_due: date
    target_resolution: date
    agreed_with: tuple[Agency, ...] = ()


def handle(cmd: AgreeTimescales, ledger: CaseLedger) -> Receipt:
    case, _ = load(ledger, cmd)
    case.agree_timescales(
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        first_contact_due=cmd.first_contact_due,
        next_review_due=cmd.next_review_due,
        target_resolution=cmd.target_resolution,
        agreed_with=cmd.agreed_with,
    )
    return ledger.save_case(case)
