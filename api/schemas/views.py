"""Response models: receipts, case lists, the case as it stands, and its raw events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.case_reviews import CaseReviewFlagOut


class Erased(BaseModel):
    """A personal field whose key was destroyed (erasure); the record of it remains."""

    erased: Literal[True] = True


Text = str | Erased | None


class ReceiptOut(BaseModel):
    """What a command returns: the case's new version and the event's position in the
    ledger (give it as ``min_position`` to a query to read your own write)."""

    case_id: UUID
    version: int = Field(examples=[4])
    position: int = Field(examples=[1234])
    created: dict[str, str] = Field(
        default_factory=dict, description="Ids of what the command created, by kind."
    )


class CaseSummaryOut(BaseModel):
    """A case as listed: no personal data. A partner sees only the reference, status and
    versions; the rest of a case reaches them only as items shared with them."""

    case_id: UUID
    reference: str = Field(examples=["ASB-2026-000123"])
    status: Literal["open", "closed"]
    team: str | None = None
    officer: str | None = None
    lead_department: str | None = None
    category: str | None = None
    risk_level: str | None = None
    received_at: datetime | None = None
    version: int
    last_event_at: datetime


class CaseListOut(BaseModel):
    items: list[CaseSummaryOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class PersonOut(BaseModel):
    person_ref: UUID
    roles: list[str]
    name: Text = None
    contact: Text = None
    address: Text = None
    date_of_birth: Text = None
    vulnerabilities: list[str] = Field(default_factory=list)
    vulnerability_note: Text = None
    self_declared_repeat_victim: bool = False


class IncidentOut(BaseModel):
    incident_id: UUID
    occurred_at: datetime
    incident_type: str
    description: Text
    location: Text = None
    harms: list[str]
    criminal: bool
    victim_refs: list[UUID]
    police_referred: bool


class AssessmentOut(BaseModel):
    instrument: str
    instrument_version: int
    score: int
    computed_level: str
    level: str
    assessed_at: datetime
    assessor: str
    victim_ref: UUID | None
    answers: dict[str, int]
    rationale: Text = None
    override_rationale: Text = None


class ActionOut(BaseModel):
    action_id: str
    description: Text
    owner_agency: str
    owner_officer: str
    due: date
    status: str
    outcome: Text = None


class ContactOut(BaseModel):
    person_ref: UUID
    method: str
    direction: str
    outcome: str
    occurred_at: datetime
    preferred_method_used: bool | None = Field(
        description="For a contact with the complainant: whether it went by their preferred"
        " method. None for anyone else (the case holds the complainant's preference only)."
    )
    summary: Text = None


class ShareOut(BaseModel):
    share_id: UUID
    agency: str
    organisation: str
    recipient_person: Text = None
    items: list[str]
    purpose: str | None
    justification: Text = None
    lawful_basis: str
    gateway: str | None
    condition: str | None
    consent: str | None
    authorised_by: str
    protocol_reference: str
    onward_use_permitted: bool
    shared_at: datetime


class ClosureOut(BaseModel):
    reason: str
    full_reasons: Text
    feedback_method: str
    feedback_given_at: datetime
    preferred_method_used: bool
    why_not_preferred: Text = None
    explanation: Text = None
    advice: Text = None
    closed_at: datetime
    closed_by: str


class CaseOut(BaseModel):
    """A case as it stands, with personal fields unsealed for those entitled to them.
    A partner sees only what was shared with their organisation (``sections``)."""

    case_id: UUID
    reference: str
    version: int
    status: Literal["open", "closed"]
    sections: list[str] = Field(description="Which parts of the case this view includes.")
    team: str | None = None
    officer: str | None = None
    channel: str | None = None
    category: str | None = None
    lead_department: str | None = None
    ward: str | None = None
    received_at: datetime | None = None
    description: Text = None
    location: Text = None
    preferred_contact: str | None = None
    complainant_ref: UUID | None = None
    risk_level: str | None = None
    next_review_due: date | None = None
    people: list[PersonOut] = Field(default_factory=list)
    incidents: list[IncidentOut] = Field(default_factory=list)
    assessments: list[AssessmentOut] = Field(default_factory=list)
    actions: list[ActionOut] = Field(default_factory=list)
    timescales: dict[str, Any] | None = None
    contacts: list[ContactOut] = Field(default_factory=list)
    support_referrals: list[dict[str, Any]] = Field(default_factory=list)
    shares: list[ShareOut] = Field(default_factory=list)
    police_referrals: list[dict[str, Any]] = Field(default_factory=list)
    agencies: list[dict[str, Any]] = Field(default_factory=list)
    enforcement: list[dict[str, Any]] = Field(default_factory=list)
    reviews: list[dict[str, Any]] = Field(default_factory=list)
    case_reviews: list[dict[str, Any]] = Field(default_factory=list)
    closure: ClosureOut | None = None
    reopen_count: int = 0
    case_review: CaseReviewFlagOut | None = Field(
        default=None,
        description="The ASB Case Review (Community Trigger) threshold now, as"
        " ``GET /case-reviews/eligible`` judges it: staff only; null for others, for an earlier"
        " version, and while the view has not reached the case.",
    )


class EventOut(BaseModel):
    """One stored event as the hash chain commits to it: sealed fields appear only as
    the digest of their ciphertext and the key scope, never as plaintext."""

    model_config = ConfigDict(from_attributes=True)

    version: int
    type: str
    topic: str
    recorded_at: datetime
    occurred_at: datetime
    actor: dict[str, Any]
    fields: dict[str, Any]
    prev_hash: str
    event_hash: str


class EventsOut(BaseModel):
    case_id: UUID
    version: int
    events: list[EventOut]
