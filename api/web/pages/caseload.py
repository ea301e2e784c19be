"""My caseload: the open cases a person may see, with their assessed and derived risk, what
is overdue and what is due next; filters by team, officer, risk and overdue kind; and, for a
supervisor, their team's counts by officer. The same reads as ``GET /caseload`` and
``GET /caseload/summary`` (no personal data)."""

from __future__ import annotations

from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import CaseloadDep, ClockDep, RiskDep
from api.policy import Action, Guard
from api.routes.caseload import Derived, Level, Overdue, caseload_summary, list_caseload
from api.web.guard import page_guard
from api.web.rendering import page, working_days_late
from ledger.enums import Role

router = APIRouter(include_in_schema=False)

CaseloadPage = Annotated[Guard, Depends(page_guard(Action.READ_CASELOAD))]
Text = Annotated[str | None, Query(max_length=200)]
PAGE_SIZE = 25

OVERDUE_KINDS = [k for k in get_args(Overdue) if k != "any"]
LEVELS = list(get_args(Level))
DERIVED = list(get_args(Derived))


def _choice(value: str | None, allowed: list[str]) -> str | None:
    """A filter's value, or None for "any" (a blank select, or a value not offered)."""
    return value if value in allowed else None


@router.get("/app/caseload", name="web.caseload")
def caseload_page(
    request: Request,
    guard: CaseloadPage,
    caseload: CaseloadDep,
    risk: RiskDep,
    clock: ClockDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    team: Text = None,
    officer: Text = None,
    risk_level: Text = None,
    derived_level: Text = None,
    overdue: Text = None,
) -> HTMLResponse:
    filters: dict[str, Any] = {
        "team": team or None,
        "officer": officer or None,
        "risk_level": _choice(risk_level, LEVELS),
        "derived_level": _choice(derived_level, DERIVED),
        "overdue": _choice(overdue, ["any", *OVERDUE_KINDS]),
    }
    listed = list_caseload(
        guard,
        caseload,
        risk,
        clock,
        cursor=cursor or None,
        limit=PAGE_SIZE,
        lead_department=None,
        min_position=None,
        **filters,
    )
    today = listed.as_of.date()
    rows = [
        {
            "item": item,
            "overdue_items": [
                (d.kind, working_days_late(d.due, today)) for d in item.due if d.overdue
            ],
            "next_due": next((d for d in item.due if not d.overdue), None),
        }
        for item in listed.items
    ]
    summary = None
    if guard.caller.role is Role.SUPERVISOR:
        summary = caseload_summary(
            guard,
            caseload,
            clock,
            team=filters["team"],
            officer=None,
            lead_department=None,
            min_position=None,
        ).groups
    supervisor = guard.caller.role is Role.SUPERVISOR
    return page(
        request,
        "caseload.html",
        {
            "title": "Team caseload" if supervisor else "My caseload",
            "rows": rows,
            "summary": summary,
            "filters": filters,
            "as_of": listed.as_of,
            "next_cursor": listed.next_cursor,
            "first_page": cursor is not None,
            "teams": sorted(guard.caller.all_teams),
            "levels": LEVELS,
            "derived": DERIVED,
            "overdue_kinds": OVERDUE_KINDS,
            "breadcrumbs": [("Home", "/app"), ("Caseload", None)],
        },
        principal=guard.caller,
    )
