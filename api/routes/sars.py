"""Subject access requests (UK GDPR Article 15): the DPO's queue, review and response.

DPOs act; auditors read; nobody else sees them. Reading a request's draft shows the
person's data and, for review, third parties' data: it is recorded as an access naming them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse

from api.deps import (
    AccessDep,
    ClockDep,
    DisclosuresDep,
    LedgerDep,
    NotaryDep,
    RiskDep,
    SettingsDep,
)
from api.errors import Problem, not_found
from api.policy import Action, Guard, authorize
from api.routes.common import COMMAND_RESPONSES
from api.schemas.sars import (
    ClockRestartIn,
    ClockStopIn,
    CloseIn,
    DecisionIn,
    ExtensionIn,
    IdentityIn,
    IssuedOut,
    SarDraftOut,
    SarIn,
    SarOut,
    SarsOut,
    queue,
)
from commands import issue_sar, progress_sar, request_sar, review_sar_item
from ledger.application import CaseLedger
from ledger.sar import SubjectAccessRequest
from ledger.settings import Retention
from projections.notary import NotaryKeyError, notary_settings
from projections.view import ViewBehind
from replay.sar_bundle import REPORT_FILE
from replay.sar_draft import Draft
from replay.sar_response import BUNDLE_FILE, NotYetSigned, write_response
from replay.sar_sources import draft_for

router = APIRouter(prefix="/dpo/sars", tags=["data protection"])

Handler = Annotated[Guard, Depends(authorize(Action.MANAGE_SARS))]
Reader = Annotated[Guard, Depends(authorize(Action.READ_SARS))]
SarId = Annotated[UUID, Path(description="The request's id")]
ItemId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=260,
        description="An item of the draft: third_party:<ref>:<field>, actor:<user id> or"
        " record:<case id>:<version>",
    ),
]

READS: dict[int | str, dict[str, Any]] = {
    s: COMMAND_RESPONSES[s] for s in (401, 403, 404, 422, 503)
}
BODY_UNREADABLE = {**COMMAND_RESPONSES[400], "description": "The body is not JSON"}
WRITES: dict[int | str, dict[str, Any]] = {
    **READS,
    400: BODY_UNREADABLE,
    201: {"description": "Recorded: the request as it stands now"},
    409: COMMAND_RESPONSES[409],
}


def _behind() -> Problem:
    return Problem(
        503,
        "view-behind",
        "View behind",
        "the read models have not reached the ledger's head yet; retry shortly",
        headers={"Retry-After": "1"},
    )


def _draft(ledger: CaseLedger, sar: SubjectAccessRequest, risk: Any, log: Any) -> Draft:
    try:
        return draft_for(ledger, sar, risk=risk, log=log, retention=Retention(), wait=2.0)
    except ViewBehind:
        raise _behind() from None


def _require(ledger: CaseLedger, sar_id: UUID) -> SubjectAccessRequest:
    sar = ledger.sars.get(sar_id)
    if sar is None:
        raise not_found("no such subject access request")
    return sar


def _created(sar: SubjectAccessRequest, today: date) -> JSONResponse:
    out = SarOut.of(sar, today)
    return JSONResponse(
        out.model_dump(mode="json"), status_code=201, headers={"Location": f"/dpo/sars/{sar.id}"}
    )


@router.post("", name="sars.request", status_code=201, response_model=SarOut, responses=WRITES)
async def request(guard: Handler, body: SarIn, ledger: LedgerDep, clock: ClockDep) -> JSONResponse:
    """Records a subject access request received: whose data, from whom, when it arrived
    and when the requester's identity was confirmed (the month runs from the later). An
    open request holds the person's data: erasure and retention refuse to touch it."""
    now = clock()
    command = request_sar.RequestSar(
        actor=guard.caller.actor(),
        occurred_at=now,
        sar_id=uuid4(),
        person_ref=body.person_ref,
        requester=body.requester,
        representative_ref=body.representative_ref,
        received_on=body.received_on,
        identity_checked_on=body.identity_checked_on,
        asks_for=tuple(body.asks_for),
    )
    sar, _ = await run_in_threadpool(request_sar.handle, command, ledger)
    return _created(sar, now.date())


@router.get("", name="sars.list", response_model=SarsOut, responses=READS)
def list_requests(guard: Reader, ledger: LedgerDep, clock: ClockDep) -> SarsOut:
    """Every request: the overdue first, then the open by due date, then those waiting for
    identity or clarification, then the issued and closed (newest first). No personal data."""
    today = clock().date()
    return SarsOut(items=queue(SarOut.of(sar, today) for sar in ledger.sars.all()))


@router.get("/{sar_id}", name="sars.get", response_model=SarDraftOut, responses=READS)
def read_request(
    guard: Reader,
    request: Request,
    sar_id: SarId,
    ledger: LedgerDep,
    risk: RiskDep,
    log: DisclosuresDep,
    access: AccessDep,
    clock: ClockDep,
) -> SarDraftOut:
    """The request and its draft response as it would be issued now: every record about the
    person across their cases (their own fields unsealed, third parties' withheld unless
    released), and every item for review with what it would release and where it appears."""
    sar = _require(ledger, sar_id)
    draft = _draft(ledger, sar, risk, log)
    out = SarDraftOut.of(sar, draft, clock().date())
    access.record(
        request,
        guard.caller,
        case_id=None,
        case_version=None,
        view="dpo.sar",
        subjects=[sar.person_ref, *draft.third_parties()],
    )
    return out


def _who(guard: Guard, clock: Callable[[], Any], sar_id: UUID) -> dict[str, Any]:
    return {"actor": guard.caller.actor(), "occurred_at": clock(), "sar_id": sar_id}


async def _progress(
    ledger: CaseLedger, sar_id: UUID, command: progress_sar.SarCommand
) -> JSONResponse:
    _require(ledger, sar_id)
    sar, _ = await run_in_threadpool(progress_sar.handle, command, ledger)
    return _created(sar, command.occurred_at.date())


def _post(path: str, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return router.post(
        path, name=f"sars.{name}", status_code=201, response_model=SarOut, responses=WRITES
    )


@_post("/{sar_id}/identity", "identity")
async def identity_checked(
    guard: Handler, sar_id: SarId, body: IdentityIn, ledger: LedgerDep, clock: ClockDep
) -> JSONResponse:
    """The requester's identity (or a representative's authority) was confirmed: the month
    runs from that day."""
    who = _who(guard, clock, sar_id)
    return await _progress(ledger, sar_id, progress_sar.CheckIdentity(**who, on=body.on))


@_post("/{sar_id}/clock/stop", "stop_clock")
async def stop_clock(
    guard: Handler, sar_id: SarId, body: ClockStopIn, ledger: LedgerDep, clock: ClockDep
) -> JSONResponse:
    """Stops the clock while clarification (or proof) is sought; no deadline runs."""
    who = _who(guard, clock, sar_id)
    command = progress_sar.StopClock(**who, on=body.on, reason=body.reason)
    return await _progress(ledger, sar_id, command)


@_post("/{sar_id}/clock/restart", "restart_clock")
async def restart_clock(
    guard: Handler, sar_id: SarId, body: ClockRestartIn, ledger: LedgerDep, clock: ClockDep
) -> JSONResponse:
    """What the clock waited for arrived: a fresh month runs from that day."""
    who = _who(guard, clock, sar_id)
    return await _progress(ledger, sar_id, progress_sar.RestartClock(**who, on=body.on))


@_post("/{sar_id}/extension", "extend")
async def extend(
    guard: Handler, sar_id: SarId, body: ExtensionIn, ledger: LedgerDep, clock: ClockDep
) -> JSONResponse:
    """Extends the time to respond by up to two months in all, only while the first month
    runs (``sar.extension_refused`` otherwise)."""
    who = _who(guard, clock, sar_id)
    command = progress_sar.ExtendSar(**who, months=body.months, reason=body.reason)
    return await _progress(ledger, sar_id, command)


@_post("/{sar_id}/close", "close")
async def close(
    guard: Handler, sar_id: SarId, body: CloseIn, ledger: LedgerDep, clock: ClockDep
) -> JSONResponse:
    """Ends the request without a response (withdrawn, or refused as manifestly unfounded
    or excessive): its hold on the person's data ends."""
    who = _who(guard, clock, sar_id)
    return await _progress(ledger, sar_id, progress_sar.CloseSar(**who, closure=body.closure))


@router.post(
    "/{sar_id}/items/{item}/decision",
    name="sars.decide",
    status_code=201,
    response_model=SarOut,
    responses=WRITES,
)
async def decide(
    guard: Handler,
    sar_id: SarId,
    item: ItemId,
    body: DecisionIn,
    ledger: LedgerDep,
    risk: RiskDep,
    log: DisclosuresDep,
    clock: ClockDep,
) -> JSONResponse:
    """Releases an item of the draft, or withholds it on a ground (required to withhold).
    A later decision on the same item replaces it, until the response is issued."""
    now = clock()
    sar = _require(ledger, sar_id)
    draft = await run_in_threadpool(_draft, ledger, sar, risk, log)
    command = review_sar_item.ReviewSarItem(
        actor=guard.caller.actor(),
        occurred_at=now,
        sar_id=sar_id,
        item=item,
        decision=body.decision,
        ground=body.ground,
    )
    sar, _ = await run_in_threadpool(review_sar_item.handle, command, ledger, set(draft.items))
    return _created(sar, now.date())


@router.post(
    "/{sar_id}/issue",
    name="sars.issue",
    status_code=201,
    response_model=IssuedOut,
    responses={**WRITES, 201: {"description": "Issued: the response folder was written"}},
)
async def issue(
    guard: Handler,
    request: Request,
    sar_id: SarId,
    ledger: LedgerDep,
    risk: RiskDep,
    log: DisclosuresDep,
    notary: NotaryDep,
    access: AccessDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> JSONResponse:
    """Issues the response as reviewed: writes ``report.html`` (what is held, who received
    it and why, who consulted it and when and why, what was withheld and on which ground,
    the person's rights and how to complain to the ICO) and ``bundle.json`` (the report's
    digest and every cited event's inclusion proof, signed by the notary's key, checked
    offline by ``asb-ledger verify --bundle``), then records the issue; the request closes
    and its hold ends. 503 while the notary has not signed the latest events."""
    now = clock()
    sar = _require(ledger, sar_id)
    sar.check_issuable()
    if notary is None:
        raise Problem(503, "notary-absent", "Notary absent", _NO_NOTARY)
    try:
        signer = notary_settings(ledger.settings, create=False).signer
    except NotaryKeyError:
        raise Problem(503, "notary-absent", "Notary absent", _NO_NOTARY) from None
    draft = await run_in_threadpool(_draft, ledger, sar, risk, log)
    try:
        written = await run_in_threadpool(
            lambda: write_response(
                draft,
                sar,
                notary=notary,
                signer=signer,
                folder=settings.sar_path / str(sar.id),
                issued_at=now,
                council=settings.council_name,
                organisation=ledger.organisations.name_of,
            )
        )
    except NotYetSigned as waiting:
        raise Problem(
            503, "not-signed-yet", "Not signed yet", str(waiting), headers={"Retry-After": "2"}
        ) from None
    command = issue_sar.IssueSar(
        actor=guard.caller.actor(),
        occurred_at=now,
        sar_id=sar_id,
        report_sha256=written.report_sha256,
        bundle_sha256=written.bundle_sha256,
        released=draft.released(),
        withheld=draft.withheld(),
    )
    issued, _ = await run_in_threadpool(issue_sar.handle, command, ledger)
    await run_in_threadpool(
        lambda: access.record(
            request,
            guard.caller,
            case_id=None,
            case_version=None,
            view="dpo.sar.issue",
            subjects=[sar.person_ref, *draft.third_parties(released_only=True)],
        )
    )
    out = IssuedOut(
        sar=SarOut.of(issued, now.date()),
        folder=str(written.folder),
        report_sha256=written.report_sha256,
        bundle_sha256=written.bundle_sha256,
        released=draft.released(),
        withheld=draft.withheld(),
    )
    return JSONResponse(out.model_dump(mode="json"), status_code=201)


_NO_NOTARY = (
    "the notary (and its key) does not run in this process: issue the response where it"
    " does, or with `asb-ledger dpo sar issue`"
)
FILES: dict[int | str, dict[str, Any]] = {
    **READS,
    200: {
        "description": "The file as issued",
        "content": {"text/html": {}, "application/json": {}},
    },
}


@router.get("/{sar_id}/report", name="sars.report", response_class=FileResponse, responses=FILES)
def report(
    guard: Reader,
    request: Request,
    sar_id: SarId,
    ledger: LedgerDep,
    access: AccessDep,
    settings: SettingsDep,
) -> FileResponse:
    """The issued report, as sent (404 until the response is issued, and once the person
    is erased: the report is deleted with their data, its bundle kept)."""
    sar = _issued(ledger, sar_id)
    path = settings.sar_path / str(sar_id) / REPORT_FILE
    if not path.is_file():
        raise not_found("the report is not held: deleted when the person was erased")
    access.record(
        request,
        guard.caller,
        case_id=None,
        case_version=None,
        view="dpo.sar.report",
        subjects=[sar.person_ref],
    )
    return FileResponse(path, media_type="text/html")


@router.get("/{sar_id}/bundle", name="sars.bundle", response_class=FileResponse, responses=FILES)
def bundle(guard: Reader, sar_id: SarId, ledger: LedgerDep, settings: SettingsDep) -> FileResponse:
    """The issued bundle (hashes and proofs, no personal data), for ``verify --bundle``."""
    _issued(ledger, sar_id)
    return FileResponse(
        settings.sar_path / str(sar_id) / BUNDLE_FILE, media_type="application/json"
    )


def _issued(ledger: CaseLedger, sar_id: UUID) -> SubjectAccessRequest:
    sar = _require(ledger, sar_id)
    if sar.issued_at is None:
        raise not_found("the response has not been issued")
    return sar
