"""Record a contact, or an attempt, with a person linked to a case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger import fields
from ledger.case import Case
from ledger.enums import ContactDirection, ContactMethod, ContactOutcome
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class RecordContact(CaseCommand):
    name: ClassVar[str] = "record_contact"

    person_ref: UUID
    method: ContactMethod
    direction: ContactDirection
    outcome: ContactOutcome
    summary: str


def handle(cmd: RecordContact, uow: UnitOfWork) -> Receipt:
    """Record a contact, or an attempt, with a person linked to a case."""
    seal = uow.seal(cmd.case_id)

    def decide(case: Case) -> None:
        case.record_contact(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            person_ref=cmd.person_ref,
            method=cmd.method,
            direction=cmd.direction,
            outcome=cmd.outcome,
            summary=seal.text(cmd.summary, fields.CONTACT_SUMMARY),
        )

    return uow.update(cmd, decide)
