"""Break-glass: a supervisor's time-limited read of a case outside their teams, and the DPO's
queue of those uses (``/dpo/alerts``), which the DPO closes and auditors read."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Query, Request

from api.deps import AccessDep, AlertsDep, ClockDep, LedgerDep, MinPositionDep
from api.errors import invalid_field, not_found
from api.policy import Action, CaseFacts, Guard, authorize, decide
from api.routes.cases import READ_RESPONSES
from api.routes.common import CASE_ID_OR_REFERENCE, COMMAND_RESPONSES, CaseId, case_id_named
from api.schemas.base import StaffId
from api.schemas.break_glass import (
    AlertClosedOut,
    AlertCloseIn,
    AlertDetailOut,
    AlertOut,
    AlertsOut,
    BreakGlassIn,
    BreakGlassOut,
)
from commands import break_glass, close_alert
from ledger.case import Case
from ledger.errors import Rule, RuleViolation
from projections.alerts.model import AlertQuery

router = APIRouter(tags=["break-glass"])

Breaker = Annotated[Guard, Depends(authorize(Action.BREAK_GLASS))]
AlertReader = Annotated[Guard, Depends(authorize(Action.READ_ALERTS))]
AlertCloser = Annotated[Guard, Depends(authorize(Action.CLOSE_ALERT))]

GRANTED: dict[int | str, dict[str, Any]] = {
    **{status: COMMAND_RESPONSES[status] for status in (401, 403, 404, 422, 503)},
    400: {**COMMAND_RESPONSES[400], "description": "A body that is not JSON"},
    201: {"description": "Granted: the case's reads are open to you until `expires_at`"},
    409: {
        "description": "A grant of yours on this case is still running"
        " (`break_glass.already_granted`)",
        "content": {"application/problem+json": {"schema": {"type": "object"}}},
    },
}
CLOSED: dict[int | str, dict[str, Any]] = {
    **GRANTED,
    201: {"description": "Closed: the review is recorded"},
    404: {
        "description": "No break-glass grant has this id",
        "content": {"application/problem+json": {"schema": {"type": "object"}}},
    },
    409: {
        "description": "The alert is already closed (`break_glass.alert_closed`)",
        "content": {"application/problem+json": {"schema": {"type": "object"}}},
    },
}


@router.post(
    "/cases/{case_id}/break-glass",
    name="case.break_glass",
    status_code=201,
    response_model=BreakGlassOut,
    responses=GRANTED,
)
def break_the_glass(
    guard: Breaker, case_id: CaseId, body: BreakGlassIn, ledger: LedgerDep, clock: ClockDep
) -> BreakGlassOut:
    """A supervisor reads a case outside their teams: for a coded reason and a rationale in
    their own words (sealed), for ``ASB_BREAK_GLASS_HOURS`` (default 4). Until
    ``expires_at`` the case's reads a supervisor may make (the case, its events, timeline,
    risk and links, as of any version too) are open to them, each recorded as a read under
    this grant; after it, the case is hidden again (404). **Commands are not opened**: the
    grant lets them read the case, never change it. Every use goes to the DPO's queue
    (``GET /dpo/alerts``). Only supervisors may ask (anyone else: 403, before the case is
    looked for); a case they may already read needs no grant (``break_glass.not_needed``),
    and one grant at a time runs per supervisor and case (``break_glass.already_granted``,
    409)."""

    def admit(case: Case) -> None:
        decision = decide(guard.caller, guard.action, CaseFacts.of(case))
        if not decision.allowed:
            raise RuleViolation(Rule(decision.rule), decision.reason)

    command = break_glass.BreakGlass(
        actor=guard.caller.actor(),
        occurred_at=clock(),
        case_id=case_id,
        grant_id=uuid4(),
        teams=guard.caller.all_teams,
        reason=body.reason,
        rationale=body.rationale,
    )
    grant, position = break_glass.handle(command, ledger, admit)
    return BreakGlassOut.of(grant, position)


@router.get("/dpo/alerts", name="dpo.alerts", response_model=AlertsOut, responses=READ_RESPONSES)
def list_alerts(
    guard: AlertReader,
    alerts: AlertsDep,
    ledger: LedgerDep,
    clock: ClockDep,
    status: Literal["open", "closed"] | None = None,
    reconciled: Annotated[
        bool | None,
        Query(
            description="Only uses the case's later assignment to the supervisor's team"
            " reconciled (true), or not (false)."
        ),
    ] = None,
    case: Annotated[
        str | None,
        Query(pattern=CASE_ID_OR_REFERENCE, description="A case id or reference."),
    ] = None,
    supervisor: Annotated[StaffId | None, Query(description="A supervisor's user id.")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    min_position: MinPositionDep = None,
) -> AlertsOut:
    """The queue of break-glass uses, open ones first (newest first within each): the grant,
    the case, the supervisor and their team, the reason code, when it was granted and ends,
    how many reads were made under it, its status and outcome, and whether the case was
    later assigned to the supervisor's team (``reconciled``). No personal data: the
    rationale is read one alert at a time. The DPO and auditors only."""
    case_id = None if case is None else case_id_named(ledger, case)
    if case is not None and case_id is None:
        raise invalid_field("query.case", "no case has this reference")
    query = AlertQuery(status=status, reconciled=reconciled, case_id=case_id, supervisor=supervisor)
    page = alerts.list_alerts(query, limit=limit, cursor=cursor, min_position=min_position)
    now = clock()
    return AlertsOut(
        as_of=now, items=[AlertOut.of(a, now) for a in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/dpo/alerts/{grant_id}",
    name="dpo.alert",
    response_model=AlertDetailOut,
    responses=READ_RESPONSES,
)
def read_alert(
    grant_id: UUID,
    request: Request,
    guard: AlertReader,
    alerts: AlertsDep,
    ledger: LedgerDep,
    access: AccessDep,
    clock: ClockDep,
    min_position: MinPositionDep = None,
) -> AlertDetailOut:
    """One break-glass use with the supervisor's rationale and the DPO's note unsealed: what
    the DPO judges it by. The read is recorded first, as an access to the case's data."""
    alerts.require(min_position)
    grant = ledger.break_glass.get(grant_id)
    if grant is None:
        raise not_found()
    # The queue holds the grant once it reaches the grant's own event (503 until then).
    alert = alerts.alert(grant_id, min_position=ledger.position_of(grant.id, 1))
    if alert is None:
        raise not_found()
    rationale, note = ledger.break_glass.unsealed(grant)
    access.record(request, guard.caller, case_id=grant.case_id, case_version=None, view="dpo.alert")
    now = clock()
    return AlertDetailOut.with_text(alert, now, rationale, note)


@router.post(
    "/dpo/alerts/{grant_id}/close",
    name="dpo.close_alert",
    status_code=201,
    response_model=AlertClosedOut,
    responses=CLOSED,
)
def close_an_alert(
    grant_id: UUID, guard: AlertCloser, body: AlertCloseIn, ledger: LedgerDep, clock: ClockDep
) -> AlertClosedOut:
    """The DPO closes a break-glass alert as ``justified``, ``corrected`` or ``escalated``,
    with a follow-up code and a note (sealed) if given: an event on the grant. ``corrected``
    and ``escalated`` end the grant if it is still running. An alert closes once
    (``break_glass.alert_closed``, 409). The DPO only."""
    command = close_alert.CloseAlert(
        actor=guard.caller.actor(),
        occurred_at=clock(),
        grant_id=grant_id,
        outcome=body.outcome,
        follow_up=body.follow_up,
        note=body.note,
    )
    closed = close_alert.handle(command, ledger)
    if closed is None:
        raise not_found()
    return AlertClosedOut.of(*closed)
