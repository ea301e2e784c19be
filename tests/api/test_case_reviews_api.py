"""ASB Case Review (Community Trigger) endpoints: eligible and approaching at the app's clock,
staff only, what other teams' complaints show, requests, and the reads recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Clock, Tokens
from tests.api.test_access_records import accesses
from tests.api.test_caseload_api import Desk, get, ok

JSON = dict[str, Any]


@pytest.fixture
def desk(client: TestClient, tokens: Tokens) -> Desk:
    return Desk(client, tokens)


def complain(
    desk: Desk, clock: Clock, headers: dict[str, str], perpetrator: str | None, days: int
) -> tuple[str, str]:
    """A case opened ``days`` after the first, reporting yesterday's behaviour, with the
    alleged perpetrator linked (new if None); the case id and the perpetrator's ref."""
    clock.now += timedelta(days=days)
    case_id = desk.open(headers)
    desk.incident(headers, case_id, (clock.now - timedelta(days=1)).isoformat())
    body: JSON = {"role": "alleged_perpetrator", "details": {"name": "Al Leged"}}
    body |= {"person_ref": perpetrator} if perpetrator else {}
    made = desk.post(headers, f"/cases/{case_id}/people", body)
    return case_id, perpetrator or made["created"]["person_ref"]


def flag_of(client: TestClient, headers: dict[str, str], case_id: str) -> Any:
    response = client.get(f"/cases/{case_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["case_review"]


def ids(body: JSON) -> list[str]:
    return [item["case_id"] for item in body["items"]]


def test_cases_about_one_perpetrator_approach_then_meet_the_threshold(
    client: TestClient, tokens: Tokens, clock: Clock, desk: Desk
) -> None:
    north = tokens()
    first, perpetrator = complain(desk, clock, north, None, 0)
    second, _ = complain(desk, clock, north, perpetrator, 40)
    assert ok(client, north, "/case-reviews/eligible", min_position=desk.position)["items"] == []
    near = ok(client, north, "/case-reviews/approaching", min_position=desk.position)
    assert ids(near) == [first, second]

    third, _ = complain(desk, clock, north, perpetrator, 60)
    body = ok(client, north, "/case-reviews/eligible", min_position=desk.position)
    assert body["as_of"] == clock.now.isoformat().replace("+00:00", "Z")
    assert ids(body) == [first, second, third]
    flag = body["items"][0]["flag"]
    assert (flag["eligible"], flag["approaching"], flag["requested"]) == (True, False, False)
    case_alone, shared = flag["problems"]
    assert case_alone["kind"] == "case"
    assert case_alone["met_by"] == []
    assert (shared["kind"], shared["key"], shared["met_by"]) == (
        "alleged_perpetrator",
        perpetrator,
        ["complaints"],
    )
    assert [c["case_id"] for c in shared["complaints"]] == [first, second, third]
    assert all(c["kind"] == "opening" for c in shared["complaints"])
    assert ok(client, north, "/case-reviews/approaching")["items"] == []

    # six months after the first complaint it no longer counts
    clock.now += timedelta(days=90)
    assert ok(client, north, "/case-reviews/eligible")["items"] == []
    assert ids(ok(client, north, "/case-reviews/approaching")) == [first, second, third]


def test_a_requested_review_ends_eligibility_and_reads_are_recorded(
    client: TestClient, tokens: Tokens, clock: Clock, desk: Desk
) -> None:
    north = tokens()
    first, perpetrator = complain(desk, clock, north, None, 0)
    second, _ = complain(desk, clock, north, perpetrator, 10)
    third, _ = complain(desk, clock, north, perpetrator, 10)
    before = len(accesses(client))
    ok(client, north, "/case-reviews/eligible", min_position=desk.position)
    recorded = accesses(client)[before:]
    assert [(str(a.case_id), a.view) for a in recorded] == [
        (case, "case_reviews.eligible") for case in (first, second, third)
    ]
    assert all([str(s) for s in a.subjects] == [perpetrator] for a in recorded)

    case = client.get(f"/cases/{second}", headers=north).json()
    complainant = next(p["person_ref"] for p in case["people"] if "complainant" in p["roles"])
    desk.post(north, f"/cases/{second}/case-review-requests", {"applicant_ref": complainant})
    body = ok(client, north, "/case-reviews/eligible", min_position=desk.position)
    assert ids(body) == [first, third]


def test_other_teams_complaints_count_but_their_cases_are_not_shown(
    client: TestClient, tokens: Tokens, clock: Clock, desk: Desk
) -> None:
    north, south = tokens(), tokens(user="caseworker-9", team="south")
    mine, perpetrator = complain(desk, clock, north, None, 0)
    complain(desk, clock, south, perpetrator, 5)
    complain(desk, clock, south, perpetrator, 5)
    body = ok(client, north, "/case-reviews/eligible", min_position=desk.position)
    assert ids(body) == [mine]
    shown = body["items"][0]["flag"]["problems"][1]["complaints"]
    assert [c["case_id"] for c in shown] == [mine, None, None]
    assert [c["reference"] is None for c in shown] == [False, True, True]
    assert len(ids(ok(client, south, "/case-reviews/eligible"))) == 2


@pytest.mark.parametrize("role", ["partner", "auditor", "analyst", "admin", "dpo"])
def test_only_staff_may_ask(client: TestClient, tokens: Tokens, role: str) -> None:
    for path in ("/case-reviews/eligible", "/case-reviews/approaching"):
        response = get(client, tokens(role), path)
        assert response.status_code == 403, response.text
    denied = [a for a in accesses(client) if a.view.startswith("case_reviews.")]
    assert len(denied) == 2


def test_the_case_view_carries_the_flag_for_staff_only(
    client: TestClient, tokens: Tokens, clock: Clock, desk: Desk
) -> None:
    north = tokens()
    first, perpetrator = complain(desk, clock, north, None, 0)
    ok(client, north, "/case-reviews/approaching", min_position=desk.position)
    flag = flag_of(client, north, first)
    assert (flag["eligible"], flag["approaching"], flag["met"]) == (False, False, False)
    complain(desk, clock, north, perpetrator, 10)
    ok(client, north, "/case-reviews/approaching", min_position=desk.position)
    flag = flag_of(client, north, first)
    assert (flag["eligible"], flag["approaching"]) == (False, True)
    complain(desk, clock, north, perpetrator, 10)
    ok(client, north, "/case-reviews/eligible", min_position=desk.position)
    flag = flag_of(client, north, first)
    assert (flag["eligible"], flag["approaching"], flag["requested"]) == (True, False, False)
    assert flag["problems"][1]["met_by"] == ["complaints"]
    assert flag_of(client, tokens("auditor", team=None), first) is None


def test_complaints_about_one_address_meet_the_threshold_as_one_problem(
    client: TestClient, tokens: Tokens, clock: Clock, desk: Desk
) -> None:
    """Three neighbours complain about one address, each written differently, to three
    officers: the same place (a keyed hash of postcode and house number, never the address)
    makes them one problem, though no perpetrator is named and no case is linked by hand."""
    spellings = ("7 Mill Lane, Stafford ST16 2AB", "7, mill lane st162ab", "7 MILL LANE ST16 2AB")
    cases = []
    for n, location in enumerate(spellings):
        clock.now += timedelta(days=20)
        headers = tokens(user=f"cw-{n}")
        case_id = desk.open(headers, location=location, complainant={"name": f"Neighbour {n}"})
        desk.incident(headers, case_id, (clock.now - timedelta(days=1)).isoformat())
        cases.append(case_id)
    north = tokens()
    body = ok(client, north, "/case-reviews/eligible", min_position=desk.position)
    assert ids(body) == cases
    shared = [p for p in body["items"][0]["flag"]["problems"] if p["kind"] == "place"]
    (place,) = shared
    assert place["key"].startswith("addr:")
    assert "MILL" not in place["key"].upper()
    assert place["met_by"] == ["complaints"]
    elsewhere = desk.open(north, location="8 Mill Lane, Stafford ST16 2AB")
    flag = flag_of(client, north, elsewhere)
    assert flag is None or all(p["kind"] != "place" or p["met_by"] == [] for p in flag["problems"])


def test_one_perpetrator_recorded_three_times_is_one_problem_once_merged(
    client: TestClient, tokens: Tokens, clock: Clock, desk: Desk
) -> None:
    """Three officers each record the same neighbour as a new person: three problems, none
    met. A supervisor merges the records: one problem, met by the three complaints."""
    north = tokens()
    first, a = complain(desk, clock, north, None, 0)
    second, b = complain(desk, clock, north, None, 20)
    third, c = complain(desk, clock, north, None, 40)
    assert len({a, b, c}) == 3
    assert ok(client, north, "/case-reviews/eligible", min_position=desk.position)["items"] == []
    supervisor = tokens("supervisor", user="sup-1")
    position = 0
    for duplicate in (b, c):
        merged = client.post(
            f"/people/{a}/merge", json={"duplicate": duplicate}, headers=supervisor
        )
        assert merged.status_code == 201, merged.text
        position = max(merged.json()["positions"])
    body = ok(client, north, "/case-reviews/eligible", min_position=position)
    assert ids(body) == [first, second, third]
    (shared,) = [p for p in body["items"][0]["flag"]["problems"] if p["kind"] != "case"]
    assert (shared["kind"], shared["key"], shared["met_by"]) == (
        "alleged_perpetrator",
        a,
        ["complaints"],
    )
