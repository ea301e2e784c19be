"""Requests for contacts, referrals, sharing, agencies, enforcement and reviews."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import Field, StringConstraints

from api.commanding import Context
from api.errors import invalid_field
from api.schemas.base import (
    Body,
    LongText,
    Occurred,
    RequiredShortText,
    RequiredText,
    ShortText,
    WrittenTime,
)
from commands.acknowledge_case_review import AcknowledgeCaseReview
from commands.add_agency import AddAgency
from commands.conclude_case_review import ConcludeCaseReview
from commands.decide_case_review import DecideCaseReview
from commands.record_contact import RecordContact
from commands.refer_for_support import ReferForSupport
from commands.refer_to_police import ReferToPolice
from commands.request_case_review import RequestCaseReview
from commands.review_case import ReviewCase
from commands.share_information import ShareInformation
from commands.take_enforcement_action import TakeEnforcementAction
from ledger.enums import (
    Agency,
    CaseReviewDecision,
    ConsentStatus,
    ContactDirection,
    ContactMethod,
    ContactOutcome,
    EnforcementTool,
    LawfulBasis,
    LegalGateway,
    Provision,
    ReviewOutcome,
    SharePurpose,
    SpecialCategoryCondition,
    SupportService,
)
from ledger.values import Actor

ShareItem = Annotated[str, StringConstraints(max_length=80)]


class ContactIn(Occurred):
    """A contact, or an attempt, with a person linked to the case."""

    person_ref: UUID
    method: ContactMethod = Field(examples=["phone"])
    direction: ContactDirection = Field(examples=["outbound"])
    outcome: ContactOutcome = Field(examples=["reached"])
    summary: RequiredText = Field(examples=["Discussed the diary sheets; next call Friday."])

    def to_command(self, case_id: UUID, ctx: Context) -> RecordContact:
        return RecordContact(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            person_ref=self.person_ref,
            method=self.method,
            direction=self.direction,
            outcome=self.outcome,
            summary=self.summary,
        )


class SupportReferralIn(Occurred):
    """A referral to a support service; consent is recorded, or why it was not needed."""

    person_ref: UUID
    service: SupportService = Field(examples=["victims_gateway"])
    organisation: RequiredShortText = Field(
        examples=["victims-gateway"],
        description="A registered organisation's id (``GET /organisations``); an unknown one,"
        " or one not a signatory of the protocol on the day, is refused with a rule code.",
    )
    needs: RequiredText = Field(examples=["Emotional support; help with a safety plan."])
    consent: ConsentStatus = Field(examples=["given"])
    consent_note: LongText | None = None

    def to_command(self, case_id: UUID, ctx: Context) -> ReferForSupport:
        return ReferForSupport(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            person_ref=self.person_ref,
            service=self.service,
            organisation=self.organisation,
            needs=self.needs,
            consent=self.consent,
            consent_note=self.consent_note,
        )


class RecipientIn(Body):
    agency: Agency | None = Field(
        default=None,
        examples=["housing_provider"],
        description="Default: the organisation's registered agency type; a value here must"
        " be that one (``organisation.agency_mismatch``).",
    )
    organisation: RequiredShortText = Field(
        examples=["example-homes"],
        description="A registered organisation's id (``GET /organisations``); an unknown one,"
        " or one not a signatory of the protocol on the day, is refused with a rule code.",
    )
    person: ShortText | None = Field(default=None, examples=["Tenancy officer J. Smith"])


class ShareIn(Occurred):
    """Named items shared with a relevant organisation under the information sharing
    protocol: never "the whole file". Items: ``case_summary``, ``incident:<id>``,
    ``person:<ref>``, ``risk_assessment``, ``action_plan``, ``timescales``,
    ``contact_history``, ``enforcement``, ``police_referral``, ``support_referral``."""

    share_id: UUID | None = None
    recipient: RecipientIn | None
    items: list[ShareItem] = Field(max_length=50, examples=[["case_summary"]])
    purpose: SharePurpose | None = Field(examples=["prevent_crime_and_disorder"])
    justification: LongText | None = Field(
        examples=["The landlord needs the incident dates to consider tenancy action."]
    )
    lawful_basis: LawfulBasis | None = Field(examples=["public_task"])
    gateway: LegalGateway = Field(examples=["crime_and_disorder_act_1998_s115"])
    includes_special_category: bool = False
    condition: SpecialCategoryCondition | None = None
    consent: ConsentStatus = Field(examples=["not_sought"])
    consent_note: LongText | None = Field(
        default=None, examples=["Consent not sought: it would prejudice the prevention of crime."]
    )
    authorised_by: ShortText | None = Field(
        default=None,
        examples=["supervisor-3"],
        description="Optional, and only a check: the authoriser is the authenticated"
        " supervisor (the caller, or the one whose token is in `X-Authorised-By`); a value"
        " here must name them.",
    )
    protocol_reference: ShortText | None = Field(
        default=None,
        examples=["One Staffordshire ISP"],
        description="Default: the protocol the recipient signed (the register's); a value"
        " here must be that one.",
    )
    onward_use_permitted: bool = False

    def to_command(self, case_id: UUID, ctx: Context, authoriser: Actor | None) -> ShareInformation:
        recipient = self.recipient
        if self.authorised_by is not None and (
            authoriser is None or self.authorised_by != authoriser.user_id
        ):
            raise invalid_field(
                "body.authorised_by",
                "must name the authenticated supervisor who authorised it",
                rule="share.authoriser_mismatch",
            )
        return ShareInformation(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            share_id=ctx.ids.given("share_id", self.share_id),
            recipient_agency=None if recipient is None else recipient.agency,
            recipient_organisation=None if recipient is None else recipient.organisation,
            recipient_person=None if recipient is None else recipient.person,
            items=tuple(self.items),
            purpose=self.purpose,
            justification=self.justification,
            lawful_basis=self.lawful_basis,
            gateway=self.gateway,
            includes_special_category=self.includes_special_category,
            condition=self.condition,
            consent=self.consent,
            consent_note=self.consent_note,
            authoriser=authoriser,
            protocol_reference=self.protocol_reference,
            onward_use_permitted=self.onward_use_permitted,
        )


class PoliceReferralIn(Occurred):
    """Incidents disseminated to the police, with the police reference."""

    incident_ids: list[UUID] = Field(max_length=100)
    police_reference: RequiredShortText = Field(
        examples=["SP-2026-0001234"],
        description="The police's crime or incident reference in the force's format"
        " (``GET /reference-data``; ``ASB_POLICE_REFERENCE_FORMAT``); another is refused as"
        " ``police_referral.reference_format``.",
    )
    disseminated_at: WrittenTime | None = Field(default=None, description="Default: now.")
    organisation: ShortText | None = Field(
        default=None,
        examples=["staffordshire-police"],
        description="The police force referred to: a registered police signatory's id"
        " (``GET /organisations``). Default: the only one, if exactly one is registered;"
        " else ``police_referral.force_required``.",
    )

    def to_command(self, case_id: UUID, ctx: Context) -> ReferToPolice:
        return ReferToPolice(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            incident_ids=tuple(self.incident_ids),
            police_reference=self.police_reference,
            disseminated_at=self.disseminated_at or ctx.occurred_at,
            organisation=self.organisation,
        )


class AgencyIn(Occurred):
    """A partner agency joining the multi-agency response."""

    agency: Agency | None = Field(
        default=None,
        examples=["police"],
        description="Default: the organisation's registered agency type; a value here must"
        " be that one (``organisation.agency_mismatch``).",
    )
    organisation: RequiredShortText = Field(
        examples=["staffordshire-police"],
        description="A registered organisation's id (``GET /organisations``); an unknown one,"
        " or one not a signatory of the protocol on the day, is refused with a rule code.",
    )
    role: RequiredText = Field(examples=["Neighbourhood policing team lead"])
    contact: LongText | None = None

    def to_command(self, case_id: UUID, ctx: Context) -> AddAgency:
        return AddAgency(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            agency=self.agency,
            organisation=self.organisation,
            role=self.role,
            contact=self.contact,
        )


class EnforcementIn(Occurred):
    """A formal tool used against a person linked as an alleged perpetrator."""

    tool: EnforcementTool = Field(examples=["warning_letter"])
    subject_ref: UUID
    legislation: Provision = Field(
        examples=["Anti-social Behaviour, Crime and Policing Act 2014, s.43"],
        description="The provision the tool is used under, from the enumerated list"
        " (``Non-statutory`` for a warning letter, an acceptable behaviour contract or"
        " mediation): kept in the clear, so it is never typed in.",
    )
    outcome: RequiredText = Field(examples=["Warning letter hand-delivered."])

    def to_command(self, case_id: UUID, ctx: Context) -> TakeEnforcementAction:
        return TakeEnforcementAction(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            tool=self.tool,
            subject_ref=self.subject_ref,
            legislation=self.legislation,
            outcome=self.outcome,
        )


class ReviewIn(Occurred):
    """A routine case review and when the next is due."""

    outcome: ReviewOutcome = Field(examples=["continue"])
    notes: RequiredText = Field(examples=["Incidents reducing; keep the plan."])
    next_review_due: date

    def to_command(self, case_id: UUID, ctx: Context) -> ReviewCase:
        return ReviewCase(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            outcome=self.outcome,
            notes=self.notes,
            next_review_due=self.next_review_due,
        )


class CaseReviewRequestIn(Occurred):
    """An ASB Case Review (Community Trigger) request by a person linked to the case."""

    request_id: UUID | None = None
    applicant_ref: UUID
    received_at: WrittenTime | None = Field(default=None, description="Default: now.")

    def to_command(self, case_id: UUID, ctx: Context) -> RequestCaseReview:
        return RequestCaseReview(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            request_id=ctx.ids.given("request_id", self.request_id),
            applicant_ref=self.applicant_ref,
            received_at=self.received_at or ctx.occurred_at,
        )


class CaseReviewAcknowledgementIn(Occurred):
    """That an ASB Case Review request was acknowledged to the applicant (and when)."""

    def to_command(self, case_id: UUID, request_id: UUID, ctx: Context) -> AcknowledgeCaseReview:
        return AcknowledgeCaseReview(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            request_id=request_id,
        )


class CaseReviewDecisionIn(Occurred):
    """The threshold decision on an ASB Case Review request and its reasons."""

    decision: CaseReviewDecision = Field(examples=["threshold_met"])
    outcome: RequiredText = Field(
        examples=["Threshold met; review panel on 3 December."],
        description="The reasons for the decision, as given to the applicant",
    )

    def to_command(self, case_id: UUID, request_id: UUID, ctx: Context) -> DecideCaseReview:
        return DecideCaseReview(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            request_id=request_id,
            decision=self.decision,
            outcome=self.outcome,
        )


class CaseReviewOutcomeIn(Occurred):
    """The outcome of an ASB Case Review whose threshold was met."""

    recommendations: RequiredText = Field(
        examples=["Panel held 3 December: joint visit, acoustic monitoring, CPW if it recurs."],
        description="The review's findings and recommendations, as given to the applicant",
    )

    def to_command(self, case_id: UUID, request_id: UUID, ctx: Context) -> ConcludeCaseReview:
        return ConcludeCaseReview(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            request_id=request_id,
            recommendations=self.recommendations,
        )
