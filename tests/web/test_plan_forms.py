"""The forms for a case's people, risk, timescales, actions, contacts, reviews and assignment:
each recorded on the case through the API's own command path; a field's fault shown beside
it and in the summary, with nothing recorded; a broken rule beside the field it concerns;
a stale form refused with the case as it is now; and a role that may not use a form refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import ActionStatus, Agency, PersonRole, ReviewOutcome, RiskLevel
from ledger.risk import ASB_VRA_V1
from tests.web.test_case_forms import hidden
from tests.web.test_frame import page_client, sign_in


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from page_client(ApiSettings(data_dir=tmp_path), demo=True)


def ledger_of(client: TestClient) -> CaseLedger:
    ledger: CaseLedger = client.app.state.ledger  # type: ignore[attr-defined]
    return ledger


def a_case(client: TestClient, where: Callable[[Case], bool] = lambda c: True) -> Case:
    """An open demo case of the team asb-north (the demo caseworker's and supervisor's)."""
    ledger = ledger_of(client)
    cases = [ledger.get_case(UUID(str(i))) for i in ledger.case_ids()]
    return next(c for c in cases if c.team == "asb-north" and not c.closed and where(c))


def now(client: TestClient, case: Case) -> Case:
    return ledger_of(client).get_case(case.id)


def draw(client: TestClient, case: Case, path: str) -> dict[str, str]:
    """The form drawn for ``case``: its hidden fields (CSRF, version, idempotency key)."""
    form = client.get(f"/app/cases/{case.id}/{path}")
    assert form.status_code == 200, form.text
    assert hidden(form.text, "version") == str(case.version)
    return {name: hidden(form.text, name) for name in ("csrf_token", "version", "idempotency_key")}


def send(client: TestClient, case: Case, path: str, **fields: Any) -> Any:
    return client.post(
        f"/app/cases/{case.id}/{path}",
        data={**draw(client, case, path), **fields},
        follow_redirects=False,
    )


def recorded(answer: Any, case: Case, done: str) -> None:
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert re.fullmatch(rf"/app/cases/{case.id}\?done={done}&min_position=\d+", location)


def beside(answer: Any, field: str, words: str, status: int = 422) -> None:
    """The fault is in the summary, linked to the field, and beside the field."""
    assert answer.status_code == status, answer.text
    assert "There is a problem" in answer.text
    assert f'<a href="#{field}">{words}</a>' in answer.text
    assert f'id="{field}-error"' in answer.text
    assert f"Error:</span> {words}" in answer.text


def iso(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


# ------------------------------------------------------------------------- people


def test_a_new_person_is_linked_in_their_role(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client)
    answer = send(
        client,
        case,
        "people",
        role="witness",
        person_ref="",
        **{"details-name": "Demo Witness Zed", "details-address": "9 Example Row"},
        vulnerabilities=["isolation"],
        self_declared_repeat_victim="no",
    )
    recorded(answer, case, "PersonLinked")
    added = set(now(client, case).persons) - set(case.persons)
    assert len(added) == 1
    person = now(client, case).persons[added.pop()]
    assert person.roles == {PersonRole.WITNESS}
    assert {v.value for v in person.vulnerabilities} == {"isolation"}


def test_a_person_with_no_role_is_refused_beside_the_role(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client)
    answer = send(client, case, "people", person_ref="", **{"details-name": "Demo Witness Zed"})
    beside(answer, "role", "Select the person&#39;s role on the case")
    assert 'value="Demo Witness Zed"' in answer.text  # what was typed is kept
    assert now(client, case).persons == case.persons


def test_someone_new_needs_a_name(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client)
    answer = send(client, case, "people", role="witness", person_ref="")
    beside(answer, "details-name", "Enter the person&#39;s full name")
    assert now(client, case).version == case.version


def test_a_possible_duplicate_is_shown_and_the_person_known_is_linked(
    client: TestClient,
) -> None:
    sign_in(client)
    first = a_case(client, lambda c: bool(c.actions) and c.timescales is not None)
    victim = first.complainant_ref
    other = a_case(client, lambda c: c.id != first.id and victim not in c.persons)
    typed = {
        "role": "witness",
        "person_ref": "",
        "details-name": "Demo Victim A",
        "details-contact": "07700 900001",
    }
    refused = send(client, other, "people", **typed)
    beside(refused, "person_ref", "This person may already be on the register", status=409)
    assert "person.possible_duplicate" in refused.text
    assert f'value="{victim}"' in refused.text  # offered as a choice
    assert "Demo Victim A, matched on" in refused.text  # named: the caller sees their case
    assert first.reference in refused.text
    assert 'name="confirm_new_person"' in refused.text
    assert now(client, other).version == other.version
    chosen = client.post(
        f"/app/cases/{other.id}/people",
        data={
            **typed,
            "person_ref": str(victim),
            "csrf_token": hidden(refused.text, "csrf_token"),
            "version": hidden(refused.text, "version"),
            "idempotency_key": hidden(refused.text, "idempotency_key"),
        },
        follow_redirects=False,
    )
    recorded(chosen, other, "PersonLinked")
    assert now(client, other).persons[victim].roles == {PersonRole.WITNESS}


def test_someone_new_despite_a_match_is_confirmed(client: TestClient) -> None:
    sign_in(client)
    first = a_case(client, lambda c: bool(c.actions) and c.timescales is not None)
    other = a_case(client, lambda c: c.id != first.id and first.complainant_ref not in c.persons)
    answer = send(
        client,
        other,
        "people",
        role="witness",
        person_ref="",
        confirm_new_person="yes",
        **{"details-name": "Demo Victim A", "details-contact": "07700 900001"},
    )
    recorded(answer, other, "PersonLinked")
    added = set(now(client, other).persons) - set(other.persons)
    assert len(added) == 1
    assert first.complainant_ref not in added


# --------------------------------------------------------------------------- risk


def answers(**given: str) -> dict[str, str]:
    every = {f"answers-{q.key}": "0" for q in ASB_VRA_V1.questions}
    every["answers-q11_support"] = "2"
    return {**every, **{f"answers-{k}": v for k, v in given.items()}}


def test_the_form_asks_every_question_of_the_instrument_in_a_fieldset(
    client: TestClient,
) -> None:
    sign_in(client)
    form = client.get(f"/app/cases/{a_case(client).id}/risk-assessments")
    for q in ASB_VRA_V1.questions:
        assert f"{q.text}</legend>" in form.text.replace("&#39;", "'")
        for score in ("0", "1", "2"):
            assert f'name="answers-{q.key}" type="radio" value="{score}"' in form.text


def test_a_risk_assessment_is_scored_and_an_override_kept_with_its_rationale(
    client: TestClient,
) -> None:
    sign_in(client)
    case = a_case(client)
    answer = send(
        client,
        case,
        "risk-assessments",
        instrument="asb-vra",
        instrument_version="1",
        **answers(q1_happened_before="2", q4_violence="2"),
        override_level="high",
        override_rationale="Threats have escalated since the call.",
    )
    recorded(answer, case, "RiskAssessed")
    latest = now(client, case).assessments[-1]
    assert latest.score == 4
    assert latest.computed_level is RiskLevel.MEDIUM  # a yes to violence: at least medium
    assert latest.level is RiskLevel.HIGH
    assert latest.overridden


def test_an_unanswered_question_is_named_beside_it(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client)
    given = answers()
    del given["answers-q3_identity"]
    answer = send(
        client, case, "risk-assessments", instrument="asb-vra", instrument_version="1", **given
    )
    question = ASB_VRA_V1.questions[2].text
    beside(answer, "answers-q3_identity", f"Select an answer to: {question}")
    assert 'name="answers-q1_happened_before" type="radio" value="0" checked' in answer.text
    assert len(now(client, case).assessments) == len(case.assessments)


def test_an_override_without_a_rationale_is_refused_beside_the_rationale(
    client: TestClient,
) -> None:
    sign_in(client)
    case = a_case(client)
    answer = send(
        client,
        case,
        "risk-assessments",
        instrument="asb-vra",
        instrument_version="1",
        **answers(),
        override_level="high",
    )
    beside(answer, "override_rationale", "Explain why the risk level differs from the score")
    assert "risk.override_needs_rationale" in answer.text
    assert len(now(client, case).assessments) == len(case.assessments)


# --------------------------------------------------------------------- timescales


def test_timescales_are_agreed_with_a_registered_partner(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client)
    form = client.get(f"/app/cases/{case.id}/timescales")
    assert "Staffordshire Police" in form.text  # the protocol's signatories are offered
    answer = send(
        client,
        case,
        "timescales",
        first_contact_due=iso(2),
        next_review_due=iso(20),
        target_resolution=iso(60),
        organisations=["staffordshire-police"],
        agreed_with=["housing_provider"],
    )
    recorded(answer, case, "TimescalesAgreed")
    agreed = now(client, case).timescales
    assert agreed is not None
    assert agreed.target_resolution == date.today() + timedelta(days=60)
    assert agreed.organisations == ("staffordshire-police",)
    assert set(agreed.agreed_with) == {Agency.HOUSING_PROVIDER, Agency.POLICE}


def test_a_date_that_is_not_a_date_is_named_beside_it(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client)
    answer = send(
        client,
        case,
        "timescales",
        first_contact_due="2026-02-30",
        next_review_due=iso(20),
        target_resolution=iso(60),
    )
    beside(answer, "first_contact_due", "Enter the date first contact is due, as a real date")
    assert now(client, case).timescales == case.timescales


def test_timescales_out_of_order_are_refused_beside_the_target(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client)
    answer = send(
        client,
        case,
        "timescales",
        first_contact_due=iso(2),
        next_review_due=iso(90),
        target_resolution=iso(60),
    )
    beside(answer, "target_resolution", "The timescales are in the wrong order")
    assert now(client, case).version == case.version


def test_a_stale_timescales_form_is_refused_with_the_case_as_it_is_now(
    client: TestClient,
) -> None:
    sign_in(client)
    case = a_case(client)
    stale = draw(client, case, "timescales")
    dates = {"first_contact_due": iso(1), "next_review_due": iso(10)}
    first = send(client, case, "timescales", **dates, target_resolution=iso(30))
    recorded(first, case, "TimescalesAgreed")
    answer = client.post(
        f"/app/cases/{case.id}/timescales",
        data={**stale, **dates, "target_resolution": iso(45)},
    )
    assert answer.status_code == 412
    assert "Someone else changed this case while you had this form open" in answer.text
    assert 'id="current-state"' in answer.text
    assert f"The case is at version {case.version + 1}" in answer.text
    assert hidden(answer.text, "version") == str(case.version + 1)
    assert f'value="{iso(45)}"' in answer.text  # the answers are kept to send again
    agreed = now(client, case).timescales
    assert agreed is not None
    assert agreed.target_resolution.isoformat() == iso(30)


# ------------------------------------------------------------------------ actions


def plan(**changes: str) -> dict[str, str]:
    return {
        "description": "Visit the alleged perpetrator with a warning.",
        "owner_agency": "council",
        "owner_officer": "demo-caseworker",
        "due": iso(14),
        **changes,
    }


def test_an_action_is_planned(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client)
    answer = send(client, case, "actions", **plan())
    recorded(answer, case, "ActionPlanned")
    added = set(now(client, case).actions) - set(case.actions)
    assert len(added) == 1
    action = now(client, case).actions[added.pop()]
    assert action.owner_agency is Agency.COUNCIL
    assert action.owner_officer == "demo-caseworker"
    assert action.due == date.today() + timedelta(days=14)
    assert action.status is ActionStatus.OPEN


def test_an_action_without_a_due_date_is_refused_beside_the_date(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client)
    answer = send(client, case, "actions", **plan(due=""))
    beside(answer, "due", "Enter the date the action is due, as a real date")
    assert "Visit the alleged perpetrator with a warning." in answer.text
    assert now(client, case).actions.keys() == case.actions.keys()


def test_a_stale_action_form_is_refused_with_the_case_as_it_is_now(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client)
    stale = draw(client, case, "actions")
    recorded(send(client, case, "actions", **plan()), case, "ActionPlanned")
    answer = client.post(
        f"/app/cases/{case.id}/actions",
        data={**stale, **plan(description="A second, stale action.")},
    )
    assert answer.status_code == 412
    assert "Someone else changed this case while you had this form open" in answer.text
    assert 'id="current-state"' in answer.text
    assert hidden(answer.text, "version") == str(case.version + 1)
    assert "A second, stale action." in answer.text
    assert len(now(client, case).actions) == len(case.actions) + 1


def an_open_action(case: Case) -> str:
    return next(a for a, x in case.actions.items() if x.status is ActionStatus.OPEN)


def test_an_action_is_completed_with_its_outcome(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client)
    recorded(send(client, case, "actions", **plan(due=iso(3))), case, "ActionPlanned")
    action_id = (set(now(client, case).actions) - set(case.actions)).pop()
    case = now(client, case)
    form = client.get(f"/app/cases/{case.id}/actions/{action_id}/complete")
    assert "Visit the alleged perpetrator with a warning.</dd>" in form.text  # as planned
    answer = send(
        client, case, f"actions/{action_id}/complete", outcome="Warning delivered in person."
    )
    recorded(answer, case, "ActionCompleted")
    assert now(client, case).actions[action_id].status is ActionStatus.COMPLETED


def test_an_action_is_cancelled_with_the_reason(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client, lambda c: bool(c.actions))
    action_id = an_open_action(case)
    answer = send(client, case, f"actions/{action_id}/cancel", outcome="No longer needed.")
    recorded(answer, case, "ActionCancelled")
    assert now(client, case).actions[action_id].status is ActionStatus.CANCELLED


def test_an_outcome_is_needed_beside_its_field(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client, lambda c: bool(c.actions))
    action_id = an_open_action(case)
    answer = send(client, case, f"actions/{action_id}/complete", outcome="")
    beside(answer, "outcome", "Enter the outcome of the action")
    assert now(client, case).actions[action_id].status is ActionStatus.OPEN


def test_an_action_finished_already_is_refused_in_plain_words(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client, lambda c: bool(c.actions))
    action_id = an_open_action(case)
    recorded(
        send(client, case, f"actions/{action_id}/cancel", outcome="Not needed."),
        case,
        "ActionCancelled",
    )
    case = now(client, case)
    answer = send(client, case, f"actions/{action_id}/complete", outcome="Done after all.")
    beside(answer, "outcome", "That action is already completed or cancelled")
    assert "action.not_open" in answer.text
    assert now(client, case).version == case.version


@pytest.mark.parametrize("action_id", ["no-such-action", "not%20an%20id"])
@pytest.mark.parametrize("verb", ["complete", "cancel"])
def test_an_action_not_on_the_case_has_no_form(
    client: TestClient, action_id: str, verb: str
) -> None:
    sign_in(client)
    case = a_case(client)
    assert client.get(f"/app/cases/{case.id}/actions/{action_id}/{verb}").status_code == 404


# ----------------------------------------------------------------------- contacts


def test_a_contact_is_recorded_with_a_person_on_the_case(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client)
    person = case.complainant_ref
    answer = send(
        client,
        case,
        "contacts",
        person_ref=str(person),
        direction="outbound",
        method="phone",
        outcome="reached",
        summary="Discussed the diary sheets.",
        occurred_at=(datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
    )
    recorded(answer, case, "ContactRecorded")
    contacts = now(client, case).contacts
    assert len(contacts) == len(case.contacts) + 1
    assert contacts[-1].person_ref == person
    assert contacts[-1].outcome.value == "reached"


def test_a_contact_with_no_one_chosen_is_refused_beside_the_person(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client)
    answer = send(
        client,
        case,
        "contacts",
        direction="outbound",
        method="phone",
        outcome="no_answer",
        summary="Rang twice.",
    )
    beside(answer, "person_ref", "Select who the contact was with")
    assert len(now(client, case).contacts) == len(case.contacts)


# ------------------------------------------------------------------------ reviews


def test_a_review_is_recorded_with_the_next_due(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client)
    answer = send(
        client,
        case,
        "reviews",
        outcome="continue",
        notes="Incidents reducing; keep the plan.",
        next_review_due=iso(28),
    )
    recorded(answer, case, "CaseReviewed")
    review = now(client, case).reviews[-1]
    assert review.outcome is ReviewOutcome.CONTINUE
    assert review.next_review_due == date.today() + timedelta(days=28)


def test_a_review_without_an_outcome_is_refused_beside_it(client: TestClient) -> None:
    sign_in(client)
    case = a_case(client)
    answer = send(client, case, "reviews", notes="Notes.", next_review_due=iso(28))
    beside(answer, "outcome", "Select the outcome of the review")
    assert len(now(client, case).reviews) == len(case.reviews)


# ------------------------------------------------------------------------- assign


def test_a_supervisor_assigns_the_case(client: TestClient) -> None:
    sign_in(client, "demo-supervisor")
    case = a_case(client)
    form = client.get(f"/app/cases/{case.id}/assign")
    assert f'value="{case.team}"' in form.text  # drawn with the assignment as it is
    answer = send(client, case, "assign", team="asb-north", officer="demo-caseworker-3")
    recorded(answer, case, "CaseAssigned")
    assert now(client, case).officer == "demo-caseworker-3"


def test_a_team_that_is_no_identifier_is_refused_beside_it(client: TestClient) -> None:
    sign_in(client, "demo-supervisor")
    case = a_case(client)
    answer = send(client, case, "assign", team="Team North!", officer="")
    beside(answer, "team", "Enter the team as its identifier, for example asb-north")
    assert now(client, case).team == case.team


def test_an_unchanged_assignment_is_refused_beside_the_team(client: TestClient) -> None:
    sign_in(client, "demo-supervisor")
    case = a_case(client)
    answer = send(client, case, "assign", team=case.team, officer=case.officer or "")
    beside(answer, "team", "The case is already assigned that way")
    assert now(client, case).version == case.version


def test_a_stale_assignment_is_refused_with_the_case_as_it_is_now(client: TestClient) -> None:
    sign_in(client, "demo-supervisor")
    case = a_case(client)
    stale = draw(client, case, "assign")
    recorded(send(client, case, "assign", team="asb-north", officer="cw-8"), case, "CaseAssigned")
    answer = client.post(
        f"/app/cases/{case.id}/assign", data={**stale, "team": "asb-south", "officer": ""}
    )
    assert answer.status_code == 412
    assert 'id="current-state"' in answer.text
    assert "officer cw-8" in answer.text  # the assignment as it is now
    assert now(client, case).team == "asb-north"


# -------------------------------------------------------------------------- roles


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("demo-caseworker", "assign"),  # supervisors only (Action.ASSIGN)
        ("demo-police-officer", "actions"),  # staff only (Action.COMMAND)
        ("demo-police-officer", "risk-assessments"),
        ("demo-auditor", "contacts"),  # staff and partners (Action.CONTRIBUTE)
    ],
)
def test_a_role_that_may_not_use_a_form_is_refused_with_a_page(
    client: TestClient, user: str, path: str
) -> None:
    sign_in(client, user)
    case = a_case(client)
    before = case.version
    shown = client.get(f"/app/cases/{case.id}/{path}")
    assert shown.status_code == 403
    assert "<h1" in shown.text
    assert 'name="idempotency_key"' not in shown.text
    token = hidden(shown.text, "csrf_token")  # the page's sign-out form's: a valid one
    sent = client.post(
        f"/app/cases/{case.id}/{path}", data={"csrf_token": token}, follow_redirects=False
    )
    assert sent.status_code == 403
    assert now(client, case).version == before


def test_a_partners_contact_form_offers_only_the_people_shared_with_them(
    client: TestClient,
) -> None:
    sign_in(client, "demo-police-officer")
    case = a_case(client, lambda c: any(s.organisation == "staffordshire-police" for s in c.shares))
    form = client.get(f"/app/cases/{case.id}/contacts")
    assert form.status_code == 200
    assert "No one on this case is shown to you" in form.text  # no person was shared
