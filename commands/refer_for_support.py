"""Refer a person to a support service, recording consent or why it was not needed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger import fields
from ledger.case import Case
from ledger.enums import ConsentStatus, SupportService
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class ReferForSupport(CaseCommand):
    name: ClassVar[str] = "refer_for_support"

    person_ref: UUID
    service: SupportService
    organisation: str
    needs: str
    consent: ConsentStatus
    consent_note: str | None = None


def handle(cmd: ReferForSupport, uow: UnitOfWork) -> Receipt:
    """Refer a person to a support service, recording consent or why it was not needed."""
    seal = uow.seal(cmd.case_id)
    organisation = uow.organisation(cmd.organisation, cmd, "organisation").org_id

    def decide(case: Case) -> None:
        case.refer_for_support(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            person_ref=cmd.person_ref,
            service=cmd.service,
            organisation=organisation,
            needs=seal.text(cmd.needs, fields.SUPPORT_NEEDS),
            consent=cmd.consent,
            consent_note=seal.text(cmd.consent_note, fields.SUPPORT_CONSENT_NOTE),
        )

    return uow.update(cmd, decide)
