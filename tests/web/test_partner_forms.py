"""The partnership and closure forms: each records on the case through the API's own command,
each shows what is wrong beside its field (nothing recorded), a caseworker cannot share or
close a case that needs a supervisor, the closure names every rule it breaks at once, and a
stale closure is refused with the case as it is now."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import CaseReviewDecision, PersonRole
from tests.web.test_case_forms import hidden
from tests.web.test_frame import page_client, sign_in

HIGH_RISK = "ASB-2026-000001"  # the caseworker's: high risk, an open action; prefers phone
CLOSED = "ASB-2026-000002"
TEAM_CASE = "ASB-2026-000003"  # the supervisor's: standard risk, an open action; prefers email


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from page_client(ApiSettings(data_dir=tmp_path), demo=True)


def ledger_of(client: TestClient) -> CaseLedger:
    ledger: CaseLedger = client.app.state.ledger  # type: ignore[attr-defined]
    return ledger


def case(client: TestClient, reference: str) -> Case:
    ledger = ledger_of(client)
    found = ledger.find_case_id(reference)
    assert found is not None
    return ledger.get_case(found)


def person(c: Case, role: PersonRole) -> str:
    return str(next(ref for ref, p in c.persons.items() if role in p.roles))


def draw(client: TestClient, path: str) -> dict[str, str]:
    """The form at ``path`` drawn: its CSRF token, version and idempotency key."""
    form = client.get(path)
    assert form.status_code == 200, form.text
    return {name: hidden(form.text, name) for name in ("csrf_token", "version", "idempotency_key")}


def send(client: TestClient, c: Case, form: str, data: dict[str, Any]) -> Any:
    path = f"/app/cases/{c.id}/{form}"
    return client.post(path, data={**draw(client, path), **data}, follow_redirects=False)


def request_review(client: TestClient, c: Case) -> UUID:
    sent = send(
        client,
        c,
        "case-review-requests",
        {"applicant_ref": person(c, PersonRole.COMPLAINANT)},
    )
    assert sent.status_code == 303, sent.text
    return next(iter(case(client, c.reference).case_reviews))


def share_data(c: Case, **changes: Any) -> dict[str, Any]:
    incident = next(iter(c.incidents))
    return {
        "recipient-organisation": "demo-homes",
        "recipient-person": "Tenancy officer",
        "items": ["case_summary", f"incident:{incident}"],
        "purpose": "prevent_crime_and_disorder",
        "justification": "The landlord needs the incident dates.",
        "lawful_basis": "public_task",
        "gateway": "crime_and_disorder_act_1998_s115",
        "includes_special_category": "yes",
        "condition": "dpa2018_sch1_preventing_or_detecting_unlawful_acts",
        "consent": "not_sought",
        "consent_note": "Seeking consent would prejudice the prevention of disorder.",
        **changes,
    }


def nfa(preferred: str, **changes: Any) -> dict[str, Any]:
    return {
        "reason": "no_further_action",
        "full_reasons": "Noise assessed as normal living noise.",
        "feedback": preferred,
        "explanation_no_further_action": "Explained it is not a statutory nuisance.",
        "advice_no_further_action": "Keep a diary; mediation offered.",
        **changes,
    }


@dataclass(frozen=True)
class Recorded:
    """A form, the case it is sent on, what is sent, and how the case shows it recorded."""

    form: str
    reference: str
    data: Callable[[Case], dict[str, Any]]
    recorded: Callable[[Case, Case], bool]  # (before, after)
    user: str = "demo-supervisor"


RECORDED = {
    "share": Recorded(
        "shares",
        HIGH_RISK,
        share_data,
        lambda before, after: (
            len(after.shares) == len(before.shares) + 1
            and after.shares[-1].organisation == "demo-homes"
            and after.shares[-1].authorised_by == "demo-supervisor"
        ),
    ),
    "police referral": Recorded(
        "police-referrals",
        TEAM_CASE,
        lambda c: {
            "incident_ids": [str(i) for i in c.incidents],
            "police_reference": "SP-2026-0001234",
            "organisation": "staffordshire-police",
        },
        lambda before, after: len(after.police_referrals) == len(before.police_referrals) + 1,
        user="demo-caseworker",
    ),
    "support referral": Recorded(
        "support-referrals",
        HIGH_RISK,
        lambda c: {
            "person_ref": person(c, PersonRole.VICTIM),
            "service": "victims_gateway",
            "organisation": "victims-gateway",
            "needs": "Emotional support.",
            "consent": "given",
        },
        lambda before, after: len(after.support_referrals) == len(before.support_referrals) + 1,
        user="demo-caseworker",
    ),
    "agency": Recorded(
        "agencies",
        HIGH_RISK,
        lambda c: {"organisation": "demo-homes", "role": "Tenancy enforcement"},
        lambda before, after: (
            "demo-homes" in after.partners and "demo-homes" not in before.partners
        ),
        user="demo-caseworker",
    ),
    "enforcement": Recorded(
        "enforcement-actions",
        HIGH_RISK,
        lambda c: {
            "tool": "warning_letter",
            "subject_ref": person(c, PersonRole.ALLEGED_PERPETRATOR),
            "legislation": "Non-statutory",
            "outcome": "Warning letter hand-delivered.",
        },
        lambda before, after: len(after.enforcement) == len(before.enforcement) + 1,
        user="demo-caseworker",
    ),
    "case review request": Recorded(
        "case-review-requests",
        HIGH_RISK,
        lambda c: {
            "applicant_ref": person(c, PersonRole.COMPLAINANT),
            "received_at": "2026-12-01T09:30",
        },
        lambda before, after: len(after.case_reviews) == len(before.case_reviews) + 1,
        user="demo-caseworker",
    ),
    "closure": Recorded(
        "close",
        TEAM_CASE,
        lambda c: nfa(c.preferred_contact.value),
        lambda before, after: before.closure is None and after.closure is not None,
    ),
    "reopening": Recorded(
        "reopen",
        CLOSED,
        lambda c: {"reason": "A further incident was reported."},
        lambda before, after: after.reopen_count == before.reopen_count + 1 and not after.closed,
        user="demo-caseworker",
    ),
}


@pytest.mark.parametrize("name", RECORDED)
def test_a_form_sent_is_recorded_on_the_case(client: TestClient, name: str) -> None:
    given = RECORDED[name]
    sign_in(client, given.user)
    before = case(client, given.reference)
    sent = send(client, before, given.form, given.data(before))
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"].startswith(f"/app/cases/{before.id}?done=")
    after = case(client, given.reference)
    assert after.version == before.version + 1
    assert given.recorded(before, after)


def test_an_asb_case_review_is_acknowledged_decided_and_concluded_by_its_forms(
    client: TestClient,
) -> None:
    sign_in(client, "demo-caseworker")
    c = case(client, HIGH_RISK)
    request_id = request_review(client, c)
    steps = f"case-review-requests/{request_id}"
    page = client.get(f"/app/cases/{c.id}/{steps}/decision")
    assert 'id="case-review-request"' in page.text  # the request it acts on is shown
    assert "Demo Victim A" in page.text
    for form, data in (
        ("acknowledgement", {"occurred_at": "2026-12-02T10:00"}),
        ("decision", {"decision": "threshold_met", "outcome": "Three incidents in six months."}),
        ("outcome", {"recommendations": "Joint visit; acoustic monitoring."}),
    ):
        sent = send(client, case(client, HIGH_RISK), f"{steps}/{form}", data)
        assert sent.status_code == 303, (form, sent.text)
    review = case(client, HIGH_RISK).case_reviews[request_id]
    assert review.acknowledged_at == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    assert review.decision is CaseReviewDecision.THRESHOLD_MET
    assert review.concluded_at is not None


@dataclass(frozen=True)
class Wrong:
    """A form sent with one thing wrong: where the message is shown, and its rule if any."""

    form: str
    data: Callable[[Case], dict[str, Any]]
    field: str | None  # the field the message is beside (None: the summary only)
    rule: str | None = None
    reference: str = HIGH_RISK
    user: str = "demo-supervisor"


WRONG = {
    "share without a recipient": Wrong(
        "shares",
        lambda c: share_data(c, **{"recipient-organisation": "", "recipient-person": ""}),
        "recipient-organisation",
        "share.recipient_required",
    ),
    "police reference in another format": Wrong(
        "police-referrals",
        lambda c: {
            "incident_ids": [str(i) for i in c.incidents],
            "police_reference": "not a reference",
            "organisation": "staffordshire-police",
        },
        "police_reference",
        "police_referral.reference_format",
        reference=TEAM_CASE,
    ),
    "police referral without incidents": Wrong(
        "police-referrals",
        lambda c: {"police_reference": "SP-2026-0001234", "organisation": "staffordshire-police"},
        "incident_ids",
        "police_referral.incidents_required",
        reference=TEAM_CASE,
    ),
    "share of nothing": Wrong(
        "shares", lambda c: share_data(c, items=[]), "items", "share.items_required"
    ),
    "support without consent or why": Wrong(
        "support-referrals",
        lambda c: {
            "person_ref": person(c, PersonRole.VICTIM),
            "service": "victims_gateway",
            "organisation": "victims-gateway",
            "needs": "Emotional support.",
            "consent": "not_sought",
        },
        "consent_note",
        "support.consent_required",
    ),
    "agency without a role": Wrong("agencies", lambda c: {"organisation": "demo-homes"}, "role"),
    "notice without a warning first": Wrong(
        "enforcement-actions",
        lambda c: {
            "tool": "community_protection_notice",
            "subject_ref": person(c, PersonRole.ALLEGED_PERPETRATOR),
            "legislation": "Anti-social Behaviour, Crime and Policing Act 2014, s.43",
            "outcome": "Notice served.",
        },
        "tool",
        "enforcement.cpn_needs_prior_warning",
    ),
    "case review without an applicant": Wrong(
        "case-review-requests", lambda c: {"received_at": "2026-12-01T09:30"}, "applicant_ref"
    ),
    "reopening an open case": Wrong(
        "reopen", lambda c: {"reason": "Another incident."}, None, "case.not_closed"
    ),
    "reopening without a reason": Wrong("reopen", lambda c: {}, "reason", reference=CLOSED),
}


@pytest.mark.parametrize("name", WRONG)
def test_what_is_wrong_is_shown_beside_its_field_and_nothing_is_recorded(
    client: TestClient, name: str
) -> None:
    given = WRONG[name]
    sign_in(client, given.user)
    before = case(client, given.reference)
    sent = send(client, before, given.form, given.data(before))
    assert sent.status_code == 422, sent.text
    assert "There is a problem" in sent.text
    if given.field is not None:
        assert f'href="#{given.field}"' in sent.text  # the summary links to the field
        assert f'id="{given.field}-error"' in sent.text  # and the message is beside it
    if given.rule is not None:
        assert f"<code>{given.rule}</code>" in sent.text
    assert case(client, given.reference).version == before.version


def test_a_case_review_step_on_no_such_request_is_not_found(client: TestClient) -> None:
    sign_in(client)
    c = case(client, HIGH_RISK)
    steps = f"/app/cases/{c.id}/case-review-requests"
    assert client.get(f"{steps}/nonsense/decision").status_code == 404
    assert client.get(f"{steps}/{UUID(int=7)}/decision").status_code == 404
    token = hidden(client.get(f"/app/cases/{c.id}/shares").text, "csrf_token")
    sent = client.post(
        f"{steps}/{UUID(int=7)}/decision",
        data={"csrf_token": token, "decision": "threshold_met", "outcome": "Met."},
    )
    assert sent.status_code == 404
    assert case(client, HIGH_RISK).version == c.version


def test_a_caseworker_cannot_share_alone_and_is_told_so(client: TestClient) -> None:
    sign_in(client, "demo-caseworker")
    c = case(client, HIGH_RISK)
    page = client.get(f"/app/cases/{c.id}/shares")
    assert 'id="authoriser-required"' in page.text
    assert "A share needs a supervisor's authorisation" in page.text
    sent = send(client, c, "shares", share_data(c))
    assert sent.status_code == 422
    assert "<code>share.authoriser_required</code>" in sent.text
    assert len(case(client, HIGH_RISK).shares) == len(c.shares)
    sign_in(client, "demo-supervisor")
    assert 'id="authoriser-required"' not in client.get(f"/app/cases/{c.id}/shares").text


def test_the_closure_names_every_rule_it_breaks_at_once(client: TestClient) -> None:
    sign_in(client, "demo-caseworker")
    c = case(client, HIGH_RISK)
    sent = send(
        client,
        c,
        "close",
        {"reason": "no_further_action", "full_reasons": "Nothing more can be done."},
    )
    assert sent.status_code == 422
    for rule, field in (
        ("closure.feedback_required", "feedback"),
        ("closure.explanation_and_advice_required", "explanation_no_further_action"),
        ("closure.needs_supervisor", None),
    ):
        assert f"<code>{rule}</code>" in sent.text, rule
        if field is not None:
            assert f'href="#{field}"' in sent.text
            assert f'id="{field}-error"' in sent.text
    assert "Nothing more can be done." in sent.text  # what was typed is kept
    assert case(client, HIGH_RISK).closure is None


def test_feedback_not_by_the_preferred_method_needs_the_reason(client: TestClient) -> None:
    sign_in(client, "demo-supervisor")
    c = case(client, TEAM_CASE)
    assert c.preferred_contact.value == "email"
    page = client.get(f"/app/cases/{c.id}/close")
    assert "by their preferred method (email)" in page.text
    sent = send(client, c, "close", nfa("other", **{"feedback-method": "letter"}))
    assert sent.status_code == 422
    assert "Explain why feedback was not by the preferred method" in sent.text
    assert 'id="feedback-why_not_preferred-error"' in sent.text
    why = {"feedback-method": "letter", "feedback-why_not_preferred": "No email address."}
    assert send(client, c, "close", nfa("other", **why)).status_code == 303
    closure = case(client, TEAM_CASE).closure
    assert closure is not None
    assert closure.feedback.preferred_method_used is False


def test_a_caseworker_closing_a_high_risk_case_is_told_a_supervisor_must(
    client: TestClient,
) -> None:
    sign_in(client, "demo-caseworker")
    c = case(client, HIGH_RISK)
    page = client.get(f"/app/cases/{c.id}/close")
    assert "A supervisor must close a case that is high risk" in page.text
    sent = send(client, c, "close", nfa(c.preferred_contact.value))
    assert sent.status_code == 422
    assert re.findall(r"<code>([^<]+)</code>", sent.text) == ["closure.needs_supervisor"]
    assert "A supervisor must close this case" in sent.text
    assert "the case is high risk" in sent.text  # the ledger's reasons, beneath
    assert case(client, HIGH_RISK).closure is None


def test_no_further_action_without_the_explanation_is_refused(client: TestClient) -> None:
    sign_in(client, "demo-supervisor")
    c = case(client, TEAM_CASE)
    sent = send(
        client,
        c,
        "close",
        nfa(c.preferred_contact.value, explanation_no_further_action=""),
    )
    assert sent.status_code == 422
    assert re.findall(r"<code>([^<]+)</code>", sent.text) == [
        "closure.explanation_and_advice_required"
    ]
    assert 'id="explanation_no_further_action-error"' in sent.text
    assert "Keep a diary; mediation offered." in sent.text  # the advice typed is kept
    assert case(client, TEAM_CASE).closure is None


def test_a_stale_closure_is_refused_with_the_case_as_it_is_now(client: TestClient) -> None:
    sign_in(client, "demo-supervisor")
    c = case(client, TEAM_CASE)
    path = f"/app/cases/{c.id}/close"
    stale = draw(client, path)
    joined = send(client, c, "agencies", {"organisation": "staffordshire-police", "role": "PCSO"})
    assert joined.status_code == 303
    now = case(client, TEAM_CASE)
    assert now.version > c.version
    sent = client.post(path, data={**stale, **nfa(c.preferred_contact.value)})
    assert sent.status_code == 412
    assert "Someone else changed this case while you had this form open" in sent.text
    assert 'id="current-state"' in sent.text
    assert hidden(sent.text, "version") == str(now.version)
    assert "Explained it is not a statutory nuisance." in sent.text
    assert case(client, TEAM_CASE).closure is None


def test_a_partner_cannot_use_the_staff_forms(client: TestClient) -> None:
    sign_in(client, "demo-housing-officer")
    c = case(client, TEAM_CASE)  # shared with their organisation
    for form in ("shares", "close", "police-referrals"):
        assert client.get(f"/app/cases/{c.id}/{form}").status_code == 403
