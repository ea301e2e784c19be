"""The events of a Case: immutable facts, each hash-chained to the one before.

These classes are a stored contract. Each declares its stable, versioned type name with
``@stored_as`` (``ledger/type_names.py``): the stored topic and the hash commitment use that
name, never a module path, so a class may move or be renamed freely. Add fields only with
defaults or through ``class_version`` upcasters; a changed meaning is a new name (``.v2``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger.case_state import (
    Assessment,
    CaseReviewRequest,
    Closure,
    Contact,
    Enforcement,
    Incident,
    JoinedAgency,
    LinkedPerson,
    PlannedAction,
    PoliceReferral,
    Reopening,
    Review,
    Share,
    SupportReferral,
    Timescales,
)
from ledger.chain import HASH_KEY, hash_event
from ledger.enums import (
    ActionStatus,
    Agency,
    CaseReviewDecision,
    Category,
    Channel,
    ClosureReason,
    ConsentStatus,
    ContactDirection,
    ContactMethod,
    ContactOutcome,
    Department,
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
from ledger.errors import IntegrityFailure
from ledger.integrity import GENESIS
from ledger.type_names import stored_as
from ledger.values import Actor, Feedback, PersonDetails, Recipient, RiskOverride, Sealed

if TYPE_CHECKING:
    from ledger.case import Case


class CaseEvent(Aggregate.Event):
    """Base of every case event: who, when in the world, and the link to the previous event.

    ``mutate`` keeps the chain: on replay it checks the event's own recorded hash and
    its ``prev_hash`` against the hash of the event before, so loading a case verifies it.
    """

    actor: Actor
    occurred_at: datetime
    prev_hash: str

    def mutate(self, aggregate: Any) -> Any:
        version = self.originator_version
        digest = hash_event(self)
        recorded = vars(self).get(HASH_KEY)
        if recorded is not None and recorded != digest:
            raise IntegrityFailure(
                self.originator_id, version, "event content does not match its recorded hash"
            )
        expected_prev: str = GENESIS if aggregate is None else aggregate.head_hash
        if self.prev_hash != expected_prev:
            raise IntegrityFailure(
                self.originator_id,
                version,
                "prev_hash does not match the previous event: an event before it was"
                " altered, removed or inserted",
            )
        case: Any = super().mutate(aggregate)
        vars(self)[HASH_KEY] = digest
        case.head_hash = digest
        return case


@stored_as("asb.case.CaseOpened.v1")
class CaseOpened(CaseEvent, Aggregate.Created):
    """A complaint was received and registered as a case."""

    reference: str
    channel: Channel
    received_at: datetime
    category: Category
    description: Sealed
    location: Sealed
    lead_department: Department
    complainant_ref: UUID
    complainant: PersonDetails
    preferred_contact: ContactMethod
    ward: str | None

    def apply(self, case: Case) -> None:
        case.persons[self.complainant_ref] = LinkedPerson(
            roles=frozenset({PersonRole.COMPLAINANT}), details=self.complainant
        )


@stored_as("asb.case.CaseOpened.v2")
class CaseOpenedV2(CaseOpened):
    """A complaint registered as a case, with the place it is about (v1 names none): a
    UPRN (``uprn:<digits>``) or a blind-indexed address (``addr:<keyed hash>``,
    ``ledger/places.py``), never the address itself."""

    place: str


@stored_as("asb.case.PersonLinked.v1")
class PersonLinked(CaseEvent):
    """A person was linked to the case in a role (victim, witness, ...)."""

    person_ref: UUID
    role: PersonRole
    details: PersonDetails | None
    vulnerabilities: tuple[Vulnerability, ...]
    vulnerability_note: Sealed | None
    self_declared_repeat_victim: bool

    def apply(self, case: Case) -> None:
        person = case.persons.get(self.person_ref, LinkedPerson())
        case.persons[self.person_ref] = replace(
            person,
            roles=person.roles | {self.role},
            details=_details_over(person.details, self.details),
            vulnerabilities=person.vulnerabilities | frozenset(self.vulnerabilities),
            vulnerability_note=self.vulnerability_note or person.vulnerability_note,
            self_declared_repeat_victim=person.self_declared_repeat_victim
            or self.self_declared_repeat_victim,
        )


def _details_over(held: PersonDetails | None, given: PersonDetails | None) -> PersonDetails | None:
    """Details given again replace only the fields given: a person linked in a further
    role with a new phone number keeps the address and date of birth held."""
    if held is None or given is None:
        return given or held
    return PersonDetails(
        name=given.name,
        contact=given.contact or held.contact,
        address=given.address or held.address,
        date_of_birth=given.date_of_birth or held.date_of_birth,
    )


@stored_as("asb.case.IncidentRecorded.v1")
class IncidentRecorded(CaseEvent):
    """An incident of ASB; ``occurred_at`` is when it happened, not when it was told."""

    incident_id: UUID
    incident_type: IncidentType
    description: Sealed
    location: Sealed | None
    harms: tuple[HarmIndicator, ...]
    criminal: bool
    victim_refs: tuple[UUID, ...]
    police_recorded: bool = False
    """Recorded by the police themselves (a police partner on the case): the police know
    of it, so it needs no referral to them."""

    def apply(self, case: Case) -> None:
        case.incidents[self.incident_id] = Incident(
            occurred_at=self.occurred_at,
            incident_type=self.incident_type,
            harms=frozenset(self.harms),
            criminal=self.criminal,
            victim_refs=tuple(self.victim_refs),
            description=self.description,
            recorded_version=self.originator_version,
            location=self.location,
            organisation=self.actor.organisation,
            police_referred=self.police_recorded,
        )


@stored_as("asb.case.IncidentRecorded.v2")
class IncidentRecordedV2(IncidentRecorded):
    """An incident at a place (v1 names none), as ``CaseOpenedV2`` names one."""

    place: str | None = None
    """Always given (a default only because v1's last field has one)."""

    def apply(self, case: Case) -> None:
        super().apply(case)
        case.incidents[self.incident_id] = replace(
            case.incidents[self.incident_id], place=self.place
        )


@stored_as("asb.case.RiskAssessed.v1")
class RiskAssessed(CaseEvent):
    """A risk assessment or reassessment with a named, versioned instrument."""

    instrument: str
    instrument_version: int
    answers: dict[str, int]
    score: int
    computed_level: RiskLevel
    level: RiskLevel
    override: RiskOverride | None
    assessor: str
    victim_ref: UUID | None
    rationale: Sealed | None

    def apply(self, case: Case) -> None:
        case.assessments.append(
            Assessment(
                instrument=self.instrument,
                instrument_version=self.instrument_version,
                score=self.score,
                computed_level=self.computed_level,
                level=self.level,
                assessed_at=self.occurred_at,
                victim_ref=self.victim_ref,
                overridden=self.override is not None,
                answers=tuple(sorted(self.answers.items())),
                assessor=self.assessor,
                rationale=self.rationale,
                override_rationale=None if self.override is None else self.override.rationale,
            )
        )


@stored_as("asb.case.ActionPlanned.v1")
class ActionPlanned(CaseEvent):
    """An action in the case's plan, with an owner and a due date."""

    action_id: str
    description: Sealed
    owner_agency: Agency
    owner_officer: str
    due: date

    def apply(self, case: Case) -> None:
        case.actions[self.action_id] = PlannedAction(
            description=self.description,
            owner_agency=self.owner_agency,
            owner_officer=self.owner_officer,
            due=self.due,
        )


@stored_as("asb.case.ActionCompleted.v1")
class ActionCompleted(CaseEvent):
    """A planned action was done; the outcome is recorded."""

    action_id: str
    outcome: Sealed

    def apply(self, case: Case) -> None:
        case.actions[self.action_id] = replace(
            case.actions[self.action_id], status=ActionStatus.COMPLETED, outcome=self.outcome
        )


@stored_as("asb.case.ActionCancelled.v1")
class ActionCancelled(CaseEvent):
    """A planned action was cancelled, with the reason as its outcome."""

    action_id: str
    outcome: Sealed

    def apply(self, case: Case) -> None:
        case.actions[self.action_id] = replace(
            case.actions[self.action_id], status=ActionStatus.CANCELLED, outcome=self.outcome
        )


@stored_as("asb.case.TimescalesAgreed.v1")
class TimescalesAgreed(CaseEvent):
    """Timescales agreed with the victim and partners (else the defaults apply)."""

    first_contact_due: date
    next_review_due: date
    target_resolution: date
    agreed_with: tuple[Agency, ...]

    def apply(self, case: Case) -> None:
        case.timescales = Timescales(
            first_contact_due=self.first_contact_due,
            next_review_due=self.next_review_due,
            target_resolution=self.target_resolution,
            agreed_with=tuple(self.agreed_with),
        )
        case.next_review_due = self.next_review_due


@stored_as("asb.case.TimescalesAgreed.v2")
class TimescalesAgreedV2(TimescalesAgreed):
    """Timescales agreed, naming the partner organisations agreed with by their registered
    ids (``agreed_with`` holds their agency types, and any agency named without one)."""

    organisations: tuple[str, ...]

    def apply(self, case: Case) -> None:
        super().apply(case)
        assert case.timescales is not None
        case.timescales = replace(case.timescales, organisations=tuple(self.organisations))


@stored_as("asb.case.ContactRecorded.v1")
class ContactRecorded(CaseEvent):
    """A contact or contact attempt with a person linked to the case."""

    person_ref: UUID
    method: ContactMethod
    direction: ContactDirection
    outcome: ContactOutcome
    summary: Sealed
    preferred_method_used: bool | None

    def apply(self, case: Case) -> None:
        case.contacts.append(
            Contact(
                person_ref=self.person_ref,
                method=self.method,
                direction=self.direction,
                outcome=self.outcome,
                occurred_at=self.occurred_at,
                preferred_method_used=self.preferred_method_used,
                summary=self.summary,
                organisation=self.actor.organisation,
            )
        )


@stored_as("asb.case.SupportReferralMade.v1")
class SupportReferralMade(CaseEvent):
    """A referral to a support service (e.g. Victims Gateway), with consent recorded."""

    person_ref: UUID
    service: SupportService
    organisation: str
    needs: Sealed
    consent: ConsentStatus
    consent_note: Sealed | None

    def apply(self, case: Case) -> None:
        case.support_referrals.append(
            SupportReferral(
                self.person_ref,
                self.service,
                self.occurred_at,
                organisation=self.organisation,
                needs=self.needs,
                consent=self.consent,
                consent_note=self.consent_note,
            )
        )


@stored_as("asb.case.InformationShared.v1")
class InformationShared(CaseEvent):
    """Named items shared with a relevant organisation, for a purpose, on a lawful basis."""

    share_id: UUID
    recipient: Recipient
    items: tuple[str, ...]
    purpose: SharePurpose
    justification: Sealed
    lawful_basis: LawfulBasis
    gateway: LegalGateway
    includes_special_category: bool
    condition: SpecialCategoryCondition | None
    consent: ConsentStatus
    consent_note: Sealed | None
    authorised_by: str
    protocol_reference: str
    onward_use_permitted: bool

    def apply(self, case: Case) -> None:
        case.shares.append(
            Share(
                share_id=self.share_id,
                agency=self.recipient.agency,
                organisation=self.recipient.organisation,
                items=tuple(self.items),
                lawful_basis=self.lawful_basis,
                occurred_at=self.occurred_at,
                purpose=self.purpose,
                justification=self.justification,
                recipient_person=self.recipient.person,
                gateway=self.gateway,
                includes_special_category=self.includes_special_category,
                condition=self.condition,
                consent=self.consent,
                consent_note=self.consent_note,
                authorised_by=self.authorised_by,
                protocol_reference=self.protocol_reference,
                onward_use_permitted=self.onward_use_permitted,
                shared_by=self.actor.user_id,
            )
        )


@stored_as("asb.case.PoliceReferralMade.v1")
class PoliceReferralMade(CaseEvent):
    """Criminal activity disseminated to the police."""

    incident_ids: tuple[UUID, ...]
    police_reference: str
    disseminated_at: datetime

    def apply(self, case: Case) -> None:
        ids = tuple(self.incident_ids)
        case.police_referrals.append(
            PoliceReferral(ids, self.police_reference, self.disseminated_at)
        )
        for incident_id in ids:
            case.incidents[incident_id] = replace(case.incidents[incident_id], police_referred=True)


@stored_as("asb.case.PoliceReferralMade.v2")
class PoliceReferralMadeV2(PoliceReferralMade):
    """Criminal activity disseminated to a police force, named by its registered id (v1,
    from before the organisation register, names no force)."""

    organisation: str

    def apply(self, case: Case) -> None:
        super().apply(case)
        case.police_referrals[-1] = replace(
            case.police_referrals[-1], organisation=self.organisation
        )


@stored_as("asb.case.AgencyJoined.v1")
class AgencyJoined(CaseEvent):
    """A partner agency joined the multi-agency response."""

    agency: Agency
    organisation: str
    role: Sealed
    contact: Sealed | None

    def apply(self, case: Case) -> None:
        case.agencies[self.organisation] = self.agency
        case.partners[self.organisation] = JoinedAgency(
            self.agency, self.organisation, self.role, self.contact, self.occurred_at
        )


@stored_as("asb.case.OrganisationIdentified.v1")
class OrganisationIdentified(CaseEvent):
    """An organisation this case named by free text, before the organisation register, is
    the registered ``organisation``: its exact registered name (a documented migration,
    ``asb-ledger organisations migrate``). From here on the case's shares, agencies and
    support referrals that named it name the id; the earlier events stay as written."""

    named: str
    organisation: str
    shared: bool
    """Whether any share named it (so the partner's case lists include the case)."""

    def apply(self, case: Case) -> None:
        named, org = self.named, self.organisation
        case.shares = [
            replace(s, organisation=org) if s.organisation == named else s for s in case.shares
        ]
        case.support_referrals = [
            replace(r, organisation=org) if r.organisation == named else r
            for r in case.support_referrals
        ]
        if named in case.agencies:
            case.agencies[org] = case.agencies.pop(named)
        if named in case.partners:
            case.partners[org] = replace(case.partners.pop(named), organisation=org)


@stored_as("asb.case.EnforcementActionTaken.v1")
class EnforcementActionTaken(CaseEvent):
    """A formal tool used against an alleged perpetrator linked to the case."""

    tool: EnforcementTool
    subject_ref: UUID
    legislation: str
    outcome: Sealed

    def apply(self, case: Case) -> None:
        case.enforcement.append(
            Enforcement(
                self.tool,
                self.subject_ref,
                self.occurred_at,
                legislation=self.legislation,
                outcome=self.outcome,
            )
        )


@stored_as("asb.case.CaseReviewed.v1")
class CaseReviewed(CaseEvent):
    """A routine review of the case and when the next is due."""

    outcome: ReviewOutcome
    notes: Sealed
    next_review_due: date

    def apply(self, case: Case) -> None:
        case.next_review_due = self.next_review_due
        case.reviews.append(
            Review(
                self.outcome, self.notes, self.next_review_due, self.occurred_at, self.actor.user_id
            )
        )


@stored_as("asb.case.CaseReviewRequested.v1")
class CaseReviewRequested(CaseEvent):
    """An ASB Case Review (Community Trigger) was requested."""

    request_id: UUID
    applicant_ref: UUID
    received_at: datetime

    def apply(self, case: Case) -> None:
        case.case_reviews[self.request_id] = CaseReviewRequest(self.applicant_ref, self.received_at)


@stored_as("asb.case.CaseReviewAcknowledged.v1")
class CaseReviewAcknowledged(CaseEvent):
    """An ASB Case Review request was acknowledged to the applicant."""

    request_id: UUID

    def apply(self, case: Case) -> None:
        case.case_reviews[self.request_id] = replace(
            case.case_reviews[self.request_id], acknowledged_at=self.occurred_at
        )


@stored_as("asb.case.CaseReviewDecided.v1")
class CaseReviewDecided(CaseEvent):
    """The threshold decision on an ASB Case Review request, with its reasons (``outcome``:
    the name is stored; it holds the decision's reasons, not the review's outcome, which is
    ``CaseReviewConcluded``)."""

    request_id: UUID
    decision: CaseReviewDecision
    outcome: Sealed

    def apply(self, case: Case) -> None:
        case.case_reviews[self.request_id] = replace(
            case.case_reviews[self.request_id],
            decision=self.decision,
            outcome=self.outcome,
            decided_at=self.occurred_at,
        )


@stored_as("asb.case.CaseReviewConcluded.v1")
class CaseReviewConcluded(CaseEvent):
    """The outcome of an ASB Case Review whose threshold was met: its findings and
    recommendations."""

    request_id: UUID
    recommendations: Sealed

    def apply(self, case: Case) -> None:
        case.case_reviews[self.request_id] = replace(
            case.case_reviews[self.request_id],
            concluded_at=self.occurred_at,
            recommendations=self.recommendations,
        )


@stored_as("asb.case.CaseClosed.v1")
class CaseClosed(CaseEvent):
    """Formal closure with full reasons and feedback to the complainant."""

    reason: ClosureReason
    full_reasons: Sealed
    feedback: Feedback
    explanation: Sealed | None
    advice: Sealed | None
    cancelled_actions: tuple[str, ...] = ()
    """The actions still open at closure, which the closure cancels."""

    def apply(self, case: Case) -> None:
        for action_id in self.cancelled_actions:
            case.actions[action_id] = replace(
                case.actions[action_id], status=ActionStatus.CANCELLED
            )
        case.closed = True
        case.closure_reason = self.reason
        case.closed_at = self.occurred_at
        case.closure = Closure(
            self.reason,
            self.full_reasons,
            self.feedback,
            self.explanation,
            self.advice,
            self.occurred_at,
            self.actor.user_id,
        )


@stored_as("asb.case.CaseAssigned.v1")
class CaseAssigned(CaseEvent):
    """The case was assigned (or reassigned) to a team and, optionally, an officer."""

    team: str
    officer: str | None

    def apply(self, case: Case) -> None:
        case.team = self.team
        case.officer = self.officer


@stored_as("asb.case.CaseReopened.v1")
class CaseReopened(CaseEvent):
    """A closed case was reopened."""

    reason: Sealed

    def apply(self, case: Case) -> None:
        case.closed = False
        case.closure_reason = None
        case.closed_at = None
        case.reopen_count += 1
        case.reopenings.append(Reopening(self.reason, self.occurred_at, self.actor.user_id))


CASE_EVENT_TYPES: tuple[type[CaseEvent], ...] = tuple(
    cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, CaseEvent) and cls is not CaseEvent
)
"""Every case event class, for listing and checking what the store holds."""
