"""Break-glass alerts for the DPO (and, to read, auditors): the queue of supervisors' reads
outside their teams, one use with the supervisor's rationale, and the DPO's review that
closes it. The API's routes (``/dpo/alerts``, ``api/routes/break_glass.py``) do the work:
the queue holds no personal data; reading one alert is recorded as the API records it
(view ``dpo.alert``), and a review is the same command."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from api.deps import AccessDep, AlertsDep, ClockDep, LedgerDep
from api.policy import Action, Guard, decide
from api.routes.break_glass import close_an_alert, list_alerts, read_alert
from api.schemas.break_glass import AlertCloseIn
from api.web.forms import Refused, blank_to_none, form_values, refused_by_rule, validate
from api.web.guard import Csrf, page_guard
from api.web.rendering import page
from ledger.enums import AlertFollowUp, AlertOutcome
from ledger.errors import RuleViolation

router = APIRouter(include_in_schema=False)

Reader = Annotated[Guard, Depends(page_guard(Action.READ_ALERTS))]
Closer = Annotated[Guard, Depends(page_guard(Action.CLOSE_ALERT))]
Position = Annotated[int | None, Query(ge=0, le=2**63 - 1)]
PAGE_SIZE = 25

OUTCOMES = [
    (AlertOutcome.JUSTIFIED.value, "Justified: the read was needed (the grant runs to its end)"),
    (AlertOutcome.CORRECTED.value, "Corrected: not needed; the grant ends now"),
    (AlertOutcome.ESCALATED.value, "Escalated: a possible breach; the grant ends now"),
]
FOLLOW_UPS = [(f.value, f.value.replace("_", " ").capitalize()) for f in AlertFollowUp]


@router.get("/app/dpo/alerts", name="web.dpo.alerts")
def alerts_page(
    request: Request,
    guard: Reader,
    alerts: AlertsDep,
    ledger: LedgerDep,
    clock: ClockDep,
    status: Literal["open", "closed", "all"] = "open",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    listed = list_alerts(
        guard,
        alerts,
        ledger,
        clock,
        status=None if status == "all" else status,
        reconciled=None,
        case=None,
        supervisor=None,
        cursor=cursor or None,
        limit=PAGE_SIZE,
        min_position=None,
    )
    return page(
        request,
        "dpo_alerts.html",
        {
            "alerts": listed.items,
            "status": status,
            "as_of": listed.as_of,
            "next_cursor": listed.next_cursor,
            "first_page": cursor is not None,
            "breadcrumbs": [("Home", "/app"), ("Break-glass alerts", None)],
        },
        principal=guard.caller,
    )


def _alert_page(
    request: Request,
    guard: Guard,
    grant_id: UUID,
    services: tuple[Any, Any, Any, Any],
    *,
    min_position: int | None = None,
    values: dict[str, Any] | None = None,
    refused: Refused | None = None,
    notice: str | None = None,
) -> Response:
    """One alert with its rationale (recorded by the API's route as it is read), and the
    review form for a DPO while it is open."""
    alerts, ledger, access, clock = services
    alert = read_alert(grant_id, request, guard, alerts, ledger, access, clock, min_position)
    may_close = alert.status == "open" and decide(guard.caller, Action.CLOSE_ALERT).allowed
    return page(
        request,
        "dpo_alert.html",
        {
            "alert": alert,
            "may_close": may_close,
            "outcomes": OUTCOMES,
            "follow_ups": FOLLOW_UPS,
            "values": values or {},
            "errors": None if refused is None else refused.summary,
            "field_errors": {} if refused is None else refused.fields,
            "notice": notice,
            "breadcrumbs": [
                ("Home", "/app"),
                ("Break-glass alerts", "/app/dpo/alerts"),
                (alert.reference, None),
            ],
        },
        principal=guard.caller,
        status=200 if refused is None else refused.status,
    )


@router.get("/app/dpo/alerts/{grant_id}", name="web.dpo.alert")
def alert_page(
    request: Request,
    grant_id: UUID,
    guard: Reader,
    alerts: AlertsDep,
    ledger: LedgerDep,
    access: AccessDep,
    clock: ClockDep,
    min_position: Position = None,
    closed: str | None = None,
) -> Response:
    notice = "The alert is closed and your review recorded" if closed else None
    services = (alerts, ledger, access, clock)
    return _alert_page(request, guard, grant_id, services, min_position=min_position, notice=notice)


@router.post("/app/dpo/alerts/{grant_id}/close", name="web.dpo.close_alert", dependencies=[Csrf])
async def close_alert_page(
    request: Request,
    grant_id: UUID,
    guard: Closer,
    alerts: AlertsDep,
    ledger: LedgerDep,
    access: AccessDep,
    clock: ClockDep,
) -> Response:
    """The DPO's review, by ``POST /dpo/alerts/{grant_id}/close``; then the alert as closed."""
    values = await form_values(request)
    values.pop("csrf_token", None)
    body, refused = validate(AlertCloseIn, blank_to_none(values))
    services = (alerts, ledger, access, clock)
    if body is not None:
        try:
            closed = await run_in_threadpool(close_an_alert, grant_id, guard, body, ledger, clock)
        except RuleViolation as broken:
            refused = refused_by_rule(broken)
        else:
            return RedirectResponse(
                f"/app/dpo/alerts/{grant_id}?closed=1&min_position={closed.position}",
                status_code=303,
            )
    return await run_in_threadpool(
        lambda: _alert_page(request, guard, grant_id, services, values=values, refused=refused)
    )
