"""Subject access requests for the DPO (and, to read, auditors): the queue with its due dates,
one request's status, deadline and history, its issued report and bundle, and a form to
record a new request. The same routes as ``/dpo/sars`` (``api/routes/sars.py``) do the work,
so the same policy, commands and access records apply.

The queue and a request's status hold references, dates and codes only, as the API's do;
the issued report (the person's data in the clear) is recorded as an access when it is sent,
by the API's own route."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from api.deps import AccessDep, ClockDep, LedgerDep, SettingsDep
from api.errors import not_found
from api.policy import Action, Guard, decide
from api.routes import sars as api_sars
from api.schemas.sars import SarIn, SarOut
from api.web.forms import as_list, blank_to_none, form_values, refused_by_rule, validate
from api.web.guard import Csrf, page_guard
from api.web.rendering import page, working_days_late
from ledger.application import CaseLedger
from ledger.enums import SarDecision, SarPart, SarRequester
from ledger.errors import RuleViolation
from ledger.events import CaseEvent
from ledger.sar import SubjectAccessRequest
from replay.sar_bundle import REPORT_FILE

router = APIRouter(include_in_schema=False)

Reader = Annotated[Guard, Depends(page_guard(Action.READ_SARS))]
Handler = Annotated[Guard, Depends(page_guard(Action.MANAGE_SARS))]

PARTS = [(p.value, p.value.replace("_", " ").capitalize()) for p in SarPart]
REQUESTERS = [
    (SarRequester.DATA_SUBJECT.value, "The person themselves"),
    (SarRequester.REPRESENTATIVE.value, "Someone acting for them (their authority checked)"),
]
EVENTS = {
    "SarRequested": "Request received",
    "SarIdentityChecked": "Identity confirmed",
    "SarClockStopped": "Clock stopped",
    "SarClockRestarted": "Clock restarted",
    "SarExtended": "Time extended",
    "SarItemReviewed": "Item decided",
    "SarIssued": "Response issued",
    "SarClosed": "Closed without a response",
}
"""Each of a request's events in words (its fields are references, dates and codes)."""


def _lateness(sar: SarOut, today: date) -> dict[str, Any]:
    """Days left to the due date, or working days overdue."""
    if sar.due_on is None:
        return {}
    if sar.status == "overdue":
        return {"overdue": working_days_late(sar.due_on, today)}
    return {"left": (sar.due_on - today).days}


def _may(guard: Guard, action: Action) -> bool:
    return decide(guard.caller, action).allowed


@router.get("/app/dpo/sars", name="web.dpo.sars")
def sars_page(request: Request, guard: Reader, ledger: LedgerDep, clock: ClockDep) -> Response:
    today = clock().date()
    listed = api_sars.list_requests(guard, ledger, clock)
    return page(
        request,
        "dpo_sars.html",
        {
            "rows": [{"sar": s, **_lateness(s, today)} for s in listed.items],
            "today": today,
            "may_record": _may(guard, Action.MANAGE_SARS),
            "breadcrumbs": [("Home", "/app"), ("Subject access requests", None)],
        },
        principal=guard.caller,
    )


def _form(
    request: Request,
    guard: Guard,
    today: date,
    values: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
    field_errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    given = values or {
        "received_on": today.isoformat(),
        "requester": SarRequester.DATA_SUBJECT.value,
        "asks_for": [p for p, _ in PARTS],
    }
    return page(
        request,
        "dpo_sar_new.html",
        {
            "values": given,
            "asks_for": as_list(given.get("asks_for")),
            "parts": PARTS,
            "requesters": REQUESTERS,
            "errors": errors,
            "field_errors": field_errors or {},
            "breadcrumbs": [
                ("Home", "/app"),
                ("Subject access requests", "/app/dpo/sars"),
                ("Record a request", None),
            ],
        },
        principal=guard.caller,
        status=status,
    )


@router.get("/app/dpo/sars/new", name="web.dpo.sar_new")
def new_sar_page(request: Request, guard: Handler, clock: ClockDep) -> Response:
    return _form(request, guard, clock().date())


@router.post("/app/dpo/sars", name="web.dpo.sar_record", dependencies=[Csrf])
async def record_sar(
    request: Request, guard: Handler, ledger: LedgerDep, clock: ClockDep
) -> Response:
    """Records a request received, through ``POST /dpo/sars``; then shows it."""
    values = await form_values(request)
    values.pop("csrf_token", None)
    data = blank_to_none(values)
    data["asks_for"] = as_list(values.get("asks_for"))
    body, refused = validate(SarIn, data)
    if body is None:
        return _form(request, guard, clock().date(), values, refused.summary, refused.fields, 422)
    try:
        answer = await api_sars.request(guard, body, ledger, clock)
    except RuleViolation as broken:
        refused = refused_by_rule(broken)
        return _form(
            request, guard, clock().date(), values, refused.summary, refused.fields, refused.status
        )
    made = SarOut.model_validate_json(bytes(answer.body))
    return RedirectResponse(f"/app/dpo/sars/{made.sar_id}?recorded=1", status_code=303)


def _history(ledger: CaseLedger, sar: SubjectAccessRequest) -> list[dict[str, Any]]:
    """The request's events, oldest first: what, when, by whom, and the codes it carries."""
    lines = []
    for event in ledger.repository.event_store.get(sar.id):
        assert isinstance(event, CaseEvent)  # a request's events are chained, as a case's
        kind = type(event).__name__
        fields = {
            name: value
            for name, value in vars(event).items()
            if name in _SHOWN and value not in (None, ())
        }
        lines.append(
            {
                "version": event.originator_version,
                "what": EVENTS.get(kind, kind),
                "at": event.occurred_at,
                "by": event.actor.user_id,
                "fields": {name: _plain(value) for name, value in fields.items()},
            }
        )
    return lines


_SHOWN = (
    "received_on",
    "identity_checked_on",
    "requester",
    "on",
    "reason",
    "months",
    "item",
    "decision",
    "ground",
    "released",
    "withheld",
    "closure",
)


def _plain(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(getattr(value, "value", value))


@router.get("/app/dpo/sars/{sar_id}", name="web.dpo.sar")
def sar_page(
    request: Request,
    guard: Reader,
    sar_id: UUID,
    ledger: LedgerDep,
    settings: SettingsDep,
    clock: ClockDep,
    recorded: str | None = None,
) -> Response:
    sar = ledger.sars.get(sar_id)
    if sar is None:
        raise not_found("no such subject access request")
    today = clock().date()
    out = SarOut.of(sar, today)
    decided = Counter(d.decision for d in sar.decisions.values())
    folder = settings.sar_path / str(sar.id)
    return page(
        request,
        "dpo_sar.html",
        {
            "sar": out,
            **_lateness(out, today),
            "started_on": sar.started_on,
            "stops": sar.stops,
            "closure": None if sar.closure is None else sar.closure.value,
            "released": decided[SarDecision.RELEASE],
            "withheld": decided[SarDecision.WITHHOLD],
            "history": _history(ledger, sar),
            "report_held": (folder / REPORT_FILE).is_file(),
            "notice": "The request is recorded" if recorded else None,
            "breadcrumbs": [
                ("Home", "/app"),
                ("Subject access requests", "/app/dpo/sars"),
                (f"Received {out.received_on.isoformat()}", None),
            ],
        },
        principal=guard.caller,
    )


def _attachment(response: FileResponse, name: str) -> FileResponse:
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/app/dpo/sars/{sar_id}/report", name="web.dpo.sar_report")
def sar_report(
    request: Request,
    guard: Reader,
    sar_id: UUID,
    ledger: LedgerDep,
    access: AccessDep,
    settings: SettingsDep,
) -> Response:
    """The issued report, as sent, by ``GET /dpo/sars/{id}/report`` (which records it)."""
    answer = api_sars.report(guard, request, sar_id, ledger, access, settings)
    return _attachment(answer, f"sar-{sar_id}-report.html")


@router.get("/app/dpo/sars/{sar_id}/bundle", name="web.dpo.sar_bundle")
def sar_bundle(guard: Reader, sar_id: UUID, ledger: LedgerDep, settings: SettingsDep) -> Response:
    """The issued bundle (hashes and proofs), by ``GET /dpo/sars/{id}/bundle``."""
    answer = api_sars.bundle(guard, sar_id, ledger, settings)
    return _attachment(answer, f"sar-{sar_id}-bundle.json")
