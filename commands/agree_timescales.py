"""Record timescales agreed with the victim and partners."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger.case import Case
from ledger.enums import Agency
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class AgreeTimescales(CaseCommand):
    name: ClassVar[str] = "agree_timescales"

    first_contact_due: date
    next_review_due: date
    target_resolution: date
    agreed_with: tuple[Agency, ...] = ()
    organisations: tuple[str, ...] = ()
    """Registered partner organisations agreed with (their agency types join ``agreed_with``)."""


def handle(cmd: AgreeTimescales, uow: UnitOfWork) -> Receipt:
    """Record timescales agreed with the victim and partners."""
    partners = [
        uow.organisation(org_id, cmd, f"organisations.{n}")
        for n, org_id in enumerate(cmd.organisations)
    ]
    agencies = (*cmd.agreed_with, *(partner.agency for partner in partners))

    def decide(case: Case) -> None:
        case.agree_timescales(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            first_contact_due=cmd.first_contact_due,
            next_review_due=cmd.next_review_due,
            target_resolution=cmd.target_resolution,
            agreed_with=agencies,
            organisations=tuple(partner.org_id for partner in partners),
        )

    return uow.update(cmd, decide)
