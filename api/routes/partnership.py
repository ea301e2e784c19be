"""Commands for contacts, referrals, information sharing, agencies, enforcement and reviews."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from api.commanding import CommandsDep
from api.policy import AuthorisedBy, authoriser
from api.routes.common import COMMAND_HEADERS, COMMAND_RESPONSES, CaseId, Contributor, Staff
from api.schemas.partnership import (
    AgencyIn,
    CaseReviewAcknowledgementIn,
    CaseReviewDecisionIn,
    CaseReviewOutcomeIn,
    CaseReviewRequestIn,
    ContactIn,
    EnforcementIn,
    PoliceReferralIn,
    ReviewIn,
    ShareIn,
    SupportReferralIn,
)
from api.schemas.views import ReceiptOut

RequestId = Annotated[UUID, Path(description="The case review request's id")]

router = APIRouter(
    prefix="/cases/{case_id}",
    tags=["case partnership"],
    responses=COMMAND_RESPONSES,
)


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/contacts",
    name="record_contact",
    status_code=201,
    response_model=ReceiptOut,
)
def record_a_contact(
    case_id: CaseId, body: ContactIn, guard: Contributor, commands: CommandsDep
) -> JSONResponse:
    """Record a contact, or an attempt, with a person linked to the case; whether it used
    their preferred method is worked out from the case. Partners may add contacts."""
    return commands.run(guard, body, lambda ctx: body.to_command(case_id, ctx), case_id=case_id)


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/support-referrals",
    name="refer_for_support",
    status_code=201,
    response_model=ReceiptOut,
)
def refer_for_victim_support(
    case_id: CaseId, body: SupportReferralIn, guard: Staff, commands: CommandsDep
) -> JSONResponse:
    """Refer a person to a support service (e.g. Victims Gateway), with their consent
    or a note of why it was not needed."""
    return commands.run(guard, body, lambda ctx: body.to_command(case_id, ctx), case_id=case_id)


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/shares",
    name="share_information",
    status_code=201,
    response_model=ReceiptOut,
)
def share_information_with_partner(
    case_id: CaseId,
    body: ShareIn,
    request: Request,
    guard: Staff,
    commands: CommandsDep,
    authorised_by: AuthorisedBy = None,
) -> JSONResponse:
    """Share named items with a relevant organisation: a purpose, a justification, a lawful
    basis, the legal gateway, consent (or why not) and the protocol. A supervisor's share is
    authorised by them; a caseworker's carries a supervisor's token in `X-Authorised-By`.
    Items that carry special-category or criminal-offence data need a DPA 2018 condition.
    The recipient organisation's partners can then see those items, and only those."""
    by = authoriser(request, guard.caller, authorised_by)
    return commands.run(guard, body, lambda ctx: body.to_command(case_id, ctx, by), case_id=case_id)


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/police-referrals",
    name="refer_to_police",
    status_code=201,
    response_model=ReceiptOut,
)
def refer_to_the_police(
    case_id: CaseId, body: PoliceReferralIn, guard: Staff, commands: CommandsDep
) -> JSONResponse:
    """Record that criminal incidents were disseminated to the police."""
    return commands.run(guard, body, lambda ctx: body.to_command(case_id, ctx), case_id=case_id)


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/agencies",
    name="add_agency",
    status_code=201,
    response_model=ReceiptOut,
)
def add_an_agency(
    case_id: CaseId, body: AgencyIn, guard: Staff, commands: CommandsDep
) -> JSONResponse:
    """Add a partner agency to the case's multi-agency response."""
    return commands.run(guard, body, lambda ctx: body.to_command(case_id, ctx), case_id=case_id)


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/enforcement-actions",
    name="take_enforcement_action",
    status_code=201,
    response_model=ReceiptOut,
)
def record_enforcement(
    case_id: CaseId, body: EnforcementIn, guard: Staff, commands: CommandsDep
) -> JSONResponse:
    """Record a formal tool used against a person linked as an alleged perpetrator (a
    community protection notice needs an earlier warning to the same person)."""
    return commands.run(guard, body, lambda ctx: body.to_command(case_id, ctx), case_id=case_id)


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/reviews",
    name="review_case",
    status_code=201,
    response_model=ReceiptOut,
)
def review_the_case(
    case_id: CaseId, body: ReviewIn, guard: Staff, commands: CommandsDep
) -> JSONResponse:
    """Record a routine case review and when the next is due."""
    return commands.run(guard, body, lambda ctx: body.to_command(case_id, ctx), case_id=case_id)


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/case-review-requests",
    name="request_case_review",
    status_code=201,
    response_model=ReceiptOut,
)
def request_a_case_review(
    case_id: CaseId, body: CaseReviewRequestIn, guard: Staff, commands: CommandsDep
) -> JSONResponse:
    """Record an ASB Case Review (Community Trigger) request by a person linked to the
    case. ``created.request_id`` names it for the decision."""
    return commands.run(guard, body, lambda ctx: body.to_command(case_id, ctx), case_id=case_id)


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/case-review-requests/{request_id}/acknowledgement",
    name="acknowledge_case_review",
    status_code=201,
    response_model=ReceiptOut,
)
def acknowledge_a_case_review(
    case_id: CaseId,
    request_id: RequestId,
    body: CaseReviewAcknowledgementIn,
    guard: Staff,
    commands: CommandsDep,
) -> JSONResponse:
    """Record that an ASB Case Review request was acknowledged to the applicant (due 3
    working days after it was received). Once, and before the threshold decision."""
    return commands.run(
        guard, body, lambda ctx: body.to_command(case_id, request_id, ctx), case_id=case_id
    )


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/case-review-requests/{request_id}/decision",
    name="decide_case_review",
    status_code=201,
    response_model=ReceiptOut,
)
def decide_a_case_review(
    case_id: CaseId,
    request_id: RequestId,
    body: CaseReviewDecisionIn,
    guard: Staff,
    commands: CommandsDep,
) -> JSONResponse:
    """Record the threshold decision on an ASB Case Review request (due 15 working days
    after it was received) and its reasons (``outcome``)."""
    return commands.run(
        guard, body, lambda ctx: body.to_command(case_id, request_id, ctx), case_id=case_id
    )


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/case-review-requests/{request_id}/outcome",
    name="conclude_case_review",
    status_code=201,
    response_model=ReceiptOut,
)
def conclude_a_case_review(
    case_id: CaseId,
    request_id: RequestId,
    body: CaseReviewOutcomeIn,
    guard: Staff,
    commands: CommandsDep,
) -> JSONResponse:
    """Record the outcome of an ASB Case Review (due 25 working days after the request was
    received): its findings and recommendations. Only once the threshold was decided met."""
    return commands.run(
        guard, body, lambda ctx: body.to_command(case_id, request_id, ctx), case_id=case_id
    )
