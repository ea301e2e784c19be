"""The data protection officer's queries and decisions: the disclosure log, erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.base import Body
from ledger.enums import ErasureReason
from projections.disclosures.model import Disclosure


class DisclosureOut(BaseModel):
    """One disclosure: a read of a case's data (granted or refused), a share with a partner
    or a referral to the police. References and codes only, never personal data.

    ``actor_*`` saw the data (an access) or disclosed it (a share or referral);
    ``recipient_*`` received it. ``subjects`` are the people it was about. A read made under a
    supervisor's break-glass grant names the grant in ``break_glass_grant``."""

    position: int = Field(description="The event's position in the ledger (the log's order).")
    kind: Literal["access", "share", "police_referral"]
    occurred_at: datetime = Field(description="When it was shown, shared or disseminated.")
    recorded_at: datetime = Field(description="When the ledger recorded it.")
    actor_id: str
    actor_role: str
    actor_organisation: str
    case_id: UUID | None
    case_version: int | None = Field(description="The case version shown or disclosed.")
    view: str = Field(description="The view shown (an access), or `share` / `police_referral`.")
    subjects: list[UUID] = Field(description="Person references whose data it disclosed.")
    items: list[str] = Field(description="The items shared or referred, as named.")
    recipient_agency: str | None
    recipient_organisation: str | None
    purpose: str | None
    lawful_basis: str | None
    gateway: str | None
    condition: str | None
    consent: str | None
    authorised_by: str | None
    protocol_reference: str | None
    share_id: UUID | None
    police_reference: str | None
    request_id: str | None
    outcome: str = Field(description="`granted`, `denied` or `not_found`; `disclosed`.")
    reason: str | None = Field(description="Why an access was refused.")
    break_glass_grant: UUID | None = Field(
        description="A read a supervisor made under a break-glass grant: the grant's id (see"
        " `GET /dpo/alerts/{grant_id}`; the purpose is `break_glass`). None otherwise."
    )

    @classmethod
    def of(cls, entry: Disclosure) -> DisclosureOut:
        return cls(
            position=entry.position,
            kind=entry.kind,
            occurred_at=entry.occurred_at,
            recorded_at=entry.recorded_at,
            actor_id=entry.actor_id,
            actor_role=entry.actor_role,
            actor_organisation=entry.actor_organisation,
            case_id=entry.case_id,
            case_version=entry.case_version,
            view=entry.view,
            subjects=list(entry.subjects),
            items=list(entry.items),
            recipient_agency=entry.recipient_agency,
            recipient_organisation=entry.recipient_organisation,
            purpose=entry.purpose,
            lawful_basis=entry.lawful_basis,
            gateway=entry.gateway,
            condition=entry.condition,
            consent=entry.consent,
            authorised_by=entry.authorised_by,
            protocol_reference=entry.protocol_reference,
            share_id=entry.share_id,
            police_reference=entry.police_reference,
            request_id=entry.request_id,
            outcome=entry.outcome,
            reason=entry.reason,
            break_glass_grant=entry.grant_id,
        )


class DisclosuresOut(BaseModel):
    items: list[DisclosureOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class ErasureIn(Body):
    """A data protection officer's decision to erase a person, with its ground."""

    person_ref: UUID
    ground: ErasureReason = Field(examples=["subject_request"])


class ErasedOut(BaseModel):
    person_ref: UUID
    erased: list[str] = Field(description="The key scopes destroyed (one per record of theirs)")
