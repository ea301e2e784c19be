"""The case commands' forms (``case_forms.CommandForm``), each on the API route's own
request model and command, registered on one router."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any

from fastapi import APIRouter

from api.policy import Action, Guard
from api.schemas.plan import IncidentIn
from api.schemas.views import CaseOut
from api.web.pages.case_forms import CommandForm, incident_data, register
from api.web.rendering import humanise
from ledger.case import Case
from ledger.enums import HarmIndicator, IncidentType

router = APIRouter(include_in_schema=False)


def options(values: Iterable[Enum]) -> list[tuple[str, str]]:
    """An enumeration's members as (value, words) for a select, radios or checkboxes."""
    return [(str(v.value), humanise(str(v.value))) for v in values]


def people_in(shown: CaseOut, role: str) -> list[tuple[str, str]]:
    """The people on the case in ``role`` as (reference, name), as the caller may see them."""
    return [
        (str(p.person_ref), p.name if isinstance(p.name, str) else "Name withheld or erased")
        for p in shown.people
        if role in p.roles
    ]


def _incident_choices(case: Case, shown: CaseOut, guard: Guard) -> dict[str, Any]:
    return {
        "incident_types": options(IncidentType),
        "harm_options": options(HarmIndicator),
        "victims": people_in(shown, "victim"),
    }


INCIDENT = CommandForm(
    path="incidents",
    title="Record an incident",
    action=Action.CONTRIBUTE,
    template="forms/incident.html",
    model=IncidentIn,
    to_data=incident_data,
    build=lambda body, case_id: lambda ctx: body.to_command(case_id, ctx),
    done="IncidentRecorded",
    context=_incident_choices,
)

FORMS: tuple[CommandForm, ...] = (INCIDENT,)
"""Every case command with a form, in the order the case page offers them."""

for _form in FORMS:
    register(router, _form)
