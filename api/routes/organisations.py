"""The organisation register: the information sharing protocol's signatories."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import ClockDep, LedgerDep
from api.errors import Problem
from api.policy import Action, Guard, authorize
from api.routes.common import COMMAND_RESPONSES
from api.schemas.organisations import (
    OrganisationId,
    OrganisationIn,
    OrganisationOut,
    OrganisationsOut,
    RegisteredOrganisationOut,
    RetireIn,
)
from commands import organisations as commands

router = APIRouter(prefix="/organisations", tags=["organisations"])

Reader = Annotated[Guard, Depends(authorize(Action.READ_ORGANISATIONS))]
Manager = Annotated[Guard, Depends(authorize(Action.MANAGE_ORGANISATIONS))]
OrgPath = Annotated[OrganisationId, Path(description="The organisation's id")]


def _doc(status: int, description: str) -> dict[str, Any]:
    return {**COMMAND_RESPONSES[status], "description": description}


READS: dict[int | str, dict[str, Any]] = {
    **{status: COMMAND_RESPONSES[status] for status in (401, 403, 422, 503)},
    404: _doc(404, "No organisation has this id"),
}
WRITES: dict[int | str, dict[str, Any]] = {
    **READS,
    201: {"description": "Recorded: the organisation as registered, and the event's position"},
    400: _doc(400, "A body that is not JSON"),
    409: _doc(409, "The id is already registered (organisation.already_registered)"),
    422: _doc(422, "Invalid body (the field is named) or a broken rule (its code is given)"),
}


@router.get("", name="organisations.list", response_model=OrganisationsOut, responses=READS)
def list_organisations(
    guard: Reader,
    ledger: LedgerDep,
    clock: ClockDep,
    active: Annotated[
        bool | None, Query(description="Only signatories today (true) or only former (false)")
    ] = None,
) -> OrganisationsOut:
    """Every registered organisation, by id: what shares, referrals and partners' tokens
    name. No personal data."""
    today = clock().date()
    items = [OrganisationOut.of(o, today) for o in ledger.organisations.all()]
    if active is not None:
        items = [o for o in items if o.active is active]
    return OrganisationsOut(items=items)


@router.get("/{org_id}", name="organisations.get", response_model=OrganisationOut, responses=READS)
def get_organisation(
    guard: Reader, ledger: LedgerDep, clock: ClockDep, org_id: OrgPath
) -> OrganisationOut:
    """One registered organisation."""
    found = ledger.organisations.get(org_id)
    if found is None:
        raise Problem(404, "not-found", "Not found", "no such organisation")
    return OrganisationOut.of(found, clock().date())


@router.post(
    "",
    name="organisations.register",
    status_code=201,
    response_model=RegisteredOrganisationOut,
    responses=WRITES,
)
async def register_organisation(
    guard: Manager, ledger: LedgerDep, clock: ClockDep, body: OrganisationIn
) -> JSONResponse:
    """Registers a signatory of the information sharing protocol (admins only). Its id
    is what partners' tokens carry and what shares and referrals name."""
    now = clock()
    command = commands.RegisterOrganisation(
        actor=guard.caller.actor(),
        occurred_at=now,
        org_id=body.id,
        org_name=body.name,
        agency=body.agency,
        protocol_reference=body.protocol_reference,
        joined=body.joined,
    )
    record, position = await run_in_threadpool(commands.register, command, ledger)
    receipt = RegisteredOrganisationOut(
        **OrganisationOut.of(record, now.date()).model_dump(), position=position
    )
    return JSONResponse(
        receipt.model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/organisations/{record.org_id}"},
    )


@router.post(
    "/{org_id}/retire",
    name="organisations.retire",
    status_code=201,
    response_model=RegisteredOrganisationOut,
    responses=WRITES,
)
async def retire_organisation(
    guard: Manager, ledger: LedgerDep, clock: ClockDep, org_id: OrgPath, body: RetireIn
) -> JSONResponse:
    """Records that an organisation left the protocol (admins only): nothing is shared with
    it from ``left`` on, and its officers' tokens are refused."""
    now = clock()
    command = commands.RetireOrganisation(
        actor=guard.caller.actor(), occurred_at=now, org_id=org_id, left=body.left
    )
    record, position = await run_in_threadpool(commands.retire, command, ledger)
    receipt = RegisteredOrganisationOut(
        **OrganisationOut.of(record, now.date()).model_dump(), position=position
    )
    return JSONResponse(receipt.model_dump(mode="json"), status_code=201)
