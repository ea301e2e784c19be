"""The forms for working with partners and for a case's standing: sharing, referrals to the
police and to support, agencies, enforcement, the ASB Case Review's steps, closing and
reopening. Each on the API route's own request model, policy action and command."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from api.commanding import Build
from api.policy import Action
from api.schemas.closure import CloseIn, ReopenIn
from api.schemas.partnership import (
    AgencyIn,
    CaseReviewAcknowledgementIn,
    CaseReviewDecisionIn,
    CaseReviewOutcomeIn,
    CaseReviewRequestIn,
    EnforcementIn,
    PoliceReferralIn,
    ShareIn,
    SupportReferralIn,
)
from api.web.pages import closure_fields as c
from api.web.pages import partner_fields as f
from api.web.pages.case_commands import options, people_in
from api.web.pages.case_forms import CommandForm, local_time, register
from ledger.enums import (
    ConsentStatus,
    EnforcementTool,
    SupportService,
)
from ledger.errors import Rule
from ledger.rules import AUTHORISERS, CLOSERS

router = APIRouter(include_in_schema=False)


def as_route(body: Any, case_id: UUID) -> Build:
    """The command, as the API's route builds it from the same body."""
    return lambda ctx: body.to_command(case_id, ctx)


def on_request(body: Any, case_id: UUID, *, request_id: UUID) -> Build:
    """A case review step's command, as the API's route builds it for the request named."""
    return lambda ctx: body.to_command(case_id, request_id, ctx)


def shared_by(body: ShareIn, case_id: UUID) -> Build:
    """As the API's route builds it. The route may carry a supervisor's token in
    ``X-Authorised-By``; a form carries none, so the authoriser is the caller where their
    role may authorise (``api.policy.authoriser`` without a token), else nobody, and the
    ledger refuses the share (``share.authoriser_required``)."""
    return lambda ctx: body.to_command(
        case_id, ctx, ctx.actor if ctx.actor.role in AUTHORISERS else None
    )


SHARE = CommandForm(
    path="shares",
    title="Share information with a partner",
    action=Action.COMMAND,
    template="forms/share.html",
    model=ShareIn,
    to_data=f.share_data,
    build=shared_by,
    done="InformationShared",
    context=f.share_choices,
    reference=f.register_choices,
    messages={
        "recipient-organisation": "Select the organisation to share with",
        "gateway": "Select the legal gateway",
        "consent": "Select whether the person consented to the share",
    },
    rule_fields=f.SHARE_RULE_FIELDS,
)

POLICE_REFERRAL = CommandForm(
    path="police-referrals",
    title="Refer to the police",
    action=Action.COMMAND,
    template="forms/police_referral.html",
    model=PoliceReferralIn,
    to_data=f.police_data,
    build=as_route,
    done="PoliceReferralMade",
    defaults=lambda case: {"incident_ids": [str(i) for i in case.unreferred_criminal_incidents]},
    reference=f.register_choices,
    messages={
        "police_reference": "Enter the police reference",
        "disseminated_at": "Enter when it was sent to the police, as a real date and time",
    },
    rule_fields=f.POLICE_RULE_FIELDS,
)

SUPPORT_REFERRAL = CommandForm(
    path="support-referrals",
    title="Refer for support",
    action=Action.COMMAND,
    template="forms/support_referral.html",
    model=SupportReferralIn,
    to_data=f.fields("person_ref", "service", "organisation", "needs", "consent", "consent_note"),
    build=as_route,
    done="SupportReferralMade",
    context=lambda case, shown, guard: {
        **f.people_choices(case, shown, guard),
        "services": options(SupportService),
        "consents": options(ConsentStatus),
    },
    reference=f.register_choices,
    messages={
        "person_ref": "Select who is being referred",
        "service": "Select the support service",
        "organisation": "Select the organisation that provides it",
        "needs": "Describe the support they need",
        "consent": "Select whether the person consented to the referral",
    },
    rule_fields={
        Rule.SUPPORT_CONSENT_REQUIRED.value: "consent_note",
        Rule.PERSON_NOT_LINKED.value: "person_ref",
        **f.ORGANISATION_RULE_FIELDS,
    },
)

AGENCY = CommandForm(
    path="agencies",
    title="Add a partner agency",
    action=Action.COMMAND,
    template="forms/agency.html",
    model=AgencyIn,
    to_data=f.fields("organisation", "role", "contact"),
    build=as_route,
    done="AgencyJoined",
    reference=f.register_choices,
    messages={
        "organisation": "Select the organisation that is joining",
        "role": "Enter their role on the case",
    },
    rule_fields={Rule.AGENCY_ALREADY_JOINED.value: "organisation", **f.ORGANISATION_RULE_FIELDS},
)

ENFORCEMENT = CommandForm(
    path="enforcement-actions",
    title="Record enforcement action",
    action=Action.COMMAND,
    template="forms/enforcement.html",
    model=EnforcementIn,
    to_data=f.fields("tool", "subject_ref", "legislation", "outcome"),
    build=as_route,
    done="EnforcementActionTaken",
    context=lambda case, shown, guard: {
        "tools": options(EnforcementTool),
        "subjects": people_in(shown, "alleged_perpetrator"),
    },
    reference=f.register_choices,
    messages={
        "tool": "Select the tool used",
        "subject_ref": "Select who it was used against",
        "legislation": "Select the provision it was used under",
        "outcome": "Describe what happened",
    },
    rule_fields={
        Rule.ENFORCEMENT_SUBJECT.value: "subject_ref",
        Rule.ENFORCEMENT_CPN_NEEDS_CPW.value: "tool",
    },
)

CASE_REVIEW_REQUEST = CommandForm(
    path="case-review-requests",
    title="Record an ASB Case Review request",
    action=Action.COMMAND,
    template="forms/case_review_request.html",
    model=CaseReviewRequestIn,
    to_data=lambda values, zone: {
        "applicant_ref": values.get("applicant_ref"),
        "received_at": local_time(values.get("received_at"), zone),
    },
    build=as_route,
    done="CaseReviewRequested",
    context=f.people_choices,
    messages={
        "applicant_ref": "Select who made the request",
        "received_at": "Enter when it was received, as a real date and time",
    },
    rule_fields={Rule.PERSON_NOT_LINKED.value: "applicant_ref"},
)


def _step(path: str, title: str, template: str, model: Any, done: str, **more: Any) -> CommandForm:
    """A step of an ASB Case Review on a request of the case (else the form is not found)."""
    return CommandForm(
        path=f"case-review-requests/{{request_id}}/{path}",
        title=title,
        action=Action.COMMAND,
        template=template,
        model=model,
        build=on_request,
        done=done,
        context=c.case_review_choices,
        parameters={"request_id": UUID},
        exists=lambda case, parameters: parameters["request_id"] in case.case_reviews,
        **more,
    )


CASE_REVIEW_ACKNOWLEDGEMENT = _step(
    "acknowledgement",
    "Acknowledge an ASB Case Review request",
    "forms/case_review_acknowledgement.html",
    CaseReviewAcknowledgementIn,
    "CaseReviewAcknowledged",
    to_data=lambda values, zone: {"occurred_at": local_time(values.get("occurred_at"), zone)},
    messages={"occurred_at": "Enter when it was acknowledged, as a real date and time"},
)

CASE_REVIEW_DECISION = _step(
    "decision",
    "Decide the ASB Case Review threshold",
    "forms/case_review_decision.html",
    CaseReviewDecisionIn,
    "CaseReviewDecided",
    to_data=f.fields("decision", "outcome"),
    messages={
        "decision": "Select whether the threshold is met",
        "outcome": "Enter the reasons for the decision",
    },
)

CASE_REVIEW_OUTCOME = _step(
    "outcome",
    "Record the ASB Case Review outcome",
    "forms/case_review_outcome.html",
    CaseReviewOutcomeIn,
    "CaseReviewConcluded",
    to_data=f.fields("recommendations"),
    messages={"recommendations": "Enter the review's findings and recommendations"},
)

CLOSE = CommandForm(
    path="close",
    title="Close the case",
    action=Action.COMMAND,
    template="forms/close.html",
    model=CloseIn,
    to_data=c.close_data,
    build=as_route,
    done="CaseClosed",
    context=lambda case, shown, guard: {
        **c.closure_choices(case),
        "may_close_any": guard.caller.role in CLOSERS,
    },
    messages={
        "reason": "Select why the case is being closed",
        "full_reasons": "Enter the full reasons for closing",
        "feedback-method": "Select how the feedback was given",
        "feedback-given_at": "Enter when the feedback was given, as a real date and time",
    },
    rule_fields=c.CLOSE_RULE_FIELDS,
)

REOPEN = CommandForm(
    path="reopen",
    title="Reopen the case",
    action=Action.COMMAND,
    template="forms/reopen.html",
    model=ReopenIn,
    to_data=f.fields("reason"),
    build=as_route,
    done="CaseReopened",
    messages={"reason": "Enter why the case is being reopened"},
    rule_fields={Rule.REOPEN_REASON_REQUIRED.value: "reason"},
)

FORMS: tuple[CommandForm, ...] = (
    SHARE,
    POLICE_REFERRAL,
    SUPPORT_REFERRAL,
    AGENCY,
    ENFORCEMENT,
    CASE_REVIEW_REQUEST,
    CASE_REVIEW_ACKNOWLEDGEMENT,
    CASE_REVIEW_DECISION,
    CASE_REVIEW_OUTCOME,
    CLOSE,
    REOPEN,
)
"""The partnership and closure commands with a form, in the order the case page offers them."""

for _form in FORMS:
    register(router, _form)
