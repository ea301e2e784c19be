"""Record a contact, or an attempt, with a person linked to a case."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from commands.common import CaseCommand, load
from ledger import fields
from ledger.application import CaseLedger
from ledger.enums import ContactDirection, ContactMethod, ContactOutcome
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class RecordContact(CaseCommand):
    person_ref: UUID
    method: ContactMethod
    direction: ContactDirection
    outcome: ContactOutcome
    summary: str


def handle(cmd: RecordContact, ledger: CaseLedger) -> Receipt:
    case, seal = load(ledger, cmd)
    case.record_contact(
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        person_ref=cmd.person_ref,
        method=cmd.method,
        direction=cmd.direction,
        outcome=cmd.outcome,
        summary=seal.text(cmd.summary, fields.CONTACT_SUMMARY),
    )
    return ledger.save_case(case)
