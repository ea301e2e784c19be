"""Legal holds: the DPO places and lifts them, auditors read them, nobody else sees them."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Path, Response

from api.deps import ClockDep, LedgerDep
from api.errors import invalid_field
from api.policy import Action, Guard, authorize
from api.routes.common import COMMAND_RESPONSES, case_id_named
from api.schemas.holds import HoldIn, HoldOut, HoldRecordedOut, HoldsOut, LiftIn
from commands import holds as commands
from ledger.holds import HoldScope

router = APIRouter(prefix="/dpo/holds", tags=["data protection"])

Reader = Annotated[Guard, Depends(authorize(Action.READ_HOLDS))]
Manager = Annotated[Guard, Depends(authorize(Action.MANAGE_HOLDS))]
HoldPath = Annotated[UUID, Path(description="The hold's id")]


def _doc(status: int, description: str) -> dict[str, Any]:
    return {**COMMAND_RESPONSES[status], "description": description}


READS: dict[int | str, dict[str, Any]] = {
    status: COMMAND_RESPONSES[status] for status in (401, 403, 422, 503)
}
WRITES: dict[int | str, dict[str, Any]] = {
    **READS,
    201: {
        "description": "Recorded: the hold as it now stands, and the event's position",
        "headers": {"Location": {"description": "The hold", "schema": {"type": "string"}}},
    },
    400: _doc(400, "A body that is not JSON"),
    404: _doc(404, "No such legal hold"),
    409: _doc(409, "The hold was lifted already (hold.already_lifted)"),
}


@router.get("", name="dpo.holds", response_model=HoldsOut, responses=READS)
def list_holds(guard: Reader, ledger: LedgerDep) -> HoldsOut:
    """Every legal hold: those in force first, then those lifted, newest first in each.
    References and codes only."""
    return HoldsOut(items=[HoldOut.of(hold) for hold in ledger.holds.all()])


@router.post(
    "",
    name="dpo.holds.place",
    status_code=201,
    response_model=HoldRecordedOut,
    responses=WRITES,
)
def place_hold(
    guard: Manager, body: HoldIn, ledger: LedgerDep, clock: ClockDep, response: Response
) -> HoldRecordedOut:
    """Places a legal hold (the DPO's decision) on a case, a person (every record of
    theirs) or every case of a category, with a reason code and the matter's reference.
    While it is in force, erasure (``erasure.legal_hold``) and the retention sweep leave
    what it covers alone. A case or person the ledger does not know is refused
    (``hold.scope_unknown``)."""
    given = [name for name in ("case", "person_ref", "category") if getattr(body, name)]
    if len(given) != 1:
        raise invalid_field(
            f"body.{given[-1] if given else 'case'}",
            "give exactly one of case, person_ref and category",
        )
    case_id = None
    if body.case is not None:
        case_id = case_id_named(ledger, body.case)
        if case_id is None:
            raise invalid_field("body.case", "no case has this id or reference")
    command = commands.PlaceHold(
        actor=guard.caller.actor(),
        occurred_at=clock(),
        hold_id=uuid4(),
        scope=HoldScope(case_id, body.person_ref, body.category),
        reason=body.reason,
        reference=body.reference,
    )
    hold, position = commands.place(command, ledger)
    response.headers["Location"] = f"/dpo/holds/{hold.id}"
    return HoldRecordedOut.recorded(hold, position)


@router.post(
    "/{hold_id}/lift",
    name="dpo.holds.lift",
    status_code=201,
    response_model=HoldRecordedOut,
    responses=WRITES,
)
def lift_hold(
    guard: Manager, hold_id: HoldPath, body: LiftIn, ledger: LedgerDep, clock: ClockDep
) -> HoldRecordedOut:
    """Lifts a legal hold in force (the DPO's decision), with a reason code: what it
    covered may be erased again, unless another hold covers it. A lifted hold cannot be
    lifted again (``hold.already_lifted``)."""
    command = commands.LiftHold(
        actor=guard.caller.actor(), occurred_at=clock(), hold_id=hold_id, reason=body.reason
    )
    hold, position = commands.lift(command, ledger)
    return HoldRecordedOut.recorded(hold, position)
