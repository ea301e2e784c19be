"""Cumulative-harm risk: a case's and its victims' figures, and the cases due a reassessment."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from api.deps import ClockDep, MinPositionDep, RiskDep
from api.errors import Problem
from api.policy import Action, Guard, authorize, visibility
from api.reading import CaseReadsDep
from api.routes.caseload import Text
from api.routes.cases import READ_RESPONSES
from api.routes.common import CaseId
from api.schemas.risk import CaseRiskOut, RiskListItemOut, RiskListOut

router = APIRouter(tags=["risk"])

RiskReader = Annotated[Guard, Depends(authorize(Action.READ_RISK))]


@router.get(
    "/cases/{case_id}/risk",
    name="case.risk",
    response_model=CaseRiskOut,
    responses=READ_RESPONSES,
)
def read_case_risk(
    case_id: CaseId,
    guard: RiskReader,
    cases: CaseReadsDep,
    view: RiskDep,
    clock: ClockDep,
    min_position: MinPositionDep = None,
) -> CaseRiskOut:
    """The case's cumulative harm now: incidents in rolling windows, repeat-victim,
    targeted-campaign, hate and violence flags (each naming the incidents that raised it),
    vulnerability and trend; the last assessment; the level cumulative harm indicates, with
    the reasons; and whether a reassessment is due. Each victim is also judged on their
    incidents across all their cases. The read is recorded (victims are named by ref)."""
    case = cases.load(guard, case_id, "case.risk")
    now = clock()
    risk = view.case_risk(case.id, now=now, min_position=min_position)
    if risk is None:
        raise Problem(
            503,
            "view-behind",
            "View behind",
            "the risk view has not reached this case yet; retry shortly",
            headers={"Retry-After": "1"},
        )
    cases.shown(
        guard,
        case_id=case.id,
        version=risk.version,
        view="case.risk",
        subjects=[victim.person_ref for victim in risk.victims],
    )
    return CaseRiskOut.of(risk, now)


@router.get("/risk", name="risk.list", response_model=RiskListOut, responses=READ_RESPONSES)
def list_risk(
    guard: RiskReader,
    risk: RiskDep,
    clock: ClockDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    reassessment_due: Annotated[
        bool | None, Query(description="Only cases due (or not due) a reassessment")
    ] = None,
    derived_level: Literal["standard", "medium", "high"] | None = None,
    team: Text = None,
    officer: Text = None,
    min_position: MinPositionDep = None,
) -> RiskListOut:
    """Open cases you may see, oldest first, with their assessed and derived risk levels
    and whether a reassessment is due (and why). No person references."""
    now = clock()
    page = risk.list_cases(
        visibility=visibility(guard.caller),
        now=now,
        limit=limit,
        cursor=cursor,
        reassessment_due=reassessment_due,
        derived_level=derived_level,
        team=team,
        officer=officer,
        min_position=min_position,
    )
    return RiskListOut(
        as_of=now, items=[RiskListItemOut.of(r) for r in page.items], next_cursor=page.next_cursor
    )
