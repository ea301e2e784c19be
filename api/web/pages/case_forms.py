"""The forms for a case's commands: one page per command, on the API's own request model,
policy and ``Commands``.

Each form is a ``CommandForm``: its path under ``/app/cases/{case_id}/`` (the API command's
own path, with any further parameter it names, as ``actions/{action_id}/complete``), the
action the policy checks, the template, the API's request model, how the form's fields
become the model's data, and how the model becomes the command (as the API route does).
``register`` gives it a GET (the form, drawn with the case's version and a new idempotency
key) and a POST (validated, carried out, then back to the case, which waits briefly for its
views to show what was recorded; or the form again with its errors, each beside its field,
and for a stale form the case as it is now).
"""

# No "from __future__ import annotations": the routes register defines take their
# dependencies from local names, which FastAPI can only see as evaluated annotations.

import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, TypeAdapter, ValidationError

from api.case_view import render
from api.commanding import Build, Commands, get_commands
from api.errors import not_found
from api.policy import Action, Guard
from api.reading import CaseReads, get_case_reads
from api.routes.common import CaseId
from api.schemas.views import CaseOut
from api.web.forms import (
    KEY_FIELD,
    VERSION_FIELD,
    Refused,
    as_list,
    blank_to_none,
    form_values,
    new_key,
    submit,
    validate,
)
from api.web.guard import Csrf, page_guard
from api.web.rendering import page
from ledger.application import CaseLedger
from ledger.case import Case

Values = dict[str, Any]


@dataclass(frozen=True)
class CommandForm:
    """A case command as a web form."""

    path: str  # under /app/cases/{case_id}/, the API command's own path
    title: str  # the page's heading: "Record an incident"
    action: Action  # what the policy checks, as on the API's route
    template: str
    model: type[BaseModel]  # the API's request model
    to_data: Callable[[Values, ZoneInfo], dict[str, Any]]  # the form's fields as the model's data
    build: Callable[..., Build]  # (model, case_id, **parameters): the command, as the API builds it
    done: str  # the case page's banner once recorded: a fixed word, never the form's text
    defaults: Callable[[Case], Values] = field(default=lambda case: {})
    context: Callable[[Case, CaseOut, Guard], dict[str, Any]] = field(
        default=lambda case, shown, guard: {}
    )  # the choices the form offers: the case, as the caller may see it, and who they are
    view: str = ""  # the access record's view name (default: web.<path>)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    # the path's parameters beyond case_id, by name, each of the API route's type
    exists: Callable[[Case, Values], bool] = field(default=lambda case, parameters: True)
    # whether the parameters name something on the case (else the form is not found)
    reference: Callable[[CaseLedger, date], dict[str, Any]] = field(
        default=lambda ledger, today: {}
    )  # the choices the council's registers offer (as the API lists them) on the day
    messages: Mapping[str, str] = field(default_factory=dict)
    # a field's message, by field id, for whatever the request model finds wrong with it
    rule_fields: Mapping[str, str] = field(default_factory=dict)
    # the field a broken rule is shown beside, by rule code (it is in the summary too); it
    # may name a field of the form whose value picks it: "explanation_{reason}"


def local_time(value: Any, zone: ZoneInfo) -> str | None:
    """A ``datetime-local`` field (the council's local time) as an ISO time with its offset."""
    if not isinstance(value, str) or not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return value  # the model refuses it, naming the field
    if naive.tzinfo is not None:
        return naive.isoformat()
    return naive.replace(tzinfo=zone).isoformat()


def yes(value: Any) -> bool:
    return value in ("yes", "true", "on", "1")


def register(router: APIRouter, form: CommandForm) -> None:
    """Adds the form's GET and POST routes to ``router``."""
    guard_dependency = Annotated[Guard, Depends(page_guard(form.action))]
    reads_dependency = Annotated[CaseReads, Depends(get_case_reads)]
    path = f"/app/cases/{{case_id}}/{form.path}"
    slug = re.sub(r"/?\{[^}]*\}", "", form.path)  # actions/{action_id}/complete: actions/complete
    view = form.view or f"web.{slug.replace('/', '.')}"
    kinds = {name: TypeAdapter(kind) for name, kind in form.parameters.items()}

    def parameters_of(request: Request) -> Values:
        """The path's other parameters, as the API route's types take them (else 404)."""
        try:
            return {n: k.validate_python(request.path_params.get(n)) for n, k in kinds.items()}
        except ValidationError:
            raise not_found() from None

    def load(guard: Guard, cases: CaseReads, case_id: UUID, parameters: Values) -> Case:
        case = cases.load(guard, case_id, view)
        if not form.exists(case, parameters):
            raise not_found()
        return case

    def draw(
        request: Request,
        guard: Guard,
        case: Case,
        cases: CaseReads,
        values: Values,
        parameters: Values,
        refused: Refused | None = None,
    ) -> Response:
        ledger = request.app.state.ledger
        shown, subjects = render(
            case, guard.caller, ledger.sealer, registered=ledger.people.current
        )
        cases.shown(
            guard,
            case_id=case.id,
            version=case.version,
            view=view,
            subjects=sorted(subjects, key=str),
        )
        context = {
            "form": form,
            "case": shown,
            "case_id": case.id,
            "values": values,
            "version": case.version,
            "key": values.get(KEY_FIELD) or new_key(),
            "errors": refused.summary if refused else None,
            "field_errors": refused.fields if refused else {},
            "stale": refused is not None and refused.status == 412,
            "action_path": f"/app/cases/{case.id}/{form.path.format(**parameters)}",
            "parameters": parameters,
            "candidates": refused.candidates if refused else [],
            "breadcrumbs": [
                ("Home", "/app"),
                (shown.reference, f"/app/cases/{case.id}"),
                (form.title, None),
            ],
            **form.reference(ledger, cases.clock().date()),
            **form.context(case, shown, guard),
        }
        status = 200 if refused is None else refused.status
        return page(request, form.template, context, principal=guard.caller, status=status)

    def show_form(
        case_id: CaseId, request: Request, guard: guard_dependency, cases: reads_dependency
    ) -> Response:
        parameters = parameters_of(request)
        case = load(guard, cases, case_id, parameters)
        return draw(request, guard, case, cases, form.defaults(case), parameters)

    async def send_form(
        case_id: CaseId,
        request: Request,
        guard: guard_dependency,
        cases: reads_dependency,
        commands: Annotated[Commands, Depends(get_commands)],
    ) -> Response:
        values = await form_values(request)
        return await run_in_threadpool(_carry_out, case_id, request, guard, cases, commands, values)

    def _carry_out(
        case_id: UUID,
        request: Request,
        guard: Guard,
        cases: CaseReads,
        commands: Commands,
        values: Values,
    ) -> Response:
        parameters = parameters_of(request)
        zone = ZoneInfo(request.app.state.settings.timezone)
        body, refused = validate(form.model, blank_to_none(form.to_data(values, zone)))
        if body is not None:
            build = form.build(body, case_id, **parameters)
            outcome = submit(commands, guard, body, build, case_id=case_id, data=values)
            if not isinstance(outcome, Refused):
                receipt = outcome.receipt  # the case page waits, briefly, for its views
                target = (
                    f"/app/cases/{receipt.case_id}?done={form.done}&min_position={receipt.position}"
                )
                return RedirectResponse(target, status_code=303)
            refused = outcome
        refused.beside(form.messages, picked(form.rule_fields, values))
        case = load(guard, cases, case_id, parameters)
        if refused.status == 412:  # drawn again on the case as it is now, with its version
            values = {k: v for k, v in values.items() if k != VERSION_FIELD}
        return draw(request, guard, case, cases, values, parameters, refused)

    named = slug.replace("/", "_").replace("-", "_")
    show_form.__name__ = f"show_{named}_form"
    send_form.__name__ = f"send_{named}_form"
    router.add_api_route(path, show_form, methods=["GET"], name=f"web.form.{slug}")
    router.add_api_route(
        path, send_form, methods=["POST"], name=f"web.send.{slug}", dependencies=[Csrf]
    )


def picked(rule_fields: Mapping[str, str], values: Values) -> dict[str, str]:
    """Each rule's field, with the form's values it names filled in (blank if not given)."""
    given = defaultdict(str, {k: v for k, v in values.items() if isinstance(v, str)})
    return {rule: where.format_map(given) for rule, where in rule_fields.items()}


def incident_data(values: Values, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "occurred_at": local_time(values.get("occurred_at"), zone),
        "incident_type": values.get("incident_type"),
        "description": values.get("description"),
        "harms": as_list(values.get("harms")),
        "criminal": yes(values.get("criminal")),
        "victim_refs": as_list(values.get("victim_refs")),
        "location": values.get("location"),
    }
