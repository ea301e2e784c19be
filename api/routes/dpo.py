"""The data protection officer's queries: the disclosure log, for the DPO and auditors only."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime

from api.deps import AccessDep, DisclosuresDep, LedgerDep, MinPositionDep
from api.errors import invalid_field
from api.policy import Action, Guard, authorize
from api.routes.cases import READ_RESPONSES
from api.routes.common import CASE_ID_OR_REFERENCE, case_id_named
from api.schemas.dpo import DisclosureOut, DisclosuresOut
from projections.disclosures.model import DisclosureQuery

router = APIRouter(tags=["data protection"])

DisclosureReader = Annotated[Guard, Depends(authorize(Action.READ_DISCLOSURES))]


@router.get(
    "/dpo/disclosures",
    name="dpo.disclosures",
    response_model=DisclosuresOut,
    responses=READ_RESPONSES,
)
def list_disclosures(
    request: Request,
    guard: DisclosureReader,
    log: DisclosuresDep,
    access: AccessDep,
    ledger: LedgerDep,
    subject: Annotated[
        UUID | None, Query(description="A person reference: disclosures about them.")
    ] = None,
    case: Annotated[
        str | None,
        Query(
            pattern=CASE_ID_OR_REFERENCE,
            description="A case id or reference: disclosures of it.",
        ),
    ] = None,
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
    min_position: MinPositionDep = None,
) -> DisclosuresOut:
    """Who saw or received what about a person or a case, when and why: every read of a
    case's data (refusals too), every share and every police referral, newest first, a
    page at a time. Filters combine. Only the DPO and auditors may ask, and each query is
    itself recorded as an access (with the subject asked about)."""
    case_id = None if case is None else case_id_named(ledger, case)
    if case is not None and case_id is None:
        raise invalid_field("query.case", "no case has this reference")
    try:
        query = DisclosureQuery(
            subject=subject,
            also=() if subject is None else tuple(ledger.people.same_person(subject)),
            case_id=case_id,
            actor=actor,
            since=since,
            until=until,
        )
    except ValueError:
        raise invalid_field("query.from", "must not be after `to`") from None
    page = log.list_disclosures(query, limit=limit, cursor=cursor, min_position=min_position)
    access.record(
        request,
        guard.caller,
        case_id=case_id,
        case_version=None,
        view="dpo.disclosures",
        subjects=() if subject is None else (subject,),
    )
    return DisclosuresOut(
        items=[DisclosureOut.of(entry) for entry in page.items], next_cursor=page.next_cursor
    )
