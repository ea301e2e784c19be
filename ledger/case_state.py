"""Plain records the Case aggregate keeps about what has happened so far.

Every record is frozen and holds only values: an event that changes one replaces it
(``dataclasses.replace``). So a copy of a case shares its records and copies only the
containers that hold them, which is what makes copying a cached case cheap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from ledger.enums import (
    ActionStatus,
    Agency,
    CaseReviewDecision,
    ClosureReason,
    ConsentStatus,
    ContactDirection,
    ContactMethod,
    ContactOutcome,
    EnforcementTool,
    HarmIndicator,
    IncidentType,
    LawfulBasis,
    LegalGateway,
    PersonRole,
    ReviewOutcome,
    RiskLevel,
    SharePurpose,
    SpecialCategoryCondition,
    SupportService,
    Vulnerability,
)
from ledger.values import Feedback, PersonDetails, Sealed


@dataclass(frozen=True)
class LinkedPerson:
    roles: frozenset[PersonRole] = frozenset()
    details: PersonDetails | None = None
    vulnerabilities: frozenset[Vulnerability] = frozenset()
    vulnerability_note: Sealed | None = None
    self_declared_repeat_victim: bool = False


@dataclass(frozen=True)
class Incident:
    occurred_at: datetime
    incident_type: IncidentType
    harms: frozenset[HarmIndicator]
    criminal: bool
    victim_refs: tuple[UUID, ...]
    description: Sealed
    recorded_version: int
    police_referred: bool = False
    location: Sealed | None = None
    organisation: str = ""
    place: str | None = None


@dataclass(frozen=True)
class Assessment:
    instrument: str
    instrument_version: int
    score: int
    computed_level: RiskLevel
    level: RiskLevel
    assessed_at: datetime
    victim_ref: UUID | None
    overridden: bool
    answers: tuple[tuple[str, int], ...] = ()
    assessor: str = ""
    rationale: Sealed | None = None
    override_rationale: Sealed | None = None


@dataclass(frozen=True)
class PlannedAction:
    description: Sealed
    owner_agency: Agency
    owner_officer: str
    due: date
    status: ActionStatus = ActionStatus.OPEN
    outcome: Sealed | None = None


@dataclass(frozen=True)
class Timescales:
    first_contact_due: date
    next_review_due: date
    target_resolution: date
    agreed_with: tuple[Agency, ...]
    organisations: tuple[str, ...] = ()
    """The partner organisations agreed with, by registered id (none before the register)."""


@dataclass(frozen=True)
class Contact:
    person_ref: UUID
    method: ContactMethod
    direction: ContactDirection
    outcome: ContactOutcome
    occurred_at: datetime
    preferred_method_used: bool | None
    summary: Sealed | None = None
    organisation: str = ""


@dataclass(frozen=True)
class SupportReferral:
    person_ref: UUID
    service: SupportService
    occurred_at: datetime
    organisation: str = ""
    needs: Sealed | None = None
    consent: ConsentStatus | None = None
    consent_note: Sealed | None = None


@dataclass(frozen=True)
class Share:
    share_id: UUID
    agency: Agency
    organisation: str
    items: tuple[str, ...]
    lawful_basis: LawfulBasis
    occurred_at: datetime
    purpose: SharePurpose | None = None
    justification: Sealed | None = None
    recipient_person: Sealed | None = None
    gateway: LegalGateway | None = None
    includes_special_category: bool = False
    condition: SpecialCategoryCondition | None = None
    consent: ConsentStatus | None = None
    consent_note: Sealed | None = None
    authorised_by: str = ""
    protocol_reference: str = ""
    onward_use_permitted: bool = False
    shared_by: str = ""


@dataclass(frozen=True)
class PoliceReferral:
    incident_ids: tuple[UUID, ...]
    police_reference: str
    disseminated_at: datetime
    organisation: str = ""
    """The force referred to (a registered id); blank in referrals from before the register."""


@dataclass(frozen=True)
class Enforcement:
    tool: EnforcementTool
    subject_ref: UUID
    occurred_at: datetime
    legislation: str = ""
    outcome: Sealed | None = None


@dataclass(frozen=True)
class CaseReviewRequest:
    applicant_ref: UUID
    received_at: datetime
    decision: CaseReviewDecision = CaseReviewDecision.PENDING
    outcome: Sealed | None = None
    """The reasons for the threshold decision."""
    acknowledged_at: datetime | None = None
    decided_at: datetime | None = None
    concluded_at: datetime | None = None
    recommendations: Sealed | None = None
    """The review's outcome: its findings and recommendations."""


@dataclass(frozen=True)
class JoinedAgency:
    agency: Agency
    organisation: str
    role: Sealed
    contact: Sealed | None
    joined_at: datetime


@dataclass(frozen=True)
class Review:
    outcome: ReviewOutcome
    notes: Sealed
    next_review_due: date
    occurred_at: datetime
    reviewer: str


@dataclass(frozen=True)
class Closure:
    reason: ClosureReason
    full_reasons: Sealed
    feedback: Feedback
    explanation: Sealed | None
    advice: Sealed | None
    closed_at: datetime
    closed_by: str


@dataclass(frozen=True)
class Reopening:
    reason: Sealed
    occurred_at: datetime
    reopened_by: str
