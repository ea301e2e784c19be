"""Add a partner agency to a case's multi-agency response."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger import fields
from ledger.case import Case
from ledger.enums import Agency
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class AddAgency(CaseCommand):
    name: ClassVar[str] = "add_agency"

    agency: Agency | None
    """If given, it must be the organisation's registered agency type."""
    organisation: str
    role: str
    contact: str | None = None


def handle(cmd: AddAgency, uow: UnitOfWork) -> Receipt:
    """Add a partner agency to a case's multi-agency response."""
    seal = uow.seal(cmd.case_id)
    registered = uow.organisation(cmd.organisation, cmd, "organisation", cmd.agency)

    def decide(case: Case) -> None:
        case.add_agency(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            agency=registered.agency,
            organisation=registered.org_id,
            role=seal.text(cmd.role, fields.AGENCY_ROLE),
            contact=seal.text(cmd.contact, fields.AGENCY_CONTACT),
        )

    return uow.update(cmd, decide)
