"""The caseload and risk endpoints: what they answer at the app's clock, who may ask (the
HTTP issue's access rules), filters and pages, read-your-writes, and the reads recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from ledger.enums import AccessOutcome
from ledger.risk import ASB_VRA_V1
from tests.api.conftest import Clock, Tokens, complaint
from tests.api.helpers import problem, stall_read_models
from tests.api.test_access_records import accesses

JSON = dict[str, Any]
NOBODY = UUID("00000000-0000-4000-8000-000000000000")
PLAINTEXT = ("Cathy Complainant", "Vera Victim", "Loud music", "Example Road")


class Desk:
    """Cases opened and worked through the API; remembers the last position written."""

    def __init__(self, client: TestClient, tokens: Tokens) -> None:
        self.client = client
        self.tokens = tokens
        self.position = 0

    def post(self, headers: dict[str, str], path: str, body: JSON) -> JSON:
        response = self.client.post(path, json=body, headers=headers)
        assert response.status_code == 201, response.text
        receipt: JSON = response.json()
        self.position = max(self.position, receipt["position"])
        return receipt

    def open(self, headers: dict[str, str], **overrides: Any) -> str:
        case_id: str = self.post(headers, "/cases", complaint(**overrides))["case_id"]
        return case_id

    def victim(self, headers: dict[str, str], case_id: str, **extra: Any) -> str:
        body = {"role": "victim", "details": {"name": "Vera Victim"}, **extra}
        ref: str = self.post(headers, f"/cases/{case_id}/people", body)["created"]["person_ref"]
        return ref

    def incident(self, headers: dict[str, str], case_id: str, when: str, **extra: Any) -> str:
        body = {
            "incident_type": "harassment_or_intimidation",
            "description": "Loud music and threats.",
            "occurred_at": when,
            **extra,
        }
        made: str = self.post(headers, f"/cases/{case_id}/incidents", body)["created"][
            "incident_id"
        ]
        return made

    def assess(self, headers: dict[str, str], case_id: str, answer: int, **extra: Any) -> None:
        body = {"answers": {q.key: answer for q in ASB_VRA_V1.questions}, **extra}
        self.post(headers, f"/cases/{case_id}/risk-assessments", body)


@pytest.fixture
def desk(client: TestClient, tokens: Tokens) -> Desk:
    return Desk(client, tokens)


def get(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> Response:
    response: Response = client.get(path, params=params, headers=headers)
    return response


def ok(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> JSON:
    response = get(client, headers, path, **params)
    assert response.status_code == 200, response.text
    body: JSON = response.json()
    assert not any(text in response.text for text in PLAINTEXT)
    return body


def walk(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> list[str]:
    """Every page in turn; the case ids in order."""
    seen: list[str] = []
    cursor = None
    while True:
        body = ok(client, headers, path, **params, **({"cursor": cursor} if cursor else {}))
        seen.extend(item["case_id"] for item in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


@pytest.fixture
def teams(desk: Desk, tokens: Tokens) -> dict[str, str]:
    """North's case (its caseworker's own), another north case, and south's: all assessed
    high at 09:00 on Monday 2 March, none contacted."""
    north = tokens()  # caseworker-1, team north
    south = tokens(user="caseworker-9", team="south")
    made = {
        "mine": desk.open(north),
        "north": desk.open(tokens(user="caseworker-2")),
        "south": desk.open(south),
    }
    desk.assess(north, made["mine"], 2)
    desk.assess(north, made["north"], 2)
    desk.assess(south, made["south"], 2)
    return made


# ------------------------------------------------------------------ the caseload


def test_the_caseload_shows_what_is_due_and_overdue_at_the_apps_clock(
    client: TestClient, tokens: Tokens, clock: Clock, desk: Desk, teams: dict[str, str]
) -> None:
    north = tokens()
    clock.now += timedelta(days=1)  # Tuesday: first contact (high) is due today
    body = ok(client, north, "/caseload", min_position=desk.position)
    assert body["as_of"] == "2026-03-03T09:00:00Z"
    first = body["items"][0]
    assert first["case_id"] == teams["mine"]
    assert (first["team"], first["officer"], first["risk_level"]) == (
        "north",
        "caseworker-1",
        "high",
    )
    assert (first["age_days"], first["overdue"]) == (1, [])
    assert first["due"] == [
        {
            "kind": "first_contact",
            "due": "2026-03-03",
            "overdue": False,
            "days_overdue": 0,
            "ref": None,
            "agreed": False,
        },
        {
            "kind": "review",
            "due": "2026-03-16",
            "overdue": False,
            "days_overdue": 0,
            "ref": None,
            "agreed": False,
        },
    ]
    clock.now += timedelta(days=1)
    late = ok(client, north, "/caseload", overdue="first_contact")
    assert [item["case_id"] for item in late["items"]] == [teams["mine"], teams["north"]]
    assert late["items"][0]["overdue"] == ["first_contact"]
    assert late["items"][0]["due"][0]["days_overdue"] == 1

    victim = desk.victim(north, teams["mine"])
    desk.post(
        north,
        f"/cases/{teams['mine']}/contacts",
        {
            "person_ref": victim,
            "method": "phone",
            "direction": "outbound",
            "outcome": "reached",
            "summary": "Spoke.",
        },
    )
    after = ok(client, north, "/caseload", overdue="first_contact", min_position=desk.position)
    assert [item["case_id"] for item in after["items"]] == [teams["north"]]


@pytest.mark.parametrize(
    ("caller", "sees"),
    [
        ({"role": "caseworker"}, ("mine", "north")),
        ({"role": "caseworker", "user": "caseworker-9", "team": "south"}, ("south",)),
        ({"role": "caseworker", "user": "caseworker-1", "team": "east"}, ("mine",)),
        ({"role": "supervisor", "teams": ["north", "south"]}, ("mine", "north", "south")),
        ({"role": "supervisor", "team": "south"}, ("south",)),
        ({"role": "auditor", "team": None}, ("mine", "north", "south")),
    ],
)
def test_each_caller_sees_the_caseload_they_may(
    client: TestClient,
    tokens: Tokens,
    desk: Desk,
    teams: dict[str, str],
    caller: dict[str, Any],
    sees: tuple[str, ...],
) -> None:
    headers = tokens(**caller)
    expected = [teams[key] for key in sees]
    for limit in (1, 2, 50):
        assert (
            walk(client, headers, "/caseload", limit=limit, min_position=desk.position) == expected
        )
    summary = ok(client, headers, "/caseload/summary")
    assert sum(group["open"] for group in summary["groups"]) == len(sees)


@pytest.mark.parametrize("role", ["dpo", "analyst", "admin", "partner"])
@pytest.mark.parametrize("path", ["/caseload", "/caseload/summary", "/risk"])
def test_other_roles_may_not_read_the_caseload_or_risk(
    client: TestClient, tokens: Tokens, role: str, path: str
) -> None:
    body = problem(get(client, tokens(role, org="example-homes"), path), 403)
    assert role in body["detail"]


@pytest.mark.parametrize(
    "path", ["/caseload", "/caseload/summary", "/risk", f"/cases/{NOBODY}/risk"]
)
def test_no_token_no_answer(client: TestClient, path: str) -> None:
    response = get(client, {}, path)
    problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_filters_narrow_and_bad_ones_are_named(
    client: TestClient, tokens: Tokens, desk: Desk, teams: dict[str, str]
) -> None:
    boss = tokens("supervisor", teams=["north", "south"])
    assert walk(client, boss, "/caseload", team="south", min_position=desk.position) == [
        teams["south"]
    ]
    assert walk(client, boss, "/caseload", officer="caseworker-2") == [teams["north"]]
    assert walk(client, boss, "/caseload", risk_level="unassessed") == []
    assert walk(client, boss, "/caseload", lead_department="housing") == []
    assert walk(client, boss, "/caseload", overdue="any") == []
    groups = ok(client, boss, "/caseload/summary", team="north")["groups"]
    assert [(g["team"], g["officer"], g["by_risk"]["high"]) for g in groups] == [
        ("north", "caseworker-1", 1),
        ("north", "caseworker-2", 1),
    ]
    for params, field in (
        ({"overdue": "late"}, "query.overdue"),
        ({"risk_level": "extreme"}, "query.risk_level"),
        ({"limit": 0}, "query.limit"),
        ({"cursor": "not-a-cursor"}, "query.cursor"),
    ):
        body = problem(get(client, boss, "/caseload", **params), 422)
        assert field in [error["field"] for error in body["errors"]]


def test_a_view_behind_min_position_answers_503(
    client: TestClient, tokens: Tokens, desk: Desk, teams: dict[str, str]
) -> None:
    """A position the ledger has issued and the views have not reached (their runner is
    stopped); one not issued at all is a 422 (``tests/api/test_min_position.py``)."""
    stall_read_models(client)
    desk.open(tokens())
    beyond = desk.position
    for path in ("/caseload", "/caseload/summary", "/risk", f"/cases/{teams['mine']}/risk"):
        response = get(client, tokens(), path, min_position=beyond)
        body = problem(response, 503)
        assert "view-behind" in body["type"]
        assert response.headers["Retry-After"] == "1"


# ------------------------------------------------------------------ risk


@pytest.fixture
def targeted(desk: Desk, tokens: Tokens) -> dict[str, str]:
    """A vulnerable victim targeted three times, on a case assessed standard."""
    north = tokens()
    case_id = desk.open(north)
    victim = desk.victim(north, case_id, vulnerabilities=["disability"])
    ids = [
        desk.incident(
            north, case_id, f"2026-02-{day}T20:00:00+00:00", harms=harms, victim_refs=[victim]
        )
        for day, harms in (("20", ["targeted", "hate_motivated"]), ("24", ["targeted"]), ("27", []))
    ]
    desk.assess(north, case_id, 0, victim_ref=victim)
    return {"case": case_id, "victim": victim, **{f"i{n}": i for n, i in enumerate(ids)}}


def test_a_cases_risk_names_its_figures_flags_and_reasons(
    client: TestClient, tokens: Tokens, desk: Desk, targeted: dict[str, str]
) -> None:
    body = ok(client, tokens(), f"/cases/{targeted['case']}/risk", min_position=desk.position)
    assert body["as_of"] == "2026-03-02T09:00:00Z"
    assert [(w["days"], w["incidents"]) for w in body["harm"]["windows"]] == [
        (7, 2),
        (30, 3),
        (90, 3),
    ]
    flags = {flag["name"]: flag["incident_ids"] for flag in body["harm"]["flags"]}
    assert flags["targeted_campaign"] == [targeted["i0"], targeted["i1"]]
    assert flags["hate_motivated"] == [targeted["i0"]]
    judged = body["judgement"]
    assert judged["assessed"]["level"] == "standard"
    assert (judged["assessed"]["instrument"], judged["assessed"]["instrument_version"]) == (
        "asb-vra",
        1,
    )
    assert (judged["derived_level"], judged["escalated"], judged["reassessment_due"]) == (
        "high",
        True,
        True,
    )
    assert judged["summary"] == (
        "3 incidents in 30 days, 2 targeted in 90 days, 1 hate-motivated, victim vulnerable:"
        " last assessed standard, now indicates high"
    )
    (victim,) = body["victims"]
    assert (victim["person_ref"], victim["cases"]) == (targeted["victim"], 1)
    assert victim["harm"]["vulnerabilities"] == ["disability"]
    assert victim["judgement"]["assessed"]["victim_ref"] == targeted["victim"]


def test_reading_a_cases_risk_is_recorded_with_its_victims(
    client: TestClient, tokens: Tokens, desk: Desk, targeted: dict[str, str]
) -> None:
    before = len(accesses(client))
    ok(client, tokens(), f"/cases/{targeted['case']}/risk", min_position=desk.position)
    (record,) = accesses(client)[before:]
    assert (record.view, str(record.case_id), record.outcome) == (
        "case.risk",
        targeted["case"],
        AccessOutcome.GRANTED,
    )
    assert [str(s) for s in record.subjects] == [targeted["victim"]]


@pytest.mark.parametrize(
    ("caller", "status"),
    [
        ({"role": "caseworker"}, 200),
        ({"role": "supervisor", "team": "north"}, 200),
        ({"role": "auditor", "team": None}, 200),
        ({"role": "caseworker", "user": "caseworker-9", "team": "south"}, 404),  # hidden
        ({"role": "supervisor", "team": "south"}, 404),
        ({"role": "partner", "org": "example-homes", "team": None}, 403),
        ({"role": "dpo", "team": None}, 403),
        ({"role": "analyst", "team": None}, 403),
    ],
)
def test_who_may_read_a_cases_risk(
    client: TestClient,
    tokens: Tokens,
    desk: Desk,
    targeted: dict[str, str],
    caller: dict[str, Any],
    status: int,
) -> None:
    before = len(accesses(client))
    response = get(
        client, tokens(**caller), f"/cases/{targeted['case']}/risk", min_position=desk.position
    )
    assert response.status_code == status, response.text
    (record,) = accesses(client)[before:]
    outcome = {200: AccessOutcome.GRANTED, 403: AccessOutcome.DENIED, 404: AccessOutcome.NOT_FOUND}
    assert record.outcome is outcome[status]
    if status != 200:
        problem(response, status)
        assert not any(text in response.text for text in PLAINTEXT)


def test_an_unknown_case_has_no_risk(client: TestClient, tokens: Tokens) -> None:
    problem(get(client, tokens(), f"/cases/{uuid4()}/risk"), 404)


def test_the_risk_list_finds_cases_due_a_reassessment(
    client: TestClient, tokens: Tokens, desk: Desk, targeted: dict[str, str]
) -> None:
    north = tokens()
    quiet = desk.open(north)
    desk.assess(north, quiet, 0)
    due = ok(client, north, "/risk", reassessment_due=True, min_position=desk.position)
    assert [item["case_id"] for item in due["items"]] == [targeted["case"]]
    (item,) = due["items"]
    assert (item["assessed_level"], item["derived_level"], item["escalated"]) == (
        "standard",
        "high",
        True,
    )
    assert "victim_ref" not in item
    assert [i["case_id"] for i in ok(client, north, "/risk", reassessment_due=False)["items"]] == [
        quiet
    ]
    assert [i["case_id"] for i in ok(client, north, "/risk", derived_level="high")["items"]] == [
        targeted["case"]
    ]
    assert walk(client, north, "/risk", limit=1) == [targeted["case"], quiet]
    assert walk(client, tokens(user="caseworker-9", team="south"), "/risk") == []
    problem(get(client, north, "/risk", cursor="nope"), 422)
