"""Commands that change a case's standing: close, reopen, assign."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.commanding import CommandsDep
from api.routes.common import COMMAND_HEADERS, COMMAND_RESPONSES, CaseId, Staff, Supervisor
from api.schemas.closure import AssignIn, CloseIn, ReopenIn
from api.schemas.views import ReceiptOut

router = APIRouter(
    prefix="/cases/{case_id}",
    tags=["case lifecycle"],
    responses=COMMAND_RESPONSES,
)


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/close",
    name="close_case",
    status_code=201,
    response_model=ReceiptOut,
)
def close_the_case(
    case_id: CaseId, body: CloseIn, guard: Staff, commands: CommandsDep
) -> JSONResponse:
    """Close the case formally: the reason, full reasons and the feedback given to the
    complainant (by their preferred method, or why not). No further action, not ASB,
    insufficient evidence and equal fault closures also need the explanation and the
    self-help or alternative advice given. A case with high risk, an unreferred criminal
    incident or an open action needs a supervisor to close it."""
    return commands.run(guard, body, lambda ctx: body.to_command(case_id, ctx), case_id=case_id)


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/reopen",
    name="reopen_case",
    status_code=201,
    response_model=ReceiptOut,
)
def reopen_the_case(
    case_id: CaseId, body: ReopenIn, guard: Staff, commands: CommandsDep
) -> JSONResponse:
    """Reopen a closed case, with the reason."""
    return commands.run(guard, body, lambda ctx: body.to_command(case_id, ctx), case_id=case_id)


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/assign",
    name="assign_case",
    status_code=201,
    response_model=ReceiptOut,
)
def assign_the_case(
    case_id: CaseId, body: AssignIn, guard: Supervisor, commands: CommandsDep
) -> JSONResponse:
    """Assign or reassign the case to a team and, optionally, an officer (supervisors)."""
    return commands.run(guard, body, lambda ctx: body.to_command(case_id, ctx), case_id=case_id)
