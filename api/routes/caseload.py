"""The caseload: open cases, what is due and overdue, and counts by department, team, officer."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from api.deps import CaseloadDep, ClockDep, MinPositionDep, RiskDep
from api.policy import Action, Guard, authorize, visibility
from api.routes.cases import READ_RESPONSES
from api.schemas.caseload import (
    CaseloadGroupOut,
    CaseloadItemOut,
    CaseloadOut,
    CaseloadSummaryOut,
)
from ledger.enums import RiskLevel

router = APIRouter(tags=["caseload"])

CaseloadReader = Annotated[Guard, Depends(authorize(Action.READ_CASELOAD))]
Overdue = Literal[
    "any",
    "first_contact",
    "review",
    "target_resolution",
    "action",
    "police_referral",
    "case_review_acknowledgement",
    "case_review_decision",
    "case_review_outcome",
]
Level = Literal["standard", "medium", "high", "unassessed"]
Derived = Literal["standard", "medium", "high"]
DERIVED_ROUNDS = 20
"""Pages of the caseload read to fill one page filtered by derived level; a page may then
come back short, with a cursor to go on from."""
Text = Annotated[str | None, Query(max_length=200)]


@router.get("/caseload", name="caseload.list", response_model=CaseloadOut, responses=READ_RESPONSES)
def list_caseload(
    guard: CaseloadReader,
    caseload: CaseloadDep,
    risk: RiskDep,
    clock: ClockDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    team: Text = None,
    officer: Text = None,
    lead_department: Text = None,
    risk_level: Annotated[
        Level | None, Query(description="Only cases last assessed at this level")
    ] = None,
    derived_level: Annotated[
        Derived | None,
        Query(description="Only cases whose cumulative harm now indicates this level"),
    ] = None,
    overdue: Annotated[
        Overdue | None, Query(description="Only cases with this kind of item overdue (or any)")
    ] = None,
    min_position: MinPositionDep = None,
) -> CaseloadOut:
    """The open cases you may see, oldest first, with their age, assessed risk level, the
    level their cumulative harm indicates now (``derived_level``, across their victims'
    cases) and everything outstanding: first contact, the next review, the target
    resolution, each open action, each criminal incident not yet referred to the police,
    and each ASB Case Review's acknowledgement, threshold decision and outcome. A closed
    case is listed too (``closed``) while an ASB Case Review on it is outstanding, with
    only the review's steps due. Overdue is judged against the server's clock. No
    personal data."""
    now = clock()
    risk.require(min_position)
    items: list[CaseloadItemOut] = []
    following = cursor
    for _ in range(DERIVED_ROUNDS):
        page = caseload.list_cases(
            visibility=visibility(guard.caller),
            now=now,
            limit=limit - len(items),
            cursor=following,
            team=team,
            officer=officer,
            lead_department=lead_department,
            risk_level=risk_level,
            overdue=overdue,
            min_position=min_position,
        )
        min_position = None  # reached once is enough
        levels = risk.derived_levels([e.facts.case_id for e in page.items], now=now)
        items += [
            CaseloadItemOut.of(entry, levels.get(entry.facts.case_id))
            for entry in page.items
            if derived_level is None or levels.get(entry.facts.case_id) == RiskLevel(derived_level)
        ]
        following = page.next_cursor
        if derived_level is None or following is None or len(items) >= limit:
            break
    return CaseloadOut(as_of=now, items=items, next_cursor=following)


@router.get(
    "/caseload/summary",
    name="caseload.summary",
    response_model=CaseloadSummaryOut,
    responses=READ_RESPONSES,
)
def caseload_summary(
    guard: CaseloadReader,
    caseload: CaseloadDep,
    clock: ClockDep,
    team: Text = None,
    officer: Text = None,
    lead_department: Text = None,
    min_position: MinPositionDep = None,
) -> CaseloadSummaryOut:
    """Open cases you may see, counted by lead department, team and officer: by assessed
    risk level, overdue by kind, and the oldest case's age. Closed cases with an ASB Case
    Review outstanding are counted apart (``closed_case_reviews``) and in the overdue
    counts."""
    now = clock()
    groups = caseload.summary(
        visibility=visibility(guard.caller),
        now=now,
        team=team,
        officer=officer,
        lead_department=lead_department,
        min_position=min_position,
    )
    return CaseloadSummaryOut(as_of=now, groups=[CaseloadGroupOut.of(g) for g in groups])
