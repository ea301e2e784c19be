"""The caseload: open cases, what is due and overdue, and counts by department, team, officer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from api.errors import Problem
from api.policy import Action, Guard, authorize, visibility
from api.routes.cases import READ_RESPONSES
from api.schemas.caseload import (
    CaseloadGroupOut,
    CaseloadItemOut,
    CaseloadOut,
    CaseloadSummaryOut,
)
from projections.caseload import Caseload
from projections.view import ViewBehind

router = APIRouter(tags=["caseload"])

CaseloadReader = Annotated[Guard, Depends(authorize(Action.READ_CASELOAD))]
Overdue = Literal[
    "any", "first_contact", "review", "target_resolution", "action", "police_referral"
]
Level = Literal["standard", "medium", "high", "unassessed"]
Text = Annotated[str | None, Query(max_length=200)]
MinPosition = Annotated[
    int | None,
    Query(ge=0, description="Wait (briefly) until the caseload includes this position."),
]


def caseload_view(request: Request) -> Caseload:
    """The app's caseload view (one of the read models opened in its lifespan)."""
    view = request.app.state.read_models.view(Caseload.name)
    assert isinstance(view, Caseload)
    return view


def read_wait(request: Request) -> float:
    """How long a query with ``min_position`` may wait (``ASB_READ_WAIT_SECONDS``)."""
    return float(request.app.state.settings.read_wait_seconds)


@contextmanager
def answering(what: str, min_position: int | None) -> Iterator[None]:
    """Turns a view behind ``min_position`` into 503 and a bad cursor into 422."""
    try:
        yield
    except ViewBehind as behind:
        raise Problem(
            503,
            "view-behind",
            "View behind",
            f"the {what} has reached position {behind.reached}, not yet {min_position};"
            " retry shortly",
            headers={"Retry-After": "1"},
        ) from None
    except ValueError:
        raise Problem(
            422,
            "invalid-request",
            "Invalid request",
            "invalid: query.cursor",
            errors=[{"field": "query.cursor", "message": "not a cursor this list gave"}],
        ) from None


@router.get("/caseload", name="caseload.list", response_model=CaseloadOut, responses=READ_RESPONSES)
def list_caseload(
    request: Request,
    guard: CaseloadReader,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    team: Text = None,
    officer: Text = None,
    lead_department: Text = None,
    risk_level: Level | None = None,
    overdue: Annotated[
        Overdue | None, Query(description="Only cases with this kind of item overdue (or any)")
    ] = None,
    min_position: MinPosition = None,
) -> CaseloadOut:
    """The open cases you may see, oldest first, with their age, assessed risk level and
    everything outstanding: first contact, the next review, the target resolution, each
    open action, and each criminal incident not yet referred to the police. Overdue is
    judged against the server's clock. No personal data."""
    now = request.app.state.clock()
    with answering("caseload", min_position):
        page = caseload_view(request).list_cases(
            visibility=visibility(guard.caller),
            now=now,
            limit=limit,
            cursor=cursor,
            team=team,
            officer=officer,
            lead_department=lead_department,
            risk_level=risk_level,
            overdue=overdue,
            min_position=min_position,
            wait=read_wait(request),
        )
    return CaseloadOut(
        as_of=now,
        items=[CaseloadItemOut.of(entry) for entry in page.items],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/caseload/summary",
    name="caseload.summary",
    response_model=CaseloadSummaryOut,
    responses=READ_RESPONSES,
)
def caseload_summary(
    request: Request,
    guard: CaseloadReader,
    team: Text = None,
    officer: Text = None,
    lead_department: Text = None,
    min_position: MinPosition = None,
) -> CaseloadSummaryOut:
    """Open cases you may see, counted by lead department, team and officer: by assessed
    risk level, overdue by kind, and the oldest case's age."""
    now = request.app.state.clock()
    with answering("caseload", min_position):
        groups = caseload_view(request).summary(
            visibility=visibility(guard.caller),
            now=now,
            team=team,
            officer=officer,
            lead_department=lead_department,
            min_position=min_position,
            wait=read_wait(request),
        )
    return CaseloadSummaryOut(as_of=now, groups=[CaseloadGroupOut.of(g) for g in groups])
