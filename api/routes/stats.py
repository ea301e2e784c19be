"""Analyst statistics: counts, closures and timescales, and repeat victims under pseudonyms.

Nothing here names a case or a person. Counts are suppressed below 5 unless the caller
asks otherwise; per-subject rows carry dataset pseudonyms only (``docs/projections.md``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from api.errors import Problem
from api.policy import Action, Guard, authorize
from api.routes.common import COMMAND_RESPONSES
from api.schemas.stats import (
    CasesByMonthOut,
    CasesByOut,
    ClosuresOut,
    IncidentsByTypeOut,
    RepeatVictimsOut,
    TimescalesOut,
)
from projections import ViewBehind
from projections.stats import AnalystStats, Dimension
from projections.stats_model import SUPPRESSION_THRESHOLD, month_range

router = APIRouter(prefix="/stats", tags=["statistics"])

Reader = Annotated[Guard, Depends(authorize(Action.READ_STATS))]
SubjectReader = Annotated[Guard, Depends(authorize(Action.READ_STATS_SUBJECTS))]
RESPONSES: dict[int | str, dict[str, Any]] = {
    k: v for k, v in COMMAND_RESPONSES.items() if k in (401, 403, 422, 503)
}
_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
From = Annotated[
    str | None, Query(alias="from", pattern=_MONTH, description="First month (YYYY-MM).")
]
To = Annotated[str | None, Query(pattern=_MONTH, description="Last month (YYYY-MM), inclusive.")]
Suppress = Annotated[
    bool,
    Query(
        description='Show counts from 1 to 4 as "<5" (and hide one more count where'
        " needed). Keep it on for anything that leaves the analysts' team."
    ),
]
MinPosition = Annotated[
    int | None,
    Query(ge=0, description="Wait (briefly) until the statistics include this position."),
]


def _view(request: Request, min_position: int | None) -> AnalystStats:
    view = request.app.state.read_models.view(AnalystStats.name)
    assert isinstance(view, AnalystStats)
    try:
        view.require(min_position, request.app.state.settings.read_wait_seconds)
    except ViewBehind as behind:
        raise Problem(
            503,
            "view-behind",
            "View behind",
            f"the statistics have reached position {behind.reached}, not yet {min_position};"
            " retry shortly",
            headers={"Retry-After": "1"},
        ) from None
    return view


def _range(start: str | None, end: str | None) -> tuple[str, str]:
    try:
        return month_range(start, end)
    except ValueError:
        raise Problem(
            422,
            "invalid-request",
            "Invalid request",
            "invalid: query.to",
            errors=[{"field": "query.to", "message": "the range ends before it starts"}],
        ) from None


def _threshold(suppress: bool) -> int | None:
    return SUPPRESSION_THRESHOLD if suppress else None


@router.get("/cases-by-month", response_model=CasesByMonthOut, responses=RESPONSES)
def cases_by_month(
    request: Request,
    guard: Reader,
    start: From = None,
    to: To = None,
    suppress: Suppress = True,
    min_position: MinPosition = None,
) -> CasesByMonthOut:
    """Cases opened, cases closed and incidents that occurred, month by month."""
    low, high = _range(start, to)
    rows = _view(request, min_position).cases_by_month(low, high)
    return CasesByMonthOut.of(rows, _threshold(suppress))


@router.get("/cases", response_model=CasesByOut, responses=RESPONSES)
def cases_by(
    request: Request,
    guard: Reader,
    by: Dimension = "category",
    start: From = None,
    to: To = None,
    suppress: Suppress = True,
    min_position: MinPosition = None,
) -> CasesByOut:
    """Cases opened in the range, counted by category, ward, latest risk level, lead
    department, complaint channel or status."""
    low, high = _range(start, to)
    counts = _view(request, min_position).cases_by(by, low, high)
    return CasesByOut.of(by, counts, _threshold(suppress))


@router.get("/incidents-by-type", response_model=IncidentsByTypeOut, responses=RESPONSES)
def incidents_by_type(
    request: Request,
    guard: Reader,
    start: From = None,
    to: To = None,
    suppress: Suppress = True,
    min_position: MinPosition = None,
) -> IncidentsByTypeOut:
    """Incidents by type, with how many were criminal, targeted, hate-motivated, or
    involved violence or a threat."""
    low, high = _range(start, to)
    rows = _view(request, min_position).incidents_by_type(low, high)
    return IncidentsByTypeOut.of(rows, _threshold(suppress))


@router.get("/closures", response_model=ClosuresOut, responses=RESPONSES)
def closures(
    request: Request,
    guard: Reader,
    start: From = None,
    to: To = None,
    suppress: Suppress = True,
    min_position: MinPosition = None,
) -> ClosuresOut:
    """Cases closed in the range (by their latest closure), by closure reason, with the
    median days from receipt to closure."""
    low, high = _range(start, to)
    times = _view(request, min_position).case_times(low, high, closed_in_range=True)
    return ClosuresOut.of(times, _threshold(suppress))


@router.get("/timescales", response_model=TimescalesOut, responses=RESPONSES)
def timescales(
    request: Request,
    guard: Reader,
    start: From = None,
    to: To = None,
    suppress: Suppress = True,
    min_position: MinPosition = None,
) -> TimescalesOut:
    """For cases opened in the range: days to first contact and to resolution, overall
    and by risk level (median, 90th percentile, and counts in day buckets)."""
    low, high = _range(start, to)
    times = _view(request, min_position).case_times(low, high)
    return TimescalesOut.of(times, _threshold(suppress))


@router.get("/repeat-victims", response_model=RepeatVictimsOut, responses=RESPONSES)
def repeat_victims(
    request: Request,
    guard: SubjectReader,
    dataset: Annotated[
        str,
        Query(
            pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$",
            description="The dataset's label: the same label gives the same pseudonyms,"
            " another label unrelated ones.",
            examples=["2026-q1-repeat-victims"],
        ),
    ],
    cursor: Annotated[str | None, Query(pattern=r"^[0-9a-f]{24}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    suppress: Suppress = True,
    min_position: MinPosition = None,
) -> RepeatVictimsOut:
    """Repeat victims, one row each under a pseudonym keyed to the dataset, in pseudonym
    order; and every victim counted by how many incidents name them. Analysts only."""
    victims = _view(request, min_position).victims()
    key = request.app.state.ledger.pseudonym_key(dataset)
    return RepeatVictimsOut.of(
        dataset, key, victims, cursor=cursor, limit=limit, threshold=_threshold(suppress)
    )
