"""The data protection officer's queries: the disclosure log, for the DPO and auditors only."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime

from api.errors import Problem
from api.policy import Action, Guard, authorize
from api.routes.cases import READ_RESPONSES
from api.schemas.dpo import DisclosureOut, DisclosuresOut
from projections.disclosures import DisclosureLog
from projections.disclosures_model import DisclosureQuery
from projections.view import ViewBehind

router = APIRouter(tags=["data protection"])

DisclosureReader = Annotated[Guard, Depends(authorize(Action.READ_DISCLOSURES))]


def disclosure_log(request: Request) -> DisclosureLog:
    """The app's disclosure log (one of the read models opened in its lifespan)."""
    view = request.app.state.read_models.view(DisclosureLog.name)
    assert isinstance(view, DisclosureLog)
    return view


def _invalid(field: str, message: str) -> Problem:
    return Problem(
        422,
        "invalid-request",
        "Invalid request",
        f"invalid: {field}",
        errors=[{"field": field, "message": message}],
    )


@router.get(
    "/dpo/disclosures",
    name="dpo.disclosures",
    response_model=DisclosuresOut,
    responses=READ_RESPONSES,
)
def list_disclosures(
    request: Request,
    guard: DisclosureReader,
    subject: Annotated[
        UUID | None, Query(description="A person reference: disclosures about them.")
    ] = None,
    case: Annotated[UUID | None, Query(description="A case id: disclosures of it.")] = None,
    actor: Annotated[
        str | None,
        Query(max_length=200, description="A staff or partner user id: what they saw or sent."),
    ] = None,
    since: Annotated[
        AwareDatetime | None,
        Query(alias="from", description="From this time (inclusive), with a timezone."),
    ] = None,
    until: Annotated[
        AwareDatetime | None,
        Query(alias="to", description="Up to this time (exclusive), with a timezone."),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    min_position: Annotated[
        int | None,
        Query(ge=0, description="Wait (briefly) until the log includes this position."),
    ] = None,
) -> DisclosuresOut:
    """Who saw or received what about a person or a case, when and why: every read of a
    case's data (refusals too), every share and every police referral, newest first, a
    page at a time. Filters combine. Only the DPO and auditors may ask, and each query is
    itself recorded as an access (with the subject asked about)."""
    log = disclosure_log(request)
    try:
        query = DisclosureQuery(
            subject=subject, case_id=case, actor=actor, since=since, until=until
        )
    except ValueError:
        raise _invalid("query.from", "must not be after `to`") from None
    try:
        page = log.list_disclosures(
            query,
            limit=limit,
            cursor=cursor,
            min_position=min_position,
            timeout=request.app.state.settings.read_wait_seconds,
        )
    except ViewBehind as behind:
        raise Problem(
            503,
            "view-behind",
            "View behind",
            f"the disclosure log has reached position {behind.reached}, not yet"
            f" {min_position}; retry shortly",
            headers={"Retry-After": "1"},
        ) from None
    except ValueError:
        raise _invalid("query.cursor", "not a cursor this list gave") from None
    request.app.state.access.record(
        request,
        guard.caller,
        case_id=case,
        case_version=None,
        view="dpo.disclosures",
        subjects=() if subject is None else (subject,),
    )
    return DisclosuresOut(
        items=[DisclosureOut.of(entry) for entry in page.items], next_cursor=page.next_cursor
    )
