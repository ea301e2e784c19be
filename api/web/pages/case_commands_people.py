"""The forms for a case's people: linking a person (with the register's duplicate warning),
assessing risk with an instrument's questions, and recording a contact
(``case_forms.CommandForm``, each on the API route's own request model, policy action and
command). ``case_commands_plan`` registers them with the plan's other forms."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from api.policy import Action, Guard
from api.schemas.partnership import ContactIn
from api.schemas.plan import LinkPersonIn, RiskAssessmentIn
from api.schemas.views import CaseOut
from api.web.forms import as_list, blank_to_none
from api.web.pages.case_commands import options, people_in
from api.web.pages.case_forms import CommandForm, Values, local_time, yes
from ledger.case import Case
from ledger.enums import (
    ContactDirection,
    ContactMethod,
    ContactOutcome,
    PersonRole,
    RiskLevel,
    Vulnerability,
)
from ledger.risk import INSTRUMENTS, Instrument

ANSWERS = (("0", "No"), ("1", "Partly or unsure"), ("2", "Yes"))
"""An instrument's answers, as it scores them: 0 no, 1 partly or unsure, 2 yes."""


def current_instrument(name: str = "asb-vra") -> Instrument:
    """The newest version of the instrument ``name``: the one a new assessment uses."""
    return max((i for i in INSTRUMENTS.values() if i.name == name), key=lambda i: i.version)


def everyone(shown: CaseOut) -> list[tuple[str, str]]:
    """Everyone on the case as (reference, "name (roles)"), as the caller may see them."""
    return [
        (
            str(p.person_ref),
            f"{p.name if isinstance(p.name, str) else 'Name withheld or erased'}"
            f" ({', '.join(r.replace('_', ' ') for r in p.roles)})",
        )
        for p in shown.people
    ]


# ----------------------------------------------------------------- link a person

PERSON_FIELDS = ("name", "contact", "address", "date_of_birth")


def person_data(values: Values, zone: ZoneInfo) -> dict[str, Any]:
    """Someone new (no reference chosen) with the details typed; or a person already known,
    by reference alone (details typed beside a chosen person are not sent: they would
    correct the register's record)."""
    ref = values.get("person_ref") or None
    details = blank_to_none({f: values.get(f"details-{f}") for f in PERSON_FIELDS})
    return {
        "role": values.get("role"),
        "person_ref": ref,
        "details": None if ref else details,
        "vulnerabilities": as_list(values.get("vulnerabilities")),
        "vulnerability_note": values.get("vulnerability_note"),
        "self_declared_repeat_victim": yes(values.get("self_declared_repeat_victim")),
        "confirm_new_person": yes(values.get("confirm_new_person")),
    }


def _person_choices(case: Case, shown: CaseOut, guard: Guard) -> dict[str, Any]:
    return {
        "roles": options(PersonRole),
        "on_case": everyone(shown),
        "vulnerability_options": options(Vulnerability),
    }


LINK_PERSON = CommandForm(
    path="people",
    title="Link a person",
    action=Action.COMMAND,
    template="forms/person.html",
    model=LinkPersonIn,
    to_data=person_data,
    build=lambda body, case_id: lambda ctx: body.to_command(case_id, ctx),
    done="PersonLinked",
    context=_person_choices,
    messages={
        "role": "Select the person's role on the case",
        "person_ref": "Select who the person is",
        "details-name": "Enter the person's full name",
        "details-contact": "Enter a phone number or email address of up to 200 characters",
        "details-date_of_birth": "Enter the date of birth in up to 200 characters",
        "vulnerabilities": "Select the vulnerabilities from the list",
    },
    rule_fields={
        "person.possible_duplicate": "person_ref",
        "person.already_linked": "role",
        "person.merge_refused": "person_ref",
        "field.text_required": "details-name",
    },
)


# ------------------------------------------------------------------- assess risk


def risk_data(values: Values, zone: ZoneInfo) -> dict[str, Any]:
    """The answers by question key (an unanswered question as None, so that the model names
    it beside its question), for the instrument the form was drawn with."""
    name = str(values.get("instrument") or "")
    version = str(values.get("instrument_version") or "")
    used = INSTRUMENTS.get((name, int(version))) if version.isdigit() else None
    keys = [q.key for q in used.questions] if used else []
    keys += [k.removeprefix("answers-") for k in values if k.startswith("answers-")]
    return {
        "instrument": name,
        "instrument_version": version,
        "answers": {key: values.get(f"answers-{key}") or None for key in dict.fromkeys(keys)},
        "victim_ref": values.get("victim_ref"),
        "override_level": values.get("override_level"),
        "override_rationale": values.get("override_rationale"),
        "rationale": values.get("rationale"),
    }


def _risk_choices(case: Case, shown: CaseOut, guard: Guard) -> dict[str, Any]:
    return {
        "instrument": current_instrument(),
        "answer_options": ANSWERS,
        "levels": options(RiskLevel),
        "victims": people_in(shown, "victim"),
    }


ASSESS_RISK = CommandForm(
    path="risk-assessments",
    title="Assess risk",
    action=Action.COMMAND,
    template="forms/risk.html",
    model=RiskAssessmentIn,
    to_data=risk_data,
    build=lambda body, case_id: lambda ctx: body.to_command(case_id, ctx),
    done="RiskAssessed",
    context=_risk_choices,
    messages={
        **{
            f"answers-{q.key}": f"Select an answer to: {q.text}"
            for i in INSTRUMENTS.values()
            for q in i.questions
        },
        "victim_ref": "Select a victim on the case, or none",
        "override_level": "Select a risk level, or leave the level the answers give",
    },
    rule_fields={
        "risk.override_needs_rationale": "override_rationale",
        "person.not_linked": "victim_ref",
    },
)


# ---------------------------------------------------------------------- contacts


def contact_data(values: Values, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "occurred_at": local_time(values.get("occurred_at"), zone),
        "person_ref": values.get("person_ref"),
        "method": values.get("method"),
        "direction": values.get("direction"),
        "outcome": values.get("outcome"),
        "summary": values.get("summary"),
    }


def _contact_choices(case: Case, shown: CaseOut, guard: Guard) -> dict[str, Any]:
    return {
        "people": everyone(shown),
        "methods": options(ContactMethod),
        "directions": [
            (ContactDirection.OUTBOUND.value, "We contacted them"),
            (ContactDirection.INBOUND.value, "They contacted us"),
        ],
        "outcomes": options(ContactOutcome),
    }


RECORD_CONTACT = CommandForm(
    path="contacts",
    title="Record a contact",
    action=Action.CONTRIBUTE,
    template="forms/contact.html",
    model=ContactIn,
    to_data=contact_data,
    build=lambda body, case_id: lambda ctx: body.to_command(case_id, ctx),
    done="ContactRecorded",
    defaults=lambda case: {"method": case.preferred_contact.value},
    context=_contact_choices,
    messages={
        "person_ref": "Select who the contact was with",
        "method": "Select how the contact was made",
        "direction": "Select who made the contact",
        "outcome": "Select the outcome of the contact",
        "summary": "Summarise the contact",
        "occurred_at": "Enter when the contact was made, as a real date and time",
    },
    rule_fields={
        "person.not_linked": "person_ref",
        "partner.not_shared_with_you": "person_ref",
        "date.in_future": "occurred_at",
        "date.too_early": "occurred_at",
        "date.before_complaint_received": "occurred_at",
    },
)
