"""Add a partner agency to a case's multi-agency response."""

from __future__ import annotations

from dataclasses import dataclass

from commands.common import CaseCommand, load
from ledger import fields
from ledger.application import CaseLedger
from ledger.enums import Agency
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class AddAgency(CaseCommand):
    agency: Agency
    organisation: str
    role: str
    contact: str | None = None


def handle(cmd: AddAgency, ledger: CaseLedger) -> Receipt:
    case, seal = load(ledger, cmd)
    case.add_agency(
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        agency=cmd.agency,
        organisation=cmd.organisation,
        role=seal.text(cmd.role, fields.AGENCY_ROLE),
        contact=seal.text(cmd.contact, fields.AGENCY_CONTACT),
    )
    return ledger.save_case(case)
