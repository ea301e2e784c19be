"""Commands on a case's people, incidents, risk assessments, actions and timescales."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from api.commanding import execute
from api.routes.common import COMMAND_HEADERS, COMMAND_RESPONSES, Contributor, Staff
from api.schemas.plan import (
    ActionId,
    ActionIn,
    ActionOutcomeIn,
    IncidentIn,
    LinkPersonIn,
    RiskAssessmentIn,
    TimescalesIn,
)
from api.schemas.views import ReceiptOut
from commands import (
    agree_timescales,
    assess_risk,
    cancel_action,
    complete_action,
    link_person,
    plan_action,
    record_incident,
)

router = APIRouter(
    prefix="/cases/{case_id}",
    tags=["case plan"],
    responses=COMMAND_RESPONSES,
)
CaseId = Annotated[UUID, Path(description="The case id")]


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/people",
    name="link_person",
    status_code=201,
    response_model=ReceiptOut,
)
def link_a_person(
    case_id: CaseId, body: LinkPersonIn, request: Request, guard: Staff
) -> JSONResponse:
    """Link a person to the case as victim, witness, alleged perpetrator or representative
    (their details are sealed under their own key). ``created.person_ref`` names them."""
    return execute(
        request,
        guard,
        name="link_person",
        body=body,
        case_id=case_id,
        build=lambda ctx: body.to_command(case_id, ctx),
        handler=link_person.handle,
    )


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/incidents",
    name="record_incident",
    status_code=201,
    response_model=ReceiptOut,
)
def record_an_incident(
    case_id: CaseId, body: IncidentIn, request: Request, guard: Contributor
) -> JSONResponse:
    """Record a further incident: when it happened, its type and harm indicators, and
    whether it is criminal (a criminal incident must then be referred to the police).
    Partners may add incidents to cases shared with them."""
    return execute(
        request,
        guard,
        name="record_incident",
        body=body,
        case_id=case_id,
        build=lambda ctx: body.to_command(case_id, ctx),
        handler=record_incident.handle,
    )


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/risk-assessments",
    name="assess_risk",
    status_code=201,
    response_model=ReceiptOut,
)
def assess_risk_on_case(
    case_id: CaseId, body: RiskAssessmentIn, request: Request, guard: Staff
) -> JSONResponse:
    """Assess or reassess risk with a named, versioned instrument; the level is computed
    from the answers, and an override is kept beside it with its rationale."""
    return execute(
        request,
        guard,
        name="assess_risk",
        body=body,
        case_id=case_id,
        build=lambda ctx: body.to_command(case_id, ctx),
        handler=assess_risk.handle,
    )


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/actions",
    name="plan_action",
    status_code=201,
    response_model=ReceiptOut,
)
def plan_an_action(case_id: CaseId, body: ActionIn, request: Request, guard: Staff) -> JSONResponse:
    """Add an action to the case's plan, with an owner agency and officer and a due date."""
    return execute(
        request,
        guard,
        name="plan_action",
        body=body,
        case_id=case_id,
        build=lambda ctx: body.to_command(case_id, ctx),
        handler=plan_action.handle,
    )


ActionPath = Annotated[ActionId, Path(description="The action's id in the plan")]


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/actions/{action_id}/complete",
    name="complete_action",
    status_code=201,
    response_model=ReceiptOut,
)
def complete_an_action(
    case_id: CaseId,
    action_id: ActionPath,
    body: ActionOutcomeIn,
    request: Request,
    guard: Staff,
) -> JSONResponse:
    """Mark a planned action done, with its outcome."""
    return execute(
        request,
        guard,
        name="complete_action",
        body=body,
        case_id=case_id,
        build=lambda ctx: body.completing(case_id, action_id, ctx),
        handler=complete_action.handle,
    )


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/actions/{action_id}/cancel",
    name="cancel_action",
    status_code=201,
    response_model=ReceiptOut,
)
def cancel_an_action(
    case_id: CaseId,
    action_id: ActionPath,
    body: ActionOutcomeIn,
    request: Request,
    guard: Staff,
) -> JSONResponse:
    """Cancel a planned action, with the reason."""
    return execute(
        request,
        guard,
        name="cancel_action",
        body=body,
        case_id=case_id,
        build=lambda ctx: body.cancelling(case_id, action_id, ctx),
        handler=cancel_action.handle,
    )


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/timescales",
    name="agree_timescales",
    status_code=201,
    response_model=ReceiptOut,
)
def agree_case_timescales(
    case_id: CaseId, body: TimescalesIn, request: Request, guard: Staff
) -> JSONResponse:
    """Record the timescales agreed with the victim and partners: first contact, next
    review and target resolution (otherwise the defaults for the risk level apply)."""
    return execute(
        request,
        guard,
        name="agree_timescales",
        body=body,
        case_id=case_id,
        build=lambda ctx: body.to_command(case_id, ctx),
        handler=agree_timescales.handle,
    )
