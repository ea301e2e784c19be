"""Partners: the cases shared with their organisation, a page at a time, as ``GET /cases``
lists them for a partner (reference, status, version and last change: nothing else of a
case reaches a partner but the items shared with them, shown on the case's page)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import DirectoryDep, LedgerDep
from api.policy import Action, Guard
from api.routes.cases import list_cases
from api.web.guard import page_guard
from api.web.rendering import home_for, page
from ledger.enums import Role

router = APIRouter(include_in_schema=False)

PartnerPage = Annotated[Guard, Depends(page_guard(Action.LIST_CASES))]
PAGE_SIZE = 25


@router.get("/app/partner", name="web.partner")
def partner_page(
    request: Request,
    guard: PartnerPage,
    directory: DirectoryDep,
    ledger: LedgerDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    status: Literal["open", "closed"] | None = None,
) -> Response:
    caller = guard.caller
    if caller.role is not Role.PARTNER:  # staff have their caseload; readers their own pages
        return RedirectResponse(home_for(caller), status_code=303)
    listed = list_cases(
        guard,
        directory,
        cursor=cursor or None,
        limit=PAGE_SIZE,
        status=status,
        team=None,
        officer=None,
        risk_level=None,
        reference=None,
        min_position=None,
    )
    organisation = ledger.organisations.name_of(caller.organisation)
    return page(
        request,
        "partner.html",
        {
            "title": "Cases shared with us",
            "organisation": organisation,
            "items": listed.items,
            "status": status,
            "next_cursor": listed.next_cursor,
            "first_page": cursor is not None,
            "breadcrumbs": [("Home", "/app"), ("Shared with us", None)],
        },
        principal=caller,
    )
