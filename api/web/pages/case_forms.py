"""The forms for a case's commands: one page per command, on the API's own request model,
policy and ``Commands``.

Each form is a ``CommandForm``: its path under ``/app/cases/{case_id}/`` (the API command's
own path), the action the policy checks, the template, the API's request model, how the
form's fields become the model's data, and how the model becomes the command (as the API
route does). ``register`` gives it a GET (the form, drawn with the case's version and a new
idempotency key) and a POST (validated, carried out, then back to the case; or the form
again with its errors, and for a stale form the case as it is now).
"""

# No "from __future__ import annotations": the routes register defines take their
# dependencies from local names, which FastAPI can only see as evaluated annotations.

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from api.case_view import render
from api.commanding import Build, Commands, get_commands
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
    build: Callable[[Any, UUID], Build]  # the model as the command, as the API route builds it
    done: str  # the case page's banner once recorded: a fixed word, never the form's text
    defaults: Callable[[Case], Values] = field(default=lambda case: {})
    context: Callable[[Case, CaseOut, Guard], dict[str, Any]] = field(
        default=lambda case, shown, guard: {}
    )  # the choices the form offers: the case, as the caller may see it, and who they are
    view: str = ""  # the access record's view name (default: web.<path>)


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
    view = form.view or f"web.{form.path.replace('/', '.')}"

    def draw(
        request: Request,
        guard: Guard,
        case: Case,
        cases: CaseReads,
        values: Values,
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
            "action_path": f"/app/cases/{case.id}/{form.path}",
            "breadcrumbs": [
                ("Home", "/app"),
                (shown.reference, f"/app/cases/{case.id}"),
                (form.title, None),
            ],
            **form.context(case, shown, guard),
        }
        status = 200 if refused is None else refused.status
        return page(request, form.template, context, principal=guard.caller, status=status)

    def show_form(
        case_id: CaseId, request: Request, guard: guard_dependency, cases: reads_dependency
    ) -> Response:
        case = cases.load(guard, case_id, view)
        return draw(request, guard, case, cases, form.defaults(case))

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
        zone = ZoneInfo(request.app.state.settings.timezone)
        body, refused = validate(form.model, blank_to_none(form.to_data(values, zone)))
        if body is not None:
            outcome = submit(
                commands, guard, body, form.build(body, case_id), case_id=case_id, data=values
            )
            if not isinstance(outcome, Refused):
                target = f"/app/cases/{outcome.receipt.case_id}?done={form.done}"
                return RedirectResponse(target, status_code=303)
            refused = outcome
        case = cases.load(guard, case_id, view)
        if refused.status == 412:  # drawn again on the case as it is now, with its version
            values = {k: v for k, v in values.items() if k != VERSION_FIELD}
        return draw(request, guard, case, cases, values, refused)

    show_form.__name__ = f"show_{form.path.replace('/', '_').replace('-', '_')}_form"
    send_form.__name__ = f"send_{form.path.replace('/', '_').replace('-', '_')}_form"
    router.add_api_route(path, show_form, methods=["GET"], name=f"web.form.{form.path}")
    router.add_api_route(
        path, send_form, methods=["POST"], name=f"web.send.{form.path}", dependencies=[Csrf]
    )


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
