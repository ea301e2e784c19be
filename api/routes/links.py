"""Cases linked to a case by a shared person or place, and the cases at an address."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from api.deps import AccessDep, LedgerDep, MinPositionDep, RiskDep
from api.people import split_visible
from api.policy import Action, Guard, authorize
from api.reading import CaseReadsDep
from api.routes.cases import READ_RESPONSES
from api.routes.common import COMMAND_RESPONSES, CaseId
from api.schemas.links import CasesAtOut, LinkedCaseOut, LinksOut, PlaceSearchIn

router = APIRouter(tags=["links"])

LinkReader = Annotated[Guard, Depends(authorize(Action.READ_LINKS))]
PlaceSearcher = Annotated[Guard, Depends(authorize(Action.SEARCH_PLACES))]
SEARCHES: dict[int | str, dict[str, Any]] = {
    status: COMMAND_RESPONSES[status] for status in (400, 401, 403, 422, 503)
}


@router.get(
    "/cases/{case_id}/links", name="case.links", response_model=LinksOut, responses=READ_RESPONSES
)
def read_links(
    case_id: CaseId,
    guard: LinkReader,
    cases: CaseReadsDep,
    risk: RiskDep,
    min_position: MinPositionDep = None,
) -> LinksOut:
    """The other cases that share a victim, a complainant or an alleged perpetrator (one
    person, though a merge may have joined two records) or a place with this one, each with
    every reason; only those the caller may see are shown, the rest counted. Recorded as an
    access naming the people through whom the cases link."""
    case = cases.load(guard, case_id, "case.links")
    shown, hidden = split_visible(guard.caller, risk.links(case.id, min_position=min_position))
    cases.shown(
        guard,
        case_id=case.id,
        version=case.version,
        view="case.links",
        subjects=[r.person_ref for c in shown for r in c.reasons if r.person_ref is not None],
    )
    return LinksOut(case_id=case.id, links=[LinkedCaseOut.of(c) for c in shown], other_links=hidden)


@router.post("/places/search", name="places.search", response_model=CasesAtOut, responses=SEARCHES)
def search_places(
    guard: PlaceSearcher,
    request: Request,
    body: PlaceSearchIn,
    ledger: LedgerDep,
    risk: RiskDep,
    access: AccessDep,
    min_position: MinPositionDep = None,
) -> CasesAtOut:
    """The cases about, or with an incident at, a place (a body, so the address is never in
    a URL or a log line): by UPRN, or by address, matched by a keyed hash of its postcode
    and house number or name. Staff only; recorded as an access."""
    place = ledger.places.named(body.uprn, body.address, "body")
    assert place is not None  # the body names one (checked by the model)
    risk.require(min_position)
    shown, hidden = split_visible(guard.caller, risk.cases_at(place))
    access.record(request, guard.caller, case_id=None, case_version=None, view="places.search")
    return CasesAtOut(place=place, cases=[LinkedCaseOut.of(c) for c in shown], other_cases=hidden)
