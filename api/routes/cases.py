"""Cases: open one, list those you may see, read one as it stands, read its events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from api.case_view import render
from api.commanding import CommandsDep
from api.deps import CaseReviewsDep, ClockDep, DirectoryDep, LedgerDep, MinPositionDep
from api.errors import Problem, invalid_field
from api.policy import STAFF, Action, Guard, authorize, visibility
from api.reading import CaseReadsDep
from api.replaying import (
    AsOfTime,
    AsOfVersion,
    FromVersion,
    TimeBasisQuery,
    ToVersion,
    read_as_of,
    read_diff,
)
from api.routes.common import COMMAND_HEADERS, COMMAND_RESPONSES, REFERENCE, CaseId
from api.schemas.case_reviews import CaseReviewFlagOut
from api.schemas.opening import OpenCaseIn
from api.schemas.replay import CaseAsOfOut, DiffOut
from api.schemas.views import (
    CaseListOut,
    CaseOut,
    CaseSummaryOut,
    EventOut,
    EventsOut,
    ReceiptOut,
)
from ledger.enums import Role
from projections import DirectoryEntry
from projections.case_reviews.projection import CaseReviews
from replay.history import history

router = APIRouter(tags=["cases"])

Opener = Annotated[Guard, Depends(authorize(Action.OPEN_CASE))]
Lister = Annotated[Guard, Depends(authorize(Action.LIST_CASES))]
Viewer = Annotated[Guard, Depends(authorize(Action.READ_CASE))]
EventReader = Annotated[Guard, Depends(authorize(Action.READ_EVENTS))]
READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    k: v for k, v in COMMAND_RESPONSES.items() if k in (401, 403, 404, 422, 503)
}


@router.post(
    openapi_extra=COMMAND_HEADERS,
    path="/cases",
    name="open_case",
    status_code=201,
    response_model=ReceiptOut,
    responses=COMMAND_RESPONSES,
)
def open_a_case(body: OpenCaseIn, guard: Opener, commands: CommandsDep) -> JSONResponse:
    """Open a case from a complaint. It is assigned to the opener's team (or the team
    named, which must be one of the opener's own) and, for a caseworker, to the opener;
    the reference is in the case view."""
    require_own_team(guard, body)
    return commands.run(guard, body, body.to_command)


def require_own_team(guard: Guard, body: OpenCaseIn) -> None:
    """A case may be opened only for one of the opener's own teams (``case.team_not_yours``):
    for the route and for the complaint page alike."""
    teams = guard.caller.all_teams
    if body.team is not None and body.team.strip() not in teams:
        raise invalid_field(
            "body.team",
            f"must be one of your own teams ({', '.join(sorted(teams)) or 'none'})",
            rule="case.team_not_yours",
        )


@router.get("/cases", name="case.list", response_model=CaseListOut, responses=READ_RESPONSES)
def list_cases(
    guard: Lister,
    directory: DirectoryDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    status: Literal["open", "closed"] | None = None,
    team: Annotated[str | None, Query(max_length=200)] = None,
    officer: Annotated[str | None, Query(max_length=200)] = None,
    risk_level: Literal["standard", "medium", "high"] | None = None,
    reference: Annotated[
        str | None, Query(pattern=f"^{REFERENCE}$", description="Only the case of this reference.")
    ] = None,
    min_position: MinPositionDep = None,
) -> CaseListOut:
    """The cases you may see, newest first, a page at a time. Filtering happens in the
    query, so counts and pages reveal nothing you may not see. No personal data."""
    page = directory.list_cases(
        visibility=visibility(guard.caller),
        limit=limit,
        cursor=cursor,
        status=status,
        team=team,
        officer=officer,
        risk_level=risk_level,
        reference=reference,
        min_position=min_position,
    )
    partner = guard.caller.role is Role.PARTNER
    return CaseListOut(
        items=[_listed(e, partner) for e in page.items], next_cursor=page.next_cursor
    )


def _listed(e: DirectoryEntry, partner: bool) -> CaseSummaryOut:
    if partner:
        return CaseSummaryOut(
            case_id=e.case_id,
            reference=e.reference,
            status=e.status,
            version=e.last_version,
            last_event_at=e.last_event_at,
        )
    return CaseSummaryOut(
        case_id=e.case_id,
        reference=e.reference,
        status=e.status,
        team=e.team,
        officer=e.officer,
        lead_department=e.lead_department.value,
        category=e.category.value,
        risk_level=None if e.risk_level is None else e.risk_level.value,
        received_at=e.received_at,
        version=e.last_version,
        last_event_at=e.last_event_at,
    )


@router.get(
    "/cases/{case_id}",
    name="case.detail",
    response_model=CaseOut | CaseAsOfOut,
    responses=READ_RESPONSES,
)
def read_case(
    case_id: CaseId,
    request: Request,
    guard: Viewer,
    cases: CaseReadsDep,
    ledger: LedgerDep,
    reviews: CaseReviewsDep,
    clock: ClockDep,
    as_of_version: AsOfVersion = None,
    as_of: AsOfTime = None,
    time: TimeBasisQuery = None,
) -> JSONResponse:
    """The case as it stands, with personal fields unsealed for those entitled to them
    (a partner sees only what was shared with their organisation). The read is recorded
    first; the ``ETag`` is the version, for ``If-Match`` on the next command.

    With ``as_of_version`` or ``as_of`` it is the case as it stood then (replayed by the
    aggregate itself), with an ``as_of`` block saying which version is shown and how it
    was chosen; the ``ETag`` is that version. A version the case has not reached, or a time
    before it existed, is a 422 with a ``rule`` code. Recorded as view ``case.as_of``."""
    if as_of_version is not None or as_of is not None or time is not None:
        return read_as_of(cases, guard, case_id, version=as_of_version, at=as_of, basis=time)
    case = cases.load(guard, case_id, "case.detail")
    view, subjects = render(case, guard.caller, ledger.sealer, registered=ledger.people.current)
    if guard.caller.role in STAFF:
        view.case_review = case_review_flag(reviews, case.id, guard, clock())
    cases.shown(
        guard,
        case_id=case.id,
        version=case.version,
        view="case.detail",
        subjects=sorted(subjects, key=str),
    )
    return JSONResponse(view.model_dump(mode="json"), headers={"ETag": f'"{case.version}"'})


def case_review_flag(
    reviews: CaseReviews, case_id: UUID, guard: Guard, now: datetime
) -> CaseReviewFlagOut | None:
    """The case's ASB Case Review flag now (None while the view has not reached the case);
    complaints on cases the caller may not see are shown without them."""
    status = reviews.case_status(case_id, now=now)
    if status is None:
        return None
    seen = visibility(guard.caller)
    return CaseReviewFlagOut.of(status, lambda c: seen.sees_case(c.team, c.officer))


@router.get(
    "/cases/{case_id}/diff",
    name="case.diff",
    response_model=DiffOut,
    responses=READ_RESPONSES,
)
def diff_case(
    case_id: CaseId,
    guard: Viewer,
    cases: CaseReadsDep,
    from_: FromVersion,
    to: ToVersion = None,
) -> DiffOut:
    """What changed in your view of the case from one version to another, field by field:
    each change has a dotted ``path`` (items of lists by their id, e.g.
    ``people.<ref>.name``), ``op`` (added, removed, changed) and the values ``before`` and
    ``after``. Both versions are rendered as ``?as_of_version=`` would show them to you,
    so a diff never holds what those reads hide. Recorded as view ``case.diff`` at ``to``."""
    return read_diff(cases, guard, case_id, start=from_, end=to)


@router.get(
    "/cases/{case_id}/events",
    name="case.events",
    response_model=EventsOut,
    responses=READ_RESPONSES,
)
def read_events(
    case_id: CaseId,
    guard: EventReader,
    cases: CaseReadsDep,
    ledger: LedgerDep,
    response: Response,
) -> EventsOut:
    """The case's raw event history with each event's hash and the previous event's hash,
    as the chain commits to them: sealed fields appear only as ciphertext digests."""
    case = cases.load(guard, case_id, "case.events")
    events = history(ledger, case.id, upto=case.version)
    cases.shown(
        guard,
        case_id=case.id,
        version=case.version,
        view="case.events",
        subjects=sorted(case.persons, key=str),
    )
    response.headers["ETag"] = f'"{case.version}"'
    return EventsOut(
        case_id=case.id,
        version=case.version,
        events=[EventOut.model_validate(event) for event in events],
    )


@router.get(
    "/cases/{case_id}/events/{version}",
    name="case.event",
    response_model=EventOut,
    responses=READ_RESPONSES,
)
def read_event(
    case_id: CaseId,
    version: Annotated[int, Path(ge=1, le=10**9)],
    guard: EventReader,
    cases: CaseReadsDep,
    ledger: LedgerDep,
) -> EventOut:
    """One event of the case, by version (where a command's ``Location`` points)."""
    case = cases.load(guard, case_id, "case.event")
    if version > case.version:
        raise Problem(404, "not-found", "Not found", f"the case has no version {version}")
    (event,) = history(ledger, case.id, upto=case.version, version=version)
    cases.shown(
        guard,
        case_id=case.id,
        version=version,
        view="case.event",
        subjects=sorted(event.people(), key=str),
    )
    return EventOut.model_validate(event)
