"""A case: its summary, people, incidents, risk, action plan, partnership work, linked cases,
audit trail (with each event's coverage by the latest signed checkpoint) and, for those
entitled, who else has seen it; with links to the forms the person may use.

The same code path as ``GET /cases/{case_id}``: the case loaded under the policy (a case
the person may not see is the same 404 as one that does not exist), rendered by
``api.case_view.render`` (a partner sees only what was shared with their organisation),
and every other part read as its API route reads it, shown only where the policy allows
that route's action on this case. One access record, naming everyone whose data the page
shows, is appended before the page is sent.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from api.case_view import render
from api.deps import (
    CaseloadDep,
    CaseReviewsDep,
    ClockDep,
    DisclosuresDep,
    LedgerDep,
    MinPositionDep,
    NotaryDep,
    RiskDep,
    SettingsDep,
)
from api.errors import invalid_field
from api.people import split_visible
from api.policy import STAFF, Action, CaseFacts, Guard, decide
from api.reading import CaseReadsDep
from api.routes.cases import case_review_flag
from api.routes.common import CaseId
from api.schemas.links import LinkedCaseOut
from api.schemas.risk import CaseRiskOut
from api.schemas.views import CaseOut
from api.web import case_context, case_page
from api.web.guard import page_guard
from api.web.rendering import page
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import PersonRole
from projections import View
from projections.disclosures.model import DisclosureQuery
from projections.disclosures.projection import DisclosureLog
from replay.timeline import timeline

router = APIRouter(include_in_schema=False)

CasePage = Annotated[Guard, Depends(page_guard(Action.READ_CASE))]
SEEN_PAGE = 20


@router.get("/app/cases/{case_id}", name="web.case")
def case_view_page(
    request: Request,
    guard: CasePage,
    case_id: CaseId,
    cases: CaseReadsDep,
    ledger: LedgerDep,
    risk: RiskDep,
    reviews: CaseReviewsDep,
    caseload: CaseloadDep,
    disclosures: DisclosuresDep,
    notary: NotaryDep,
    clock: ClockDep,
    settings: SettingsDep,
    min_position: MinPositionDep = None,
    done: Annotated[str | None, Query(max_length=60)] = None,
    events: Annotated[int, Query(ge=1, le=10**6)] = 1,
    seen: Annotated[str | None, Query(max_length=200)] = None,
    victim: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """The case page (by id or reference). ``done`` names the kind of event a form has just
    recorded (a banner in fixed words), ``victim=not_linked`` that a new complaint's
    complainant could not be linked as a victim; ``events`` is the audit trail's page,
    ``seen`` the disclosures' cursor; ``min_position`` waits briefly for the views to show
    a command."""
    case = cases.load(guard, case_id, "web.case")
    now = clock()
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    facts = CaseFacts.of(case, cases.grants.get(case.id))

    def may(action: Action) -> bool:
        return decide(guard.caller, action, facts).allowed

    view, subjects = render(case, guard.caller, ledger.sealer, registered=ledger.people.current)
    behind = min_position is not None and not _caught_up(
        [risk, reviews, caseload, disclosures], min_position
    )
    if guard.caller.role in STAFF:
        view.case_review = case_review_flag(reviews, case.id, guard, now)
    context: dict[str, Any] = {"risk": None, "links": None, "trail": None, "seen": None}
    if may(Action.READ_RISK):
        found = risk.case_risk(case.id, now=now)
        if found is not None:
            context["risk"] = CaseRiskOut.of(found, now)
            subjects.update(victim.person_ref for victim in found.victims)
    if may(Action.READ_LINKS):
        shown, hidden = split_visible(guard.caller, risk.links(case.id))
        context["links"] = ([LinkedCaseOut.of(c) for c in shown], hidden)
        subjects.update(r.person_ref for c in shown for r in c.reasons if r.person_ref)
    if may(Action.READ_TIMELINE):
        shown_page, after, upto = case_page.trail_window(case.version, events)
        lines = timeline(ledger, case.id, upto=upto, after=after)
        context["trail"] = case_page.audit_trail(case.id, lines, case.version, notary, shown_page)
        subjects.update(case.persons)
    if may(Action.READ_CASE_ACCESSES):
        context["seen"] = _seen(disclosures, case.id, seen)
    dues = None
    if may(Action.READ_CASELOAD):
        dues = case_page.dues(caseload.entry(case.id, now=now), today)
    organisations = _organisations(ledger, view, context)
    pages = case_context.app_pages(request.app)
    cases.shown(
        guard,
        case_id=case.id,
        version=case.version,
        view="web.case",
        subjects=sorted(subjects, key=str),
    )
    return page(
        request,
        "case.html",
        {
            **context,
            **case_context.arranged(view, context, today),
            "case": view,
            "dues": dues,
            "today": today,
            "as_of": now,
            "behind": behind or _risk_behind(context["risk"], case),
            "break_glass": case.id in cases.grants,
            "forms": case_context.forms(case, may, pages),
            "action_forms": case_context.action_forms(may, case.closed, pages),
            "person_pages": may(Action.READ_PERSON) and "/app/people/{person_ref}" in pages,
            "organisations": organisations,
            "seen_words": [
                case_page.seen(e, organisations) for e in (context["seen"] or {}).get("items", [])
            ],
            "notice": case_page.done_words(done),
            "victim_not_linked": victim == "not_linked" and not _complainant_a_victim(case),
            "seen_cursor": seen,
            "breadcrumbs": [("Home", "/app"), (f"Case {view.reference}", None)],
        },
        principal=guard.caller,
    )


def _caught_up(views: list[View], position: int) -> bool:
    """Whether every view has reached ``position`` (waiting, bounded, as a query would)."""
    return all(v.wait_for(position, v.read_timeout) for v in views)


def _complainant_a_victim(case: Case) -> bool:
    complainant = case.persons.get(case.complainant_ref)
    return complainant is not None and PersonRole.VICTIM in complainant.roles


def _risk_behind(risk: CaseRiskOut | None, case: Case) -> bool:
    return risk is not None and risk.version < case.version


def _seen(log: DisclosureLog, case_id: UUID, cursor: str | None) -> dict[str, Any]:
    """A page of the disclosure log's entries about the case, newest first."""
    try:
        found = log.list_disclosures(
            DisclosureQuery(case_id=case_id), limit=SEEN_PAGE, cursor=cursor
        )
    except ValueError:
        raise invalid_field("query.seen", "not a cursor this page gave") from None
    return {"items": found.items, "next_cursor": found.next_cursor}


def _organisations(ledger: CaseLedger, view: CaseOut, context: dict[str, Any]) -> dict[str, str]:
    """The name of every organisation the page names, by id (read once each)."""
    ids = {s.organisation for s in view.shares}
    ids |= {str(p["organisation"]) for p in view.police_referrals if p.get("organisation")}
    ids |= {str(a["organisation"]) for a in view.agencies if a.get("organisation")}
    ids |= {str(s["organisation"]) for s in view.support_referrals if s.get("organisation")}
    if context["seen"] is not None:
        for item in context["seen"]["items"]:
            ids |= {o for o in (item.recipient_organisation, item.actor_organisation) if o}
    if context["trail"] is not None:
        ids |= {a.line.actor.organisation for a in context["trail"].lines}
    return {org: ledger.organisations.name_of(org) for org in sorted(ids)}
