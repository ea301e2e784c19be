"""The forms for a case's plan: timescales, actions (planned, completed, cancelled), reviews
and assignment (``case_forms.CommandForm``, each on the API route's own request model,
policy action and command), registered on one router with the forms for its people
(``case_commands_people``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter

from api.policy import Action, Guard
from api.schemas.closure import AssignIn
from api.schemas.partnership import ReviewIn
from api.schemas.plan import ActionId, ActionIn, ActionOutcomeIn, TimescalesIn
from api.schemas.views import CaseOut
from api.web.forms import as_list
from api.web.pages.case_commands import options
from api.web.pages.case_commands_people import ASSESS_RISK, LINK_PERSON, RECORD_CONTACT
from api.web.pages.case_forms import CommandForm, Values, register
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import Agency, ReviewOutcome

router = APIRouter(include_in_schema=False)


# -------------------------------------------------------------------- timescales


def timescales_data(values: Values, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "first_contact_due": values.get("first_contact_due"),
        "next_review_due": values.get("next_review_due"),
        "target_resolution": values.get("target_resolution"),
        "agreed_with": as_list(values.get("agreed_with")),
        "organisations": as_list(values.get("organisations")),
    }


def _timescales_now(case: Case) -> Values:
    """The timescales agreed before, to change (none yet: blank)."""
    agreed = case.timescales
    if agreed is None:
        return {}
    return {
        "first_contact_due": agreed.first_contact_due.isoformat(),
        "next_review_due": agreed.next_review_due.isoformat(),
        "target_resolution": agreed.target_resolution.isoformat(),
        "agreed_with": [a.value for a in agreed.agreed_with],
        "organisations": list(agreed.organisations),
    }


def signatories(ledger: CaseLedger, today: date) -> dict[str, Any]:
    """The protocol's signatories today, as ``GET /organisations?active=true`` lists them."""
    return {
        "signatories": [
            (o.org_id, o.name) for o in ledger.organisations.all() if o.active_on(today)
        ],
    }


AGREE_TIMESCALES = CommandForm(
    path="timescales",
    title="Agree timescales",
    action=Action.COMMAND,
    template="forms/timescales.html",
    model=TimescalesIn,
    to_data=timescales_data,
    build=lambda body, case_id: lambda ctx: body.to_command(case_id, ctx),
    done="TimescalesAgreed",
    defaults=_timescales_now,
    context=lambda case, shown, guard: {"agencies": options(Agency)},
    reference=signatories,
    messages={
        "first_contact_due": "Enter the date first contact is due, as a real date",
        "next_review_due": "Enter the date the next review is due, as a real date",
        "target_resolution": "Enter the target date for resolution, as a real date",
        "agreed_with": "Select the agencies from the list",
        "organisations": "Select the organisations from the list",
    },
    rule_fields={
        "timescales.out_of_order": "target_resolution",
        "organisation.unknown": "organisations",
        "organisation.not_a_signatory": "organisations",
    },
)


# ---------------------------------------------------------------------- actions


def action_data(values: Values, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "description": values.get("description"),
        "owner_agency": values.get("owner_agency"),
        "owner_officer": values.get("owner_officer"),
        "due": values.get("due"),
    }


PLAN_ACTION = CommandForm(
    path="actions",
    title="Plan an action",
    action=Action.COMMAND,
    template="forms/action.html",
    model=ActionIn,
    to_data=action_data,
    build=lambda body, case_id: lambda ctx: body.to_command(case_id, ctx),
    done="ActionPlanned",
    defaults=lambda case: {"owner_agency": Agency.COUNCIL.value, "owner_officer": case.officer},
    context=lambda case, shown, guard: {"agencies": options(Agency)},
    messages={
        "description": "Describe the action",
        "owner_agency": "Select the agency that owns the action",
        "owner_officer": "Enter the officer who owns the action, as their staff id",
        "due": "Enter the date the action is due, as a real date",
    },
    rule_fields={
        "action.owner_required": "owner_officer",
        "action.due_date_required": "due",
    },
)


def _open_action(case: Case, parameters: Values) -> bool:
    """Whether the path names an action on the case (done or not: a finished one is
    refused by its rule, in plain words)."""
    return parameters["action_id"] in case.actions


def outcome_data(values: Values, zone: ZoneInfo) -> dict[str, Any]:
    return {"outcome": values.get("outcome")}


def _finishing(
    label: str, hint: str, submit: str
) -> Callable[[Case, CaseOut, Guard], dict[str, Any]]:
    """The words of a form that finishes an action (done, or cancelled)."""

    def context(case: Case, shown: CaseOut, guard: Guard) -> dict[str, Any]:
        return {"outcome_label": label, "outcome_hint": hint, "submit_label": submit}

    return context


COMPLETE_ACTION = CommandForm(
    path="actions/{action_id}/complete",
    title="Complete an action",
    action=Action.COMMAND,
    template="forms/action_outcome.html",
    model=ActionOutcomeIn,
    to_data=outcome_data,
    build=lambda body, case_id, action_id: lambda ctx: body.completing(case_id, action_id, ctx),
    done="ActionCompleted",
    context=_finishing(
        "What was the outcome?", "What was done, and what came of it.", "Mark as done"
    ),
    parameters={"action_id": ActionId},
    exists=_open_action,
    messages={"outcome": "Enter the outcome of the action"},
    rule_fields={"action.not_open": "outcome"},
)

CANCEL_ACTION = CommandForm(
    path="actions/{action_id}/cancel",
    title="Cancel an action",
    action=Action.COMMAND,
    template="forms/action_outcome.html",
    model=ActionOutcomeIn,
    to_data=outcome_data,
    build=lambda body, case_id, action_id: lambda ctx: body.cancelling(case_id, action_id, ctx),
    done="ActionCancelled",
    context=_finishing(
        "Why is it cancelled?",
        "For example, the action is no longer needed.",
        "Confirm cancellation",
    ),
    parameters={"action_id": ActionId},
    exists=_open_action,
    messages={"outcome": "Enter why the action is cancelled"},
    rule_fields={"action.not_open": "outcome"},
)


# ----------------------------------------------------------------------- reviews


def review_data(values: Values, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "outcome": values.get("outcome"),
        "notes": values.get("notes"),
        "next_review_due": values.get("next_review_due"),
    }


REVIEW_CASE = CommandForm(
    path="reviews",
    title="Review the case",
    action=Action.COMMAND,
    template="forms/review.html",
    model=ReviewIn,
    to_data=review_data,
    build=lambda body, case_id: lambda ctx: body.to_command(case_id, ctx),
    done="CaseReviewed",
    context=lambda case, shown, guard: {"review_outcomes": options(ReviewOutcome)},
    messages={
        "outcome": "Select the outcome of the review",
        "notes": "Enter the review's notes",
        "next_review_due": "Enter the date the next review is due, as a real date",
    },
    rule_fields={"field.text_required": "notes"},
)


# ---------------------------------------------------------------------- assign


def assign_data(values: Values, zone: ZoneInfo) -> dict[str, Any]:
    return {"team": values.get("team"), "officer": values.get("officer")}


ASSIGN_CASE = CommandForm(
    path="assign",
    title="Assign the case",
    action=Action.ASSIGN,
    template="forms/assign.html",
    model=AssignIn,
    to_data=assign_data,
    build=lambda body, case_id: lambda ctx: body.to_command(case_id, ctx),
    done="CaseAssigned",
    defaults=lambda case: {"team": case.team, "officer": case.officer},
    messages={
        "team": "Enter the team as its identifier, for example asb-north",
        "officer": "Enter the officer as their staff identifier, for example cw-17",
    },
    rule_fields={"assignment.unchanged": "team"},
)


FORMS: tuple[CommandForm, ...] = (
    LINK_PERSON,
    ASSESS_RISK,
    AGREE_TIMESCALES,
    PLAN_ACTION,
    COMPLETE_ACTION,
    CANCEL_ACTION,
    RECORD_CONTACT,
    REVIEW_CASE,
    ASSIGN_CASE,
)
"""The plan's commands with a form, in the order the case page offers them."""

for _form in FORMS:
    register(router, _form)
