"""Commands on a case's people, incidents, risk assessments, actions and timescales."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from api.commanding import CommandsDep
from api.routes.common import COMMAND_HEADERS, COMMAND_RESPONSES, CaseId, Contributor, Staff
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

router = APIRouter(
    prefix="/cases/{case_id}",
    tags=["case plan"],
    responses=COMMAND_RESPONSES,
)


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/people",
    name="link_person",
    status_code=201,
    response_model=ReceiptOut,
)
def link_a_person(
    case_id: CaseId, body: LinkPersonIn, guard: Staff, commands: CommandsDep
) -> JSONResponse:
    """Link a person to the case as victim, witness, alleged perpetrator or representative
    (their details are sealed under their own key). ``created.person_ref`` names them."""
    return commands.run(guard, body, lambda ctx: body.to_command(case_id, ctx), case_id=case_id)


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/incidents",
    name="record_incident",
    status_code=201,
    response_model=ReceiptOut,
)
def record_an_incident(
    case_id: CaseId, body: IncidentIn, guard: Contributor, commands: CommandsDep
) -> JSONResponse:
    """Record a further incident: when it happened, its type and harm indicators, and
    whether it is criminal (a criminal incident must then be referred to the police).
    Partners may add incidents to cases shared with them."""
    return commands.run(guard, body, lambda ctx: body.to_command(case_id, ctx), case_id=case_id)


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/risk-assessments",
    name="assess_risk",
    status_code=201,
    response_model=ReceiptOut,
)
def assess_risk_on_case(
    case_id: CaseId, body: RiskAssessmentIn, guard: Staff, commands: CommandsDep
) -> JSONResponse:
    """Assess or reassess risk with a named, versioned instrument; the level is computed
    from the answers, and an override is kept beside it with its rationale."""
    return commands.run(guard, body, lambda ctx: body.to_command(case_id, ctx), case_id=case_id)


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/actions",
    name="plan_action",
    status_code=201,
    response_model=ReceiptOut,
)
def plan_an_action(
    case_id: CaseId, body: ActionIn, guard: Staff, commands: CommandsDep
) -> JSONResponse:
    """Add an action to the case's plan, with an owner agency and officer and a due date."""
    return commands.run(guard, body, lambda ctx: body.to_command(case_id, ctx), case_id=case_id)


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
    guard: Staff,
    commands: CommandsDep,
) -> JSONResponse:
    """Mark a planned action done, with its outcome."""
    return commands.run(
        guard, body, lambda ctx: body.completing(case_id, action_id, ctx), case_id=case_id
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
    guard: Staff,
    commands: CommandsDep,
) -> JSONResponse:
    """Cancel a planned action, with the reason."""
    return commands.run(
        guard, body, lambda ctx: body.cancelling(case_id, action_id, ctx), case_id=case_id
    )


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/timescales",
    name="agree_timescales",
    status_code=201,
    response_model=ReceiptOut,
)
def agree_case_timescales(
    case_id: CaseId, body: TimescalesIn, guard: Staff, commands: CommandsDep
) -> JSONResponse:
    """Record the timescales agreed with the victim and partners: first contact, next
    review and target resolution (otherwise the defaults for the risk level apply)."""
    return commands.run(guard, body, lambda ctx: body.to_command(case_id, ctx), case_id=case_id)
