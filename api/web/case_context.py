"""The case view arranged for the case page: people's names by reference, incidents newest
first, overdue actions in working days, dates parsed for display, what a partner was shared,
the page's sections for its contents list, and the forms the person may use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from api.policy import Action
from api.schemas.views import CaseOut
from api.web.rendering import working_days_late
from ledger.case import Case

FORMS: tuple[tuple[str, str, Action], ...] = (
    ("Record an incident", "incidents", Action.CONTRIBUTE),
    ("Record a contact", "contacts", Action.CONTRIBUTE),
    ("Link a person", "people", Action.COMMAND),
    ("Assess risk", "risk-assessments", Action.COMMAND),
    ("Plan an action", "actions", Action.COMMAND),
    ("Agree timescales", "timescales", Action.COMMAND),
    ("Refer for support", "support-referrals", Action.COMMAND),
    ("Share information with a partner", "shares", Action.COMMAND),
    ("Refer to the police", "police-referrals", Action.COMMAND),
    ("Review the case", "reviews", Action.COMMAND),
    ("Assign the case", "assign", Action.ASSIGN),
    ("Close the case", "close", Action.COMMAND),
)
"""The forms of an open case, by the API command path they post to, and the policy action
of that command (``api/routes``). A form is offered once the app has its page."""
CLOSED_FORMS: tuple[tuple[str, str, Action], ...] = (("Reopen the case", "reopen", Action.COMMAND),)

SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("people", "People"),
    ("incidents", "Incidents"),
    ("risk", "Risk"),
    ("actions", "Action plan"),
    ("contacts", "Contacts"),
    ("support", "Support referrals"),
    ("shares", "Information shared"),
    ("police", "Police referrals"),
    ("linked", "Linked cases"),
    ("audit", "Audit trail"),
    ("seen", "Who has seen this case"),
)
"""The page's sections, in order: (element id, heading)."""


def names(view: CaseOut) -> dict[str, str]:
    """Each person shown, by reference: their name (as shown) or their role."""
    names: dict[str, str] = {}
    for person in view.people:
        name = person.name if isinstance(person.name, str) else None
        roles = ", ".join(r.replace("_", " ") for r in person.roles)
        names[str(person.person_ref)] = name or f"A person ({roles})"
    return names


def police_refs(view: CaseOut) -> dict[str, str]:
    """Each referred incident's police reference, by incident id (where the view has them)."""
    refs: dict[str, str] = {}
    for referral in view.police_referrals:
        for incident in referral.get("incident_ids", []):
            refs[str(incident)] = str(referral.get("police_reference") or "")
    return refs


def contents(view: CaseOut, context: dict[str, Any]) -> list[tuple[str, str]]:
    """The page's sections, for its contents list: every section for those who see the
    whole case; for a partner, only those holding something shared with them."""
    everything = "all" in view.sections
    risk = context["risk"] is not None or view.risk_level is not None or bool(view.assessments)
    present = {
        "summary": True,
        "people": everything or bool(view.people),
        "incidents": everything or bool(view.incidents),
        "risk": risk or view.case_review is not None,
        "actions": everything or bool(view.actions),
        "contacts": everything or bool(view.contacts),
        "support": everything or bool(view.support_referrals),
        "shares": everything or bool(view.shares),
        "police": everything or bool(view.police_referrals),
        "linked": context["links"] is not None,
        "audit": context["trail"] is not None,
        "seen": context["seen"] is not None,
    }
    return [(key, label) for key, label in SECTIONS if present[key]]


def agreed(view: CaseOut) -> dict[str, date] | None:
    """The agreed timescales' dates, where the view holds them."""
    given = view.timescales or {}
    names = ("first_contact_due", "next_review_due", "target_resolution")
    if not all(isinstance(given.get(n), str) for n in names):
        return None
    return {n: date.fromisoformat(given[n]) for n in names}


def shared(view: CaseOut) -> list[str]:
    """What a partner's view holds, as the shares named it, in words."""
    kinds = [name.partition(":")[0] for name in view.sections]
    words = []
    for kind in dict.fromkeys(kinds):
        count = kinds.count(kind)
        label = kind.replace("_", " ")
        many = "people" if kind == "person" else f"{label}s"
        words.append(f"{count} {many}" if count > 1 else label[:1].upper() + label[1:])
    return words


def dated(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The view's rows with ``key`` (an ISO time) as a time, to be shown in UK format."""
    return [{**row, key: datetime.fromisoformat(row[key])} for row in rows]


def forms(
    case: Case, may: Callable[[Action], bool], pages: frozenset[str]
) -> list[tuple[str, str]]:
    """The forms the person may use on the case, of those the app has a page for
    (``pages``: its routes' paths): (label, path)."""
    offered = CLOSED_FORMS if case.closed else FORMS
    return [
        (label, f"/app/cases/{case.id}/{path}")
        for label, path, action in offered
        if may(action) and f"/app/cases/{{case_id}}/{path}" in pages
    ]


def app_pages(app: FastAPI) -> frozenset[str]:
    """The paths of the app's pages (read once: routes do not change once the app is built)."""
    found: frozenset[str] | None = getattr(app.state, "app_pages", None)
    if found is None:
        paths = (c.path for c in iter_route_contexts(app.routes))
        found = frozenset(p for p in paths if p and p.startswith("/app/"))
        app.state.app_pages = found
    return found


ACTION_FORMS = ("complete", "cancel")
"""What may be done to an open action, each a form at ``actions/{action_id}/<it>``."""


def action_forms(may: Callable[[Action], bool], closed: bool, pages: frozenset[str]) -> list[str]:
    """The forms an open action offers the person (none on a closed case)."""
    if closed or not may(Action.COMMAND):
        return []
    return [f for f in ACTION_FORMS if f"/app/cases/{{case_id}}/actions/{{action_id}}/{f}" in pages]


def arranged(view: CaseOut, parts: dict[str, Any], today: date) -> dict[str, Any]:
    """What the templates need besides the view itself (``parts``: the risk, links, audit
    trail and disclosures the page read, each None where the person may not see it)."""
    return {
        "names": names(view),
        "incidents_newest": sorted(view.incidents, key=lambda i: i.occurred_at, reverse=True),
        "incidents_by_id": {str(i.incident_id): i for i in view.incidents},
        "overdue": {
            a.action_id: working_days_late(a.due, today)
            for a in view.actions
            if a.status == "open" and a.due < today
        },
        "police_refs": police_refs(view),
        "agreed": agreed(view),
        "shared": shared(view),
        "support_referrals": dated(view.support_referrals, "referred_at"),
        "police_referrals": dated(view.police_referrals, "disseminated_at"),
        "contents": contents(view, parts),
    }
