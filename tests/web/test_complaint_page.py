"""The new complaint page without a browser (issue 14, "A new complaint"): a complaint sent
opens the case as ``POST /cases`` would, with the complainant linked as a victim when they
are one; what is missing is shown beside its field and in the summary; a complainant the
register already holds is warned of, with the candidates as the caller may see them, and
linked (no second record) or confirmed as someone new; the cases at the same address are
shown; the live checks are recorded as the API's searches are."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from api.web.intake import CATEGORIES, CHANNELS, CONTACT_METHODS, DEPARTMENTS, VULNERABILITIES
from ledger.enums import (
    AccessOutcome,
    Category,
    Channel,
    ContactMethod,
    Department,
    PersonRole,
    Vulnerability,
)
from tests.api.conftest import complaint as api_complaint
from tests.web.complaints import (
    CATHY,
    bearer,
    complaint,
    drawn,
    last_position,
    ledger_of,
    opened,
    recorded,
    send,
    text_of,
)
from tests.web.test_frame import page_client, sign_in


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from page_client(ApiSettings(data_dir=tmp_path), user="demo-caseworker")


def topics(client: TestClient, stored_as: str) -> int:
    """How many events of one stored type the ledger holds."""
    ledger = ledger_of(client)
    return sum(
        1 for n in ledger.recorder.select_notifications(1, 10_000) if n.topic.startswith(stored_as)
    )


def test_a_complaint_sent_opens_the_case_with_what_was_entered(client: TestClient) -> None:
    form = complaint(
        victim="yes",
        vulnerabilities=["disability", "living_alone"],
        vulnerability_note="Uses a wheelchair.",
    )
    sent = send(client, form)
    case_id = opened(sent)
    ledger = ledger_of(client)
    # the case page waits, briefly, for its views to reach the victim's link
    assert sent.headers["location"].endswith(f"&min_position={last_position(ledger, case_id)}")
    landed = client.get(sent.headers["location"])
    assert "Recorded: the case was opened" in text_of(landed.text)
    case = ledger.get_case(case_id)
    assert (case.channel, case.category, case.lead_department) == (
        Channel.PHONE,
        Category.PERSONAL,
        Department.COMMUNITY_SAFETY,
    )
    assert (case.ward, case.preferred_contact) == ("Forebridge", ContactMethod.PHONE)
    assert (case.team, case.officer, case.opened_by.user_id) == (
        "asb-north",
        "demo-caseworker",
        "demo-caseworker",
    )
    assert case.place is not None
    assert case.place.startswith("addr:")
    complainant = case.persons[case.complainant_ref]
    assert complainant.roles == {PersonRole.COMPLAINANT, PersonRole.VICTIM}
    assert complainant.vulnerabilities == {Vulnerability.DISABILITY, Vulnerability.LIVING_ALONE}
    record = ledger.people.get(case.complainant_ref)
    assert record is not None
    assert ledger.people.details(record) == {
        "name": "Cathy Complainant",
        "contact": "07700 900123",
        "address": "Flat 2, 10 Example Road, Stafford ST16 2AB",  # entered once, as the place
        "date_of_birth": "1961-04-12",
    }
    view = client.get(f"/cases/{case_id}", headers=bearer(client, "cw-9", "asb-north")).json()
    assert view["description"] == "Loud music most nights after midnight."
    assert view["location"] == "Flat 2, 10 Example Road, Stafford ST16 2AB"
    assert topics(client, "asb.case.CaseOpened") == 1
    assert topics(client, "asb.case.PersonLinked") == 1


def test_a_form_sent_twice_opens_one_case_and_links_the_victim_once(client: TestClient) -> None:
    form = {**drawn(client, "/app/complaints/new"), **complaint(victim="yes")}
    first = client.post("/app/complaints/new", data=form, follow_redirects=False)
    again = client.post("/app/complaints/new", data=form, follow_redirects=False)
    assert opened(first) == opened(again)
    assert topics(client, "asb.case.CaseOpened") == 1
    assert topics(client, "asb.case.PersonLinked") == 1


def test_what_is_missing_is_shown_beside_its_field_and_in_the_summary(
    client: TestClient,
) -> None:
    form = complaint(
        channel=None,
        description="   ",
        lead_department=None,
        victim=None,
        complainant__name="",
        complainant__date_of_birth__day="31",
        complainant__date_of_birth__month="2",
    )
    answer = send(client, form)
    assert answer.status_code == 422
    assert answer.text.count('class="govuk-error-summary"') == 1
    summary = re.findall(r'<li><a href="#([\w-]+)">([^<]+)</a>', answer.text)
    assert summary == [
        ("channel", "Select how the complaint was received"),
        ("description", "Enter what is happening"),
        ("lead_department", "Select the department that will lead"),
        ("complainant-name", "Enter the complainant&#39;s name"),
        ("complainant-date_of_birth", "Date of birth must be a real date"),
        ("victim", "Select yes if the complainant is also a victim"),
    ]
    for field, _ in summary:
        assert f'id="{field}-error"' in answer.text, field
        assert re.search(rf'aria-describedby="[^"]*{field}-error', answer.text), field
    assert re.search(
        r'id="complainant-date_of_birth" name="complainant-date_of_birth-day"', answer.text
    )
    # What was entered is kept, and nothing was recorded.
    assert 'value="07700 900123"' in answer.text
    assert 'value="31"' in answer.text
    assert topics(client, "asb.case.CaseOpened") == 0
    assert answer.text.startswith("<!DOCTYPE html>")
    assert "<title>Error: New complaint" in answer.text


def test_a_team_not_the_openers_own_is_refused_beside_its_field(client: TestClient) -> None:
    answer = send(client, complaint(team="asb-south"))
    assert answer.status_code == 422
    assert '<a href="#team">' in answer.text
    assert "Choose one of your own teams" in answer.text
    assert topics(client, "asb.case.CaseOpened") == 0


def test_a_known_complainant_is_warned_of_and_linked_without_a_second_record(
    client: TestClient,
) -> None:
    first = ledger_of(client).get_case(opened(send(client, complaint())))
    cathy = first.complainant_ref
    # The same person as another officer might type her: case, spacing, phone format.
    again = complaint(
        complainant__name="cathy  COMPLAINANT",
        complainant__contact="+44 7700 900123",
        same_address=None,
        description="Shouting in the stairwell.",
    )
    fields = drawn(client, "/app/complaints/new")
    warned = client.post("/app/complaints/new", data={**fields, **again})
    assert warned.status_code == 409
    words = text_of(warned.text)
    assert "This person may already be known" in words
    assert "Link to Cathy Complainant" in words
    assert f"On {first.reference} (complainant, open)" in words
    assert "A strong match on" in words
    assert '<a href="#match">This person may already be on the register</a>' in warned.text
    assert 'id="match-error"' in warned.text
    assert f'name="match" type="radio" value="{cathy}"' in warned.text
    assert 'value="Shouting in the stairwell."' not in warned.text  # a textarea keeps it:
    assert ">Shouting in the stairwell.</textarea>" in warned.text
    (told,) = recorded(client, "people.possible_duplicate")
    assert list(told.subjects) == [cathy]
    assert topics(client, "asb.person.PersonRegistered") == 1

    # Linking her: her reference fills the form; nothing is typed again.
    linked = client.post(
        "/app/complaints/new",
        data={**fields, **again, "match": str(cathy)},
        follow_redirects=False,
    )
    second = ledger_of(client).get_case(opened(linked))
    assert second.complainant_ref == cathy
    assert topics(client, "asb.person.PersonRegistered") == 1  # no second person


def test_a_different_person_with_matching_details_is_confirmed_new(client: TestClient) -> None:
    first = ledger_of(client).get_case(opened(send(client, complaint())))
    assert send(client, complaint()).status_code == 409
    made = ledger_of(client).get_case(opened(send(client, complaint(match="new"))))
    assert made.complainant_ref != first.complainant_ref
    assert topics(client, "asb.person.PersonRegistered") == 2


def test_the_person_of_another_teams_case_is_warned_of_without_their_name(
    client: TestClient,
) -> None:
    south = bearer(client, "cw-south", "asb-south")
    body = api_complaint(complainant={"name": "Cathy Complainant", "contact": "07700 900123"})
    assert client.post("/cases", json=body, headers=south).status_code == 201
    warned = send(client, complaint())
    assert warned.status_code == 409
    words = text_of(warned.text)
    assert "Link to the person on a case you cannot see" in words
    assert "1 case you cannot see" in words
    assert "Link to Cathy" not in words


def test_a_choice_made_is_kept_when_the_form_comes_back_for_something_else(
    client: TestClient,
) -> None:
    cathy = ledger_of(client).get_case(opened(send(client, complaint()))).complainant_ref
    answer = send(client, complaint(match=str(cathy), preferred_contact=None))
    assert answer.status_code == 422
    assert re.search(rf'value="{cathy}"[^>]*checked', answer.text)
    assert [list(a.subjects) for a in recorded(client, "people.search")] == [[cathy]]


def test_the_cases_at_the_same_address_are_shown(client: TestClient) -> None:
    first = ledger_of(client).get_case(opened(send(client, complaint())))
    # Another complaint about the same flat, by someone else, sent without a channel.
    other = complaint(
        channel=None,
        location="FLAT 2, 10 EXAMPLE ROAD, STAFFORD, ST16 2AB",
        complainant__name="Dev Neighbour",
        complainant__contact="",
        complainant__date_of_birth__day="",
        complainant__date_of_birth__month="",
        complainant__date_of_birth__year="",
    )
    answer = send(client, other)
    assert answer.status_code == 422
    words = text_of(answer.text)
    assert f"Other cases at this address {first.reference} (open)" in words
    assert f'href="/app/cases/{first.id}"' in answer.text
    assert len(recorded(client, "places.search")) == 1


def test_the_live_checks_answer_fragments_and_are_recorded(client: TestClient) -> None:
    cathy = ledger_of(client).get_case(opened(send(client, complaint()))).complainant_ref
    token = drawn(client, "/app/complaints/new")["csrf_token"]
    people = client.post(
        "/app/people/matches",
        data={"complainant-name": "Cathy Complainant", "complainant-contact": "07700 900123"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert people.status_code == 200
    assert "<html" not in people.text
    assert "Link to Cathy Complainant" in text_of(people.text)
    (search,) = recorded(client, "people.search")
    assert (list(search.subjects), search.outcome) == ([cathy], AccessOutcome.GRANTED)
    # Too little to search by: nothing is searched, nothing recorded.
    blank = client.post(
        "/app/people/matches", data={"complainant-contact": ""}, headers={"X-CSRF-Token": token}
    )
    assert blank.status_code == 200
    assert blank.text.strip() == ""
    places = client.post(
        "/app/places/matches",
        data={"location": "Flat 2, 10 Example Road, Stafford ST16 2AB"},
        headers={"X-CSRF-Token": token},
    )
    assert "Other cases at this address" in text_of(places.text)
    assert len(recorded(client, "people.search")) == 1
    assert len(recorded(client, "places.search")) == 1
    refused = client.post("/app/people/matches", data={"complainant-name": "Cathy Complainant"})
    assert refused.status_code == 403  # no CSRF token


def test_only_staff_may_take_a_complaint(client: TestClient) -> None:
    client.post("/app/sign-out", data={"csrf_token": drawn(client, "/app/people")["csrf_token"]})
    sign_in(client, "demo-auditor")
    answer = client.get("/app/complaints/new")
    assert answer.status_code == 403
    assert "You cannot see or do this" in answer.text
    assert CATHY["complainant-name"] not in answer.text


def test_the_form_offers_every_value_the_api_takes() -> None:
    assert set(CHANNELS) == set(Channel)
    assert {c for c, _, _ in CATEGORIES} == {c.value for c in Category}
    assert set(DEPARTMENTS) == set(Department)
    assert set(CONTACT_METHODS) == set(ContactMethod)
    assert set(VULNERABILITIES) == set(Vulnerability)
