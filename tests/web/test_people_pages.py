"""The people pages without a browser (issue 14, "A person"): the search is a form sent as
a body, paged, and recorded as ``POST /people/search`` records it; a person's page shows
their cases and roles, their cumulative harm across cases and, to those entitled, who they
are; merged records are noted; every read is recorded before the page is sent, as the API
records it, and a caseworker sees no more of a person only on another team's case than
the API would show them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from ledger.enums import AccessOutcome, Role
from tests.api.conftest import complaint as api_complaint
from tests.web.complaints import (
    bearer,
    complaint,
    drawn,
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


def search(client: TestClient, **fields: str) -> tuple[int, str]:
    token = drawn(client, "/app/people")["csrf_token"]
    data = {name.replace("__", "-"): value for name, value in fields.items()}
    answer = client.post("/app/people", data={"csrf_token": token, **data})
    return answer.status_code, answer.text


def open_for(client: TestClient, team: str, name: str, contact: str) -> UUID:
    """A case opened through the API by a caseworker of ``team``; its complainant."""
    body = api_complaint(complainant={"name": name, "contact": contact}, confirm_new_person=True)
    made = client.post("/cases", json=body, headers=bearer(client, f"cw-{team}", team))
    assert made.status_code == 201, made.text
    return UUID(made.json()["created"]["complainant_ref"])


def test_the_search_finds_a_person_with_their_cases_and_is_recorded(client: TestClient) -> None:
    case = ledger_of(client).get_case(opened(send(client, complaint())))
    status, html = search(client, name="CATHY complainant")
    assert status == 200
    words = text_of(html)
    assert "1 person found" in words
    assert f'href="/app/people/{case.complainant_ref}">Cathy Complainant</a>' in html
    assert f'href="/app/cases/{case.id}">{case.reference}</a>' in html
    assert "Full name and a surname that sounds the same" in words
    (searched,) = recorded(client, "people.search")
    assert list(searched.subjects) == [case.complainant_ref]
    assert searched.case_id is None


def test_a_search_with_nothing_to_search_by_is_refused_beside_the_fields(
    client: TestClient,
) -> None:
    status, html = search(client, name="  ", date_of_birth__day="3")
    assert status == 422
    assert '<a href="#date_of_birth">' in html
    status, html = search(client)
    assert status == 422
    assert '<a href="#name">Enter a name, contact details, an address or a date of birth' in html
    assert recorded(client, "people.search") == []


def test_a_search_is_a_form_with_its_csrf_token_never_a_query_string(
    client: TestClient,
) -> None:
    refused = client.post("/app/people", data={"name": "Cathy Complainant"})
    assert refused.status_code == 403
    plain = client.get("/app/people", params={"name": "Cathy Complainant"})
    assert "Cathy Complainant" not in plain.text  # a query string is not searched
    assert recorded(client, "people.search") == []


def test_the_results_are_paged(client: TestClient) -> None:
    for n in range(12):
        open_for(client, "asb-north", "Sam Jones", f"07700 9001{n:02d}")
    status, html = search(client, name="Sam Jones")
    assert status == 200
    assert "12 people found" in text_of(html)
    assert "1 to 10 of 12" in text_of(html)
    assert html.count('href="/app/people/') == 10
    assert 'name="page" value="2"' in html
    assert "Previous page" not in html
    token = drawn(client, "/app/people")["csrf_token"]
    second = client.post(
        "/app/people", data={"csrf_token": token, "name": "Sam Jones", "page": "2"}
    )
    assert "11 to 12 of 12" in text_of(second.text)
    assert second.text.count('href="/app/people/') == 2
    assert 'name="page" value="1"' in second.text
    assert "Next page" not in second.text
    assert len(recorded(client, "people.search")) == 2  # each page is a search


def test_a_persons_page_shows_their_cases_roles_and_risk_and_is_recorded(
    client: TestClient,
) -> None:
    case = ledger_of(client).get_case(opened(send(client, complaint(victim="yes"))))
    ref = case.complainant_ref
    answer = client.get(f"/app/people/{ref}")
    assert answer.status_code == 200
    words = text_of(answer.text)
    assert "<title>Cathy Complainant - ASB case ledger</title>" in answer.text
    assert "Date of birth 12 April 1961" in words
    assert "Phone or email 07700 900123" in words
    assert f'href="/app/cases/{case.id}">{case.reference}</a>' in answer.text
    assert "Complainant, Victim" in words
    assert "Cumulative harm across their cases" in words
    assert "As a victim on 1 case" in words
    (read,) = recorded(client, "people.get")
    assert (list(read.subjects), read.outcome) == ([ref], AccessOutcome.GRANTED)


def test_a_person_only_on_another_teams_case_is_not_shown_to_a_caseworker(
    client: TestClient,
) -> None:
    ref = open_for(client, "asb-south", "Sol Southern", "07700 900777")
    answer = client.get(f"/app/people/{ref}")
    assert answer.status_code == 200
    words = text_of(answer.text)
    assert "Sol Southern" not in words
    assert "07700 900777" not in words
    assert "you cannot see their case" in words
    assert "They are on 1 other case that you cannot see" in words
    api = client.get(f"/people/{ref}", headers=bearer(client, "cw-9", "asb-north")).json()
    assert (api["name"], api["cases"], api["other_cases"]) == (None, [], 1)  # as the API
    _status, html = search(client, name="Sol Southern")
    assert "Sol Southern" not in text_of(html)  # only in the search box, as typed
    assert f"Person {str(ref)[:8]}" in text_of(html)
    assert "1 case you cannot see" in text_of(html)


def test_a_merged_record_is_noted_on_the_persons_page(client: TestClient) -> None:
    kept = open_for(client, "asb-north", "Max Merged", "07700 900555")
    gone = open_for(client, "asb-north", "Max Merged", "07700 900555")
    supervisor = bearer(client, "sup-1", "asb-north", Role.SUPERVISOR)
    merged = client.post(f"/people/{kept}/merge", json={"duplicate": str(gone)}, headers=supervisor)
    assert merged.status_code == 201, merged.text
    answer = client.get(f"/app/people/{gone}")
    words = text_of(answer.text)
    assert "The record you asked for was merged into this one" in words
    assert f"Records merged into this one {gone}" in words
    assert f"Reference {kept}" in words
    (read,) = recorded(client, "people.get")
    assert set(read.subjects) == {kept, gone}


def test_an_unknown_person_is_not_found_and_the_refusal_recorded(client: TestClient) -> None:
    nobody = UUID(int=7)
    answer = client.get(f"/app/people/{nobody}")
    assert answer.status_code == 404
    assert "Page not found" in answer.text
    (read,) = recorded(client, "people.get")
    assert (list(read.subjects), read.outcome) == ([nobody], AccessOutcome.NOT_FOUND)


def test_a_partner_may_not_search_people(client: TestClient) -> None:
    token = drawn(client, "/app/people")["csrf_token"]
    client.post("/app/sign-out", data={"csrf_token": token})
    sign_in(client, "demo-police-officer")
    assert client.get("/app/people").status_code == 403
    assert re.search(r"You cannot see or do this", client.get(f"/app/people/{UUID(int=1)}").text)
