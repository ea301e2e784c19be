"""Share named items with a relevant organisation, for a purpose, on a lawful basis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger import fields
from ledger.case import Case
from ledger.enums import (
    Agency,
    ConsentStatus,
    LawfulBasis,
    LegalGateway,
    SharePurpose,
    SpecialCategoryCondition,
)
from ledger.errors import Rule, RuleViolation
from ledger.organisations import DEFAULT_PROTOCOL
from ledger.values import Actor, Receipt, Recipient


@dataclass(frozen=True, kw_only=True)
class ShareInformation(CaseCommand):
    name: ClassVar[str] = "share_information"

    share_id: UUID
    recipient_agency: Agency | None
    recipient_organisation: str | None
    recipient_person: str | None = None
    items: tuple[str, ...]
    purpose: SharePurpose | None
    justification: str | None
    lawful_basis: LawfulBasis | None
    gateway: LegalGateway
    includes_special_category: bool = False
    condition: SpecialCategoryCondition | None = None
    consent: ConsentStatus
    consent_note: str | None = None
    authoriser: Actor | None
    """The authenticated supervisor who authorised the share (the actor, if one)."""
    protocol_reference: str | None = None
    """The protocol the share is made under: the recipient's, from the register (if given,
    it must be that one)."""
    onward_use_permitted: bool = False


def handle(cmd: ShareInformation, uow: UnitOfWork) -> Receipt:
    """Share named items with a relevant organisation, for a purpose, on a lawful basis."""
    seal = uow.seal(cmd.case_id)
    registered = None
    protocol = (cmd.protocol_reference or "").strip()
    if (cmd.recipient_organisation or "").strip():
        field = "recipient.organisation"
        registered = uow.organisation(
            cmd.recipient_organisation or "", cmd, field, cmd.recipient_agency
        )
        if protocol and protocol != registered.protocol_reference:
            raise RuleViolation(
                Rule.SHARE_PROTOCOL_MISMATCH,
                f"protocol_reference: {registered.org_id} signed"
                f" {registered.protocol_reference!r}, not another protocol",
            )
        protocol = registered.protocol_reference

    def decide(case: Case) -> None:
        # Sealed once the case is loaded, so that no key is made for a case that is not.
        recipient = None
        if registered is not None:
            recipient = Recipient(
                agency=registered.agency,
                organisation=registered.org_id,
                person=seal.text(cmd.recipient_person, fields.SHARE_RECIPIENT_PERSON),
            )
        case.share_information(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            share_id=cmd.share_id,
            recipient=recipient,
            items=cmd.items,
            purpose=cmd.purpose,
            justification=seal.text(cmd.justification, fields.SHARE_JUSTIFICATION),
            lawful_basis=cmd.lawful_basis,
            gateway=cmd.gateway,
            includes_special_category=cmd.includes_special_category,
            condition=cmd.condition,
            consent=cmd.consent,
            consent_note=seal.text(cmd.consent_note, fields.SHARE_CONSENT_NOTE),
            authoriser=cmd.authoriser,
            protocol_reference=protocol or DEFAULT_PROTOCOL,
            onward_use_permitted=cmd.onward_use_permitted,
        )

    return uow.update(cmd, decide)
