"""ASB Case Review (Community Trigger): the cases that meet the threshold, or nearly do."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from api.deps import AccessDep, CaseReviewsDep, ClockDep, MinPositionDep
from api.policy import Action, Guard, authorize, visibility
from api.routes.cases import READ_RESPONSES
from api.schemas.case_reviews import CaseReviewItemOut, CaseReviewListOut
from projections.case_reviews.model import CaseReviewStatus, Complaint, ProblemKind
from projections.case_reviews.projection import Which

router = APIRouter(tags=["case reviews"])

CaseReviewReader = Annotated[Guard, Depends(authorize(Action.READ_CASE_REVIEWS))]
Cursor = Annotated[str | None, Query(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=200)]


def _list(
    which: Which,
    request: Request,
    guard: Guard,
    view: CaseReviewsDep,
    access: AccessDep,
    clock: ClockDep,
    cursor: str | None,
    limit: int,
    min_position: int | None,
) -> CaseReviewListOut:
    now = clock()
    seen = visibility(guard.caller)
    page = view.list_cases(
        which, visibility=seen, now=now, limit=limit, cursor=cursor, min_position=min_position
    )

    def sees(complaint: Complaint) -> bool:
        return seen.sees_case(complaint.team, complaint.officer)

    for status in page.items:
        access.record(
            request,
            guard.caller,
            case_id=status.case.case_id,
            case_version=status.case.version,
            view=f"case_reviews.{which}",
            subjects=_subjects(status),
        )
    return CaseReviewListOut(
        as_of=now,
        items=[CaseReviewItemOut.of(status, sees) for status in page.items],
        next_cursor=page.next_cursor,
    )


def _subjects(status: CaseReviewStatus) -> list[UUID]:
    """The people a listed case names: the alleged perpetrators whose cases it is grouped by."""
    return sorted(
        (UUID(f.key) for f in status.findings if f.kind is ProblemKind.PERPETRATOR), key=str
    )


@router.get(
    "/case-reviews/eligible",
    name="case_reviews.eligible",
    response_model=CaseReviewListOut,
    responses=READ_RESPONSES,
)
def eligible(
    request: Request,
    guard: CaseReviewReader,
    view: CaseReviewsDep,
    access: AccessDep,
    clock: ClockDep,
    cursor: Cursor = None,
    limit: Limit = 50,
    min_position: MinPositionDep = None,
) -> CaseReviewListOut:
    """The cases you may see, open or closed, oldest first, where the ASB Case Review
    (Community Trigger) threshold is met now and no review has been requested: each
    problem it is part of (the case itself, or cases sharing an alleged perpetrator) with
    the rule met (``complaints``: qualifying complaints in the window; ``individuals``:
    different people complaining) and the complaints that met it. Complaints on cases you
    may not see are shown without their case. Each case listed is recorded as an access."""
    return _list("eligible", request, guard, view, access, clock, cursor, limit, min_position)


@router.get(
    "/case-reviews/approaching",
    name="case_reviews.approaching",
    response_model=CaseReviewListOut,
    responses=READ_RESPONSES,
)
def approaching(
    request: Request,
    guard: CaseReviewReader,
    view: CaseReviewsDep,
    access: AccessDep,
    clock: ClockDep,
    cursor: Cursor = None,
    limit: Limit = 50,
    min_position: MinPositionDep = None,
) -> CaseReviewListOut:
    """The cases you may see where one more qualifying complaint would meet the ASB Case
    Review threshold and no review has been requested: so the victim can be told of their
    right to ask for one at this report. Each case listed is recorded as an access."""
    return _list("approaching", request, guard, view, access, clock, cursor, limit, min_position)
