"""Analyst statistics: counts, closures and timescales, and repeat victims under pseudonyms.

Nothing here names a case or a person. Counts are suppressed below 5 unless the caller
asks otherwise; per-subject rows carry dataset pseudonyms only (``docs/projections.md``).
What is published is decided in ``projections/stats/report.py``; these routes read the
query, wait for the view where asked, and shape the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.deps import LedgerDep, MinPositionDep, StatsDep
from api.errors import invalid_field
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
from projections.stats import report
from projections.stats.model import SUPPRESSION_THRESHOLD, month_range
from projections.stats.projection import AnalystStats, Dimension

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


@dataclass(frozen=True)
class StatsQuery:
    """What every statistics route is asked: the months, the suppression threshold (None:
    off) and the position the view must have reached."""

    stats: AnalystStats
    low: str
    high: str
    threshold: int | None
    min_position: int | None

    @property
    def view(self) -> AnalystStats:
        """The view, once it has reached ``min_position`` (waiting briefly: call it from a
        route, which runs in the thread pool, never from the event loop)."""
        self.stats.require(self.min_position)
        return self.stats


async def stats_query(
    guard: Reader,
    view: StatsDep,
    start: From = None,
    to: To = None,
    suppress: Suppress = True,
    min_position: MinPositionDep = None,
) -> StatsQuery:
    try:
        low, high = month_range(start, to)
    except ValueError:
        raise invalid_field("query.to", "the range ends before it starts") from None
    return StatsQuery(view, low, high, _threshold(suppress), min_position)


Asked = Annotated[StatsQuery, Depends(stats_query)]


def _threshold(suppress: bool) -> int | None:
    return SUPPRESSION_THRESHOLD if suppress else None


@router.get("/cases-by-month", response_model=CasesByMonthOut, responses=RESPONSES)
def cases_by_month(q: Asked) -> CasesByMonthOut:
    """Cases opened, cases closed and incidents that occurred, month by month."""
    published = report.cases_by_month(q.view.cases_by_month(q.low, q.high), q.threshold)
    return CasesByMonthOut.model_validate(published)


@router.get("/cases", response_model=CasesByOut, responses=RESPONSES)
def cases_by(q: Asked, by: Dimension = "category") -> CasesByOut:
    """Cases opened in the range, counted by category, ward, latest risk level, lead
    department, complaint channel or status."""
    published = report.cases_by(by, q.view.cases_by(by, q.low, q.high), q.threshold)
    return CasesByOut.model_validate(published)


@router.get("/incidents-by-type", response_model=IncidentsByTypeOut, responses=RESPONSES)
def incidents_by_type(q: Asked) -> IncidentsByTypeOut:
    """Incidents by type, with how many were criminal, targeted, hate-motivated, or
    involved violence or a threat."""
    published = report.incidents_by_type(q.view.incidents_by_type(q.low, q.high), q.threshold)
    return IncidentsByTypeOut.model_validate(published)


@router.get("/closures", response_model=ClosuresOut, responses=RESPONSES)
def closures(q: Asked) -> ClosuresOut:
    """Cases closed in the range (by their latest closure), by closure reason, with the
    median days from receipt to closure."""
    times = q.view.case_times(q.low, q.high, closed_in_range=True)
    return ClosuresOut.model_validate(report.closures(times, q.threshold))


@router.get("/timescales", response_model=TimescalesOut, responses=RESPONSES)
def timescales(q: Asked) -> TimescalesOut:
    """For cases opened in the range: days to first contact and to resolution, overall
    and by risk level (median, 90th percentile, and counts in day buckets)."""
    times = q.view.case_times(q.low, q.high)
    return TimescalesOut.model_validate(report.timescales(times, q.threshold))


@router.get("/repeat-victims", response_model=RepeatVictimsOut, responses=RESPONSES)
def repeat_victims(
    guard: SubjectReader,
    stats: StatsDep,
    ledger: LedgerDep,
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
    min_position: MinPositionDep = None,
) -> RepeatVictimsOut:
    """Repeat victims, one row each under a pseudonym keyed to the dataset, in pseudonym
    order; and every victim counted by how many incidents name them. Analysts only."""
    stats.require(min_position)
    published = report.repeat_victims(
        dataset,
        ledger.pseudonym_key(dataset),
        stats.victims(),
        cursor=cursor,
        limit=limit,
        threshold=_threshold(suppress),
    )
    return RepeatVictimsOut.model_validate(published)
