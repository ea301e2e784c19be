"""A case's audit trail: its events as plain-language lines, for staff, auditors and the DPO."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.deps import LedgerDep
from api.policy import Action, Guard, authorize
from api.reading import CaseReadsDep
from api.routes.cases import READ_RESPONSES
from api.routes.common import CaseId
from api.schemas.timeline import TimelineLineOut, TimelineOut
from replay.timeline import timeline

router = APIRouter(tags=["cases"])

TimelineReader = Annotated[Guard, Depends(authorize(Action.READ_TIMELINE))]


@router.get(
    "/cases/{case_id}/timeline",
    name="case.timeline",
    response_model=TimelineOut,
    responses=READ_RESPONSES,
)
def read_timeline(
    case_id: CaseId,
    guard: TimelineReader,
    cases: CaseReadsDep,
    ledger: LedgerDep,
    response: Response,
) -> TimelineOut:
    """The case's history as readable lines: what happened (codes and references, never
    personal data or free text), who did it, when it happened and when it was recorded,
    the version and the event's hash. The same callers as the case's events; the read is
    recorded first."""
    case = cases.load(guard, case_id, "case.timeline")
    lines = timeline(ledger, case.id, upto=case.version)
    cases.shown(
        guard,
        case_id=case.id,
        version=case.version,
        view="case.timeline",
        subjects=sorted(case.persons, key=str),
    )
    response.headers["ETag"] = f'"{case.version}"'
    return TimelineOut(
        case_id=case.id,
        reference=case.reference,
        version=case.version,
        lines=[TimelineLineOut.of(line) for line in lines],
    )
