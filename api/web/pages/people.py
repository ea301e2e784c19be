"""People: the register's search (a form sent as a body, never a query string), one person
with their cases, roles and cumulative risk, and the live check of the complaint form for
people already registered. The same reads as ``POST /people/search`` and
``GET /people/{ref}``, through the route functions themselves, so each is recorded as an
access exactly as the API records it, before the page is sent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from api.access import AccessLog
from api.deps import AccessDep, ClockDep, LedgerDep, RiskDep
from api.errors import forbidden
from api.policy import Action, Guard, decide
from api.routes.people import read_person, search_people
from api.schemas.people import PersonSearchIn
from api.web.forms import Refused, form_values, validate
from api.web.guard import Csrf, page_guard
from api.web.intake import read_date, text
from api.web.rendering import page, uk_date
from ledger.application import CaseLedger
from projections.risk.projection import CumulativeRisk
from projections.view import ViewBehind

router = APIRouter(include_in_schema=False)

SearchPage = Annotated[Guard, Depends(page_guard(Action.SEARCH_PEOPLE))]
PersonPage = Annotated[Guard, Depends(page_guard(Action.READ_PERSON))]
PersonRef = Annotated[UUID, Path(description="A person's reference")]
PAGE_SIZE = 10
SEARCH_FIELDS = ("name", "contact", "address")

T = TypeVar("T")


def as_of_now(ledger: CaseLedger, read: Callable[[int | None], T]) -> T:
    """A read as of everything recorded so far, so that what the person has just done is
    shown; as the view stands if it cannot catch up within the read's bounded wait."""
    head = ledger.recorder.max_notification_id() or 0
    try:
        return read(head)
    except ViewBehind:
        return read(None)


def acting_as(guard: Guard, action: Action) -> Guard:
    """A page's guard for one more thing it does (a search on the complaint form), decided
    by the same policy function."""
    decision = decide(guard.caller, action)
    if not decision.allowed:
        raise forbidden(decision.reason)
    return Guard(guard.caller, action)


def find_people(
    request: Request,
    guard: Guard,
    sought: PersonSearchIn,
    ledger: CaseLedger,
    risk: CumulativeRisk,
    access: AccessLog,
) -> list[dict[str, Any]]:
    """The register's candidates for ``sought`` as the caller may see them (``POST
    /people/search``, recorded as an access naming them)."""
    searching = acting_as(guard, Action.SEARCH_PEOPLE)
    found = as_of_now(
        ledger,
        lambda at: search_people(searching, request, sought, ledger, risk, access, min_position=at),
    )
    return [c.model_dump(mode="json") for c in found.candidates]


def sought_in(values: Mapping[str, Any], prefix: str = "") -> tuple[dict[str, Any], Refused]:
    """The search's fields from a form (``prefix``: ``complainant-`` on the complaint form),
    the date of birth typed as day, month and year."""
    refused = Refused()
    born, wrong = read_date(values, f"{prefix}date_of_birth", "Date of birth")
    if wrong:
        refused.add(wrong, field_id=f"{prefix}date_of_birth")
    data: dict[str, Any] = {f: text(values, f"{prefix}{f}") for f in SEARCH_FIELDS}
    data["date_of_birth"] = born
    return {k: v for k, v in data.items() if v}, refused


@router.get("/app/people", name="web.people")
def people_page(request: Request, guard: SearchPage) -> HTMLResponse:
    return _search_page(request, guard, {}, None, Refused())


@router.post("/app/people", name="web.people.search", dependencies=[Csrf])
async def search_people_page(
    request: Request, guard: SearchPage, ledger: LedgerDep, risk: RiskDep, access: AccessDep
) -> HTMLResponse:
    """The search's results, a page at a time (the search is sent again for each page, and
    recorded each time, as every search is)."""
    values = await form_values(request)
    data, refused = sought_in(values)
    if not data and not refused.summary:
        refused.add("Enter a name, contact details, an address or a date of birth", field_id="name")
    sought = None
    if not refused.summary:
        sought, invalid = validate(PersonSearchIn, data)
        for e in invalid.summary:
            refused.add(e["text"], field_id=e["field"] if e["field"] != "form" else "name")
    if sought is None:
        return await run_in_threadpool(_search_page, request, guard, values, None, refused)
    candidates = await run_in_threadpool(find_people, request, guard, sought, ledger, risk, access)
    return await run_in_threadpool(_search_page, request, guard, values, candidates, refused)


def _search_page(
    request: Request,
    guard: Guard,
    values: Mapping[str, Any],
    candidates: list[dict[str, Any]] | None,
    refused: Refused,
) -> HTMLResponse:
    raw = text(values, "page")
    pages = max(1, -(-len(candidates or []) // PAGE_SIZE))
    number = min(max(int(raw) if raw.isdigit() else 1, 1), pages)
    start = (number - 1) * PAGE_SIZE
    return page(
        request,
        "people.html",
        {
            "values": values,
            "candidates": None if candidates is None else candidates[start : start + PAGE_SIZE],
            "found": None if candidates is None else len(candidates),
            "first": start + 1,
            "page_number": number,
            "pages": pages,
            "errors": refused.summary,
            "field_errors": refused.fields,
            "breadcrumbs": [("Home", "/app"), ("People", None)],
        },
        principal=guard.caller,
        status=422 if refused.summary else 200,
    )


@router.get("/app/people/{person_ref}", name="web.person")
def person_page(
    request: Request,
    guard: PersonPage,
    person_ref: PersonRef,
    ledger: LedgerDep,
    risk: RiskDep,
    access: AccessDep,
    clock: ClockDep,
) -> HTMLResponse:
    """One person as the caller may see them (``GET /people/{ref}``): recorded as an access
    naming them and the records merged into them before the page is sent."""
    person = as_of_now(
        ledger,
        lambda at: read_person(
            guard, request, person_ref, ledger, risk, access, clock, min_position=at
        ),
    )
    label = person.name or f"Person {str(person.person_ref)[:8]}"
    return page(
        request,
        "person.html",
        {
            "person": person,
            "label": label,
            "born": _born(person.date_of_birth),
            "breadcrumbs": [("Home", "/app"), ("People", "/app/people"), (label, None)],
        },
        principal=guard.caller,
    )


@router.post("/app/people/matches", name="web.people.matches", dependencies=[Csrf])
async def person_matches(
    request: Request, guard: SearchPage, ledger: LedgerDep, risk: RiskDep, access: AccessDep
) -> HTMLResponse:
    """The complaint form's live check (htmx): the registered people the complainant's
    details match, to link one rather than type them again. Nothing searched when too
    little is given; a search is recorded as an access."""
    values = await form_values(request)
    data, _ = sought_in(values, "complainant-")
    if values.get("same_address") == "yes" and text(values, "location"):
        data["address"] = text(values, "location")
    sought, _ = validate(PersonSearchIn, data)
    candidates = None
    if sought is not None and data.get("name"):
        candidates = await run_in_threadpool(
            find_people, request, guard, sought, ledger, risk, access
        )
    return await run_in_threadpool(
        page,
        request,
        "_person_matches.html",
        {"candidates": candidates, "match": text(values, "match"), "field_errors": {}},
        principal=guard.caller,
    )


def _born(given: str | None) -> str | None:
    """A date of birth in UK format, where it was given as a date (else as given)."""
    if not given:
        return None
    try:
        return uk_date(date.fromisoformat(given))
    except ValueError:
        return given
