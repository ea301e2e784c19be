"""A new complaint: one form from first contact to an opened case, run as ``POST /cases``
runs (``Commands.execute``: the same policy, duplicate check and idempotency), and, where
the complainant is also a victim, linked as one (``POST /cases/{id}/people``).

The person and the address are entered once (WCAG 3.3.7). A complainant whose details
strongly match a registered person is refused by the API (``person.possible_duplicate``)
with the candidates as the caller may see them: the form comes back with them beside the
complainant's fields, to link one (their reference fills the form, nothing is typed again)
or to confirm someone new. With JavaScript the same panel comes live as the details are
typed (``POST /app/people/matches``), and the cases already at the address too
(``POST /app/places/matches``, as ``POST /places/search``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.access import AccessLog
from api.commanding import Commands, CommandsDep, Done
from api.deps import AccessDep, LedgerDep, RiskDep
from api.errors import Problem
from api.policy import Action, Guard
from api.routes.cases import require_own_team
from api.routes.links import search_places
from api.schemas.links import CasesAtOut, PlaceSearchIn
from api.schemas.people import PersonSearchIn
from api.schemas.plan import LinkPersonIn
from api.web.forms import (
    KEY_FIELD,
    VERSION_FIELD,
    Refused,
    as_list,
    form_values,
    key_of,
    new_key,
    refused_by,
    submit,
)
from api.web.guard import Csrf, page_guard
from api.web.intake import (
    CATEGORIES,
    CHANNELS,
    CONTACT_METHODS,
    DEPARTMENTS,
    VULNERABILITIES,
    Complaint,
    check,
    merge,
    read_complaint,
    text,
)
from api.web.pages.people import acting_as, as_of_now, find_people, sought_in
from api.web.rendering import page
from ledger.application import CaseLedger
from ledger.enums import Role
from ledger.errors import RuleViolation
from projections.risk.projection import CumulativeRisk

log = structlog.get_logger("api")
router = APIRouter(include_in_schema=False)

OpenPage = Annotated[Guard, Depends(page_guard(Action.OPEN_CASE))]
PlacePage = Annotated[Guard, Depends(page_guard(Action.SEARCH_PLACES))]


@router.get("/app/complaints/new", name="web.complaint")
def complaint_page(request: Request, guard: OpenPage, ledger: LedgerDep) -> HTMLResponse:
    """The form, blank, with an idempotency key of its own (a form sent twice opens once)."""
    return _form(request, guard, ledger, {KEY_FIELD: new_key()}, Refused())


@router.post("/app/complaints/new", name="web.complaint.open", dependencies=[Csrf])
async def open_complaint(
    request: Request,
    guard: OpenPage,
    commands: CommandsDep,
    risk: RiskDep,
    access: AccessDep,
) -> Response:
    """Opens the case (then links the complainant as a victim, if they are one) and goes to
    it; or shows the form again with what stopped it, beside the fields concerned."""
    values = await form_values(request)
    return await run_in_threadpool(_open, request, guard, commands, values, risk, access)


def _open(
    request: Request,
    guard: Guard,
    commands: Commands,
    values: dict[str, Any],
    risk: CumulativeRisk,
    access: AccessLog,
) -> Response:
    form = read_complaint(values)
    body, refused = check(form, values)
    if body is not None:
        try:
            require_own_team(guard, body)
        except Problem as problem:
            merge(refused, refused_by(problem), values)
            body = None
    if body is None:
        return _again(request, guard, commands.ledger, form, values, refused, risk, access)
    outcome = submit(commands, guard, body, body.to_command, case_id=None, data=values)
    if isinstance(outcome, Refused):
        merge(refused, outcome, values)
        return _again(request, guard, commands.ledger, form, values, refused, risk, access)
    case_id, position = outcome.receipt.case_id, outcome.receipt.position
    warning = ""
    if form.victim:
        linked = _victim_linked(commands, guard, form, outcome, values)
        if linked is None:
            warning = "&victim=not_linked"
        else:
            position = linked.receipt.position
    # the case page waits, briefly, for its views to show the case
    to = f"/app/cases/{case_id}?done=CaseOpened&min_position={position}{warning}"
    return RedirectResponse(to, status_code=303)


def _victim_linked(
    commands: Commands, guard: Guard, form: Complaint, opened: Done, values: Mapping[str, Any]
) -> Done | None:
    """Links the complainant, as the case now names them, as a victim too: at the version
    the opening made, under a key of the form's own (so a form sent twice links once)."""
    case_id = opened.receipt.case_id
    link = LinkPersonIn.model_validate(
        {**form.victim_link, "person_ref": opened.created["complainant_ref"]}
    )
    key = key_of(values)
    data = {VERSION_FIELD: str(opened.receipt.version), KEY_FIELD: f"{key}:victim" if key else ""}
    done = submit(
        commands,
        acting_as(guard, Action.COMMAND),
        link,
        lambda ctx: link.to_command(case_id, ctx),
        case_id=case_id,
        data=data,
    )
    if isinstance(done, Refused):
        log.warning("web.victim_not_linked", rules=[e["rule"] for e in done.summary])
        return None
    return done


def _again(
    request: Request,
    guard: Guard,
    ledger: CaseLedger,
    form: Complaint,
    values: dict[str, Any],
    refused: Refused,
    risk: CumulativeRisk,
    access: AccessLog,
) -> HTMLResponse:
    """The form as it was sent, with what stopped it; the people it may be (the API's
    candidates, or, where one was chosen already, the search again) and the cases at the
    address, each read recorded as the API records it."""
    candidates: list[dict[str, Any]] | None = refused.candidates or None
    if candidates is None and form.match:
        candidates = _people(request, guard, values, ledger, risk, access)
    places = _places(request, guard, values, ledger, risk, access)
    return _form(
        request,
        guard,
        ledger,
        values,
        refused,
        candidates=candidates,
        places=places,
        warned=bool(refused.candidates),
    )


def _people(
    request: Request,
    guard: Guard,
    values: Mapping[str, Any],
    ledger: CaseLedger,
    risk: CumulativeRisk,
    access: AccessLog,
) -> list[dict[str, Any]] | None:
    data, _ = sought_in(values, "complainant-")
    if values.get("same_address") == "yes" and text(values, "location"):
        data["address"] = text(values, "location")
    if not data.get("name"):
        return None
    try:
        sought = PersonSearchIn.model_validate(data)
    except ValidationError:
        return None
    return find_people(request, guard, sought, ledger, risk, access)


def _places(
    request: Request,
    guard: Guard,
    values: Mapping[str, Any],
    ledger: CaseLedger,
    risk: CumulativeRisk,
    access: AccessLog,
) -> CasesAtOut | None:
    """The cases at the place the complaint names (``POST /places/search``), if it names one
    the ledger can recognise: its UPRN, or an address with a postcode and a house."""
    uprn, address = text(values, "place-uprn"), text(values, "location")
    if not uprn and ledger.places.of_text(address) is None:
        return None
    try:
        sought = PlaceSearchIn(uprn=uprn or None, address=address or None)
        searching = acting_as(guard, Action.SEARCH_PLACES)
        return as_of_now(
            ledger,
            lambda at: search_places(
                searching, request, sought, ledger, risk, access, min_position=at
            ),
        )
    except (RuleViolation, ValidationError):
        return None  # a UPRN that is not one: the opening will say so, beside its field


def _form(
    request: Request,
    guard: Guard,
    ledger: CaseLedger,
    values: Mapping[str, Any],
    refused: Refused,
    *,
    candidates: list[dict[str, Any]] | None = None,
    places: CasesAtOut | None = None,
    warned: bool = False,
) -> HTMLResponse:
    caller = guard.caller
    return page(
        request,
        "complaint.html",
        {
            "values": values,
            "key": values.get(KEY_FIELD) or new_key(),
            "errors": refused.summary,
            "field_errors": refused.fields,
            "candidates": candidates,
            "match": text(values, "match"),
            "warned": warned,
            "places": places,
            "channels": [(c.value, label) for c, label in CHANNELS.items()],
            "categories": CATEGORIES,
            "departments": [(d.value, label) for d, label in DEPARTMENTS.items()],
            "contact_methods": [(m.value, label) for m, label in CONTACT_METHODS.items()],
            "vulnerabilities": [(v.value, label) for v, label in VULNERABILITIES.items()],
            "wards": [(w, w) for w in ledger.vocabulary.wards],
            "chosen_vulnerabilities": as_list(values.get("vulnerabilities")),
            "teams": [(t, t) for t in sorted(caller.all_teams)],
            "supervisor": caller.role is Role.SUPERVISOR,
            "breadcrumbs": [("Home", "/app"), ("New complaint", None)],
        },
        principal=caller,
        status=refused.status if refused.summary else 200,
    )


@router.post("/app/places/matches", name="web.places.matches", dependencies=[Csrf])
async def place_matches(
    request: Request, guard: PlacePage, ledger: LedgerDep, risk: RiskDep, access: AccessDep
) -> HTMLResponse:
    """The complaint form's live check (htmx): the cases already at the address given."""
    values = await form_values(request)
    places = await run_in_threadpool(_places, request, guard, values, ledger, risk, access)
    return await run_in_threadpool(
        page, request, "_place_matches.html", {"places": places}, principal=guard.caller
    )
