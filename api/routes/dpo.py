"""The data protection officer's queries: the disclosure log, for the DPO and auditors only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime

from api.deps import (
    AccessDep,
    ClockDep,
    DisclosuresDep,
    LedgerDep,
    MinPositionDep,
    RiskDep,
    SettingsDep,
)
from api.errors import Problem, invalid_field
from api.policy import Action, Guard, authorize
from api.routes.cases import READ_RESPONSES
from api.routes.common import CASE_ID_OR_REFERENCE, COMMAND_RESPONSES, case_id_named
from api.schemas.dpo import DisclosureOut, DisclosuresOut, ErasedOut, ErasureIn
from commands import erase_person as erase_person_command
from ledger.application import CaseLedger
from projections.disclosures.model import DisclosureQuery
from projections.view import ViewBehind
from replay.sar_response import erase_reports_about

log = structlog.get_logger("api")
router = APIRouter(tags=["data protection"])

DisclosureReader = Annotated[Guard, Depends(authorize(Action.READ_DISCLOSURES))]
Eraser = Annotated[Guard, Depends(authorize(Action.ERASE_PERSON))]


@router.get(
    "/dpo/disclosures",
    name="dpo.disclosures",
    response_model=DisclosuresOut,
    responses=READ_RESPONSES,
)
def list_disclosures(
    request: Request,
    guard: DisclosureReader,
    log: DisclosuresDep,
    access: AccessDep,
    ledger: LedgerDep,
    subject: Annotated[
        UUID | None, Query(description="A person reference: disclosures about them.")
    ] = None,
    case: Annotated[
        str | None,
        Query(
            pattern=CASE_ID_OR_REFERENCE,
            description="A case id or reference: disclosures of it.",
        ),
    ] = None,
    actor: Annotated[
        str | None,
        Query(max_length=200, description="A staff or partner user id: what they saw or sent."),
    ] = None,
    since: Annotated[
        AwareDatetime | None,
        Query(alias="from", description="From this time (inclusive), with a timezone."),
    ] = None,
    until: Annotated[
        AwareDatetime | None,
        Query(alias="to", description="Up to this time (exclusive), with a timezone."),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    min_position: MinPositionDep = None,
) -> DisclosuresOut:
    """Who saw or received what about a person or a case, when and why: every read of a
    case's data (refusals too), every share and every police referral, newest first, a
    page at a time. Filters combine. Only the DPO and auditors may ask, and each query is
    itself recorded as an access (with the subject asked about)."""
    query = disclosure_query(ledger, subject, case, actor, since, until)
    page = log.list_disclosures(query, limit=limit, cursor=cursor, min_position=min_position)
    access.record(
        request,
        guard.caller,
        case_id=query.case_id,
        case_version=None,
        view="dpo.disclosures",
        subjects=() if subject is None else (subject,),
    )
    return DisclosuresOut(
        items=[DisclosureOut.of(entry) for entry in page.items], next_cursor=page.next_cursor
    )


def disclosure_query(
    ledger: CaseLedger,
    subject: UUID | None,
    case: str | None,
    actor: str | None,
    since: datetime | None,
    until: datetime | None,
) -> DisclosureQuery:
    """The log's query for these filters: a person with every record merged with theirs, a
    case by id or reference (422 ``query.case`` if none has it), ``from`` not after ``to``."""
    case_id = None if case is None else case_id_named(ledger, case)
    if case is not None and case_id is None:
        raise invalid_field("query.case", "no case has this reference")
    try:
        return DisclosureQuery(
            subject=subject,
            also=() if subject is None else tuple(ledger.people.same_person(subject)),
            case_id=case_id,
            actor=actor,
            since=since,
            until=until,
        )
    except ValueError:
        raise invalid_field("query.from", "must not be after `to`") from None


ERASURES: dict[int | str, dict[str, Any]] = {
    **{status: COMMAND_RESPONSES[status] for status in (400, 401, 403, 422, 503)},
    201: {"description": "Erased: the keys destroyed, each destruction recorded"},
    409: {
        **COMMAND_RESPONSES[409],
        "description": "A legal hold covers the person, a case of theirs or its category"
        " (erasure.legal_hold, naming the holds)",
    },
}


@router.post(
    "/dpo/erasures",
    name="dpo.erase",
    status_code=201,
    response_model=ErasedOut,
    responses=ERASURES,
)
async def erase_person(
    guard: Eraser,
    body: ErasureIn,
    ledger: LedgerDep,
    risk: RiskDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> JSONResponse:
    """Erases a person (the DPO's decision, with its ground): the keys of every record found
    to be them are destroyed, so every field sealed under them reads as erased wherever it
    was recorded (case views, rebuilds, exports, the register), their index tokens go, and
    each destruction is recorded without personal data. The stored report of every response
    issued to their subject access requests (their data in the clear) is deleted; its signed
    bundle stays. Refused while a legal hold covers the person, a case they are on or its
    category (``erasure.legal_hold``, 409), while a subject access request about them is
    open (``erasure.open_sar``, 409), and (``erasure.case_open``) while a case on which
    they are a victim or an alleged perpetrator is open. The hash chains commit to
    ciphertext digests, so ``verify --all`` still passes."""
    head = ledger.recorder.max_notification_id() or 0
    try:  # the cases as of now, so that a case just opened is counted
        cases = risk.person_cases(body.person_ref, min_position=head)
    except ViewBehind:
        raise Problem(
            503,
            "view-behind",
            "View behind",
            "the risk view has not reached the ledger's head yet; retry shortly",
            headers={"Retry-After": "1"},
        ) from None
    command = erase_person_command.ErasePerson(
        actor=guard.caller.actor(),
        occurred_at=clock(),
        person_ref=body.person_ref,
        ground=body.ground,
    )
    scopes = await run_in_threadpool(
        erase_person_command.handle, command, ledger, [c.case_id for c in cases]
    )
    await run_in_threadpool(erase_reports_about, ledger, settings.sar_path, [body.person_ref])
    out = ErasedOut(person_ref=body.person_ref, erased=scopes)
    return JSONResponse(out.model_dump(mode="json"), status_code=201)
