"""Record that criminal incidents were disseminated to the police."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger.case import Case
from ledger.enums import Agency
from ledger.errors import Rule, RuleViolation
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class ReferToPolice(CaseCommand):
    name: ClassVar[str] = "refer_to_police"

    incident_ids: tuple[UUID, ...]
    police_reference: str
    disseminated_at: datetime
    organisation: str | None = None
    """The force referred to (a registered id); default: the only police signatory."""


def handle(cmd: ReferToPolice, uow: UnitOfWork) -> Receipt:
    """Record that criminal incidents were disseminated to the police."""

    police_reference = uow.ledger.vocabulary.police_reference(cmd.police_reference)
    force = _force(cmd, uow)

    def decide(case: Case) -> None:
        case.refer_to_police(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            incident_ids=cmd.incident_ids,
            police_reference=police_reference,
            organisation=force,
            disseminated_at=cmd.disseminated_at,
        )

    return uow.update(cmd, decide)


def _force(cmd: ReferToPolice, uow: UnitOfWork) -> str:
    """The police force named, which must be a police signatory; or else the only one."""
    if cmd.organisation is not None:
        return uow.organisation(cmd.organisation, cmd, "organisation", Agency.POLICE).org_id
    only = uow.ledger.organisations.the_only(Agency.POLICE, cmd.occurred_at.date())
    if only is None:
        raise RuleViolation(
            Rule.POLICE_FORCE_REQUIRED,
            "organisation: name the police force referred to (more than one, or no, police"
            " force is a signatory; GET /organisations)",
        )
    return only.org_id
