"""The statistics endpoints: who may read them, what they answer, suppression, pseudonyms,
and that no name, reference or free text ever appears in them."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any, get_args
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking
from fastapi.testclient import TestClient

from api.deps import StatsDep
from ledger.events import CaseOpened
from ledger.type_names import type_name
from projections import open_view_store
from projections.stats.model import subject_token
from projections.stats.projection import AnalystStats
from tests.api.conftest import Clock, Tokens, complaint

AGGREGATES = (
    "/stats/cases-by-month",
    "/stats/cases?by=ward",
    "/stats/cases?by=risk_level",
    "/stats/incidents-by-type",
    "/stats/closures",
    "/stats/timescales",
)
SUBJECTS = "/stats/repeat-victims?dataset=q1-report"
EVERY_ENDPOINT = (*AGGREGATES, SUBJECTS)


def canary(name: str) -> str:
    return f"CNRY-{name}-{uuid4().hex[:10]}"


class Built:
    """Cases opened and worked through the API by a supervisor; remembers every personal
    value, reference and id it used."""

    def __init__(self, client: TestClient, tokens: Tokens, clock: Clock) -> None:
        self.client = client
        self.clock = clock
        self.headers = tokens("supervisor", user="boss", team="north")
        self.position = 0
        self.secrets: list[str] = []
        self.case_ids: list[str] = []

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(path, json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        receipt: dict[str, Any] = response.json()
        self.position = max(self.position, receipt["position"])
        return receipt

    def text(self, name: str) -> str:
        value = canary(name)
        self.secrets.append(value)
        return value

    def open(self) -> str:
        body = complaint(
            description=self.text("description"),
            location=self.text("location"),
            complainant={"name": self.text("complainant"), "contact": self.text("phone")},
        )
        case_id = str(self.post("/cases", body)["case_id"])
        self.case_ids.append(case_id)
        self.secrets.append(case_id)
        case = self.client.get(f"/cases/{case_id}", headers=self.headers).json()
        self.secrets.append(case["reference"])
        self.secrets.extend(p["person_ref"] for p in case["people"])
        return case_id

    def victim(self, case_id: str, ref: str | None = None) -> str:
        """Links a new victim, or (with ``ref``) one already known from another case."""
        body: dict[str, Any] = {
            "role": "victim",
            "self_declared_repeat_victim": True,
            "details": {"name": self.text("victim"), "address": self.text("address")},
        }
        if ref is not None:
            body["person_ref"] = ref
        created = self.post(f"/cases/{case_id}/people", body)["created"]
        person = str(created.get("person_ref", ref))
        self.secrets.append(person)
        return person

    def incident(self, case_id: str, victims: list[str]) -> None:
        body = {
            "incident_type": "harassment_or_intimidation",
            "description": self.text("incident"),
            "harms": ["targeted"],
            "victim_refs": victims,
        }
        self.post(f"/cases/{case_id}/incidents", body)

    def contact(self, case_id: str, person: str) -> None:
        body = {
            "person_ref": person,
            "method": "phone",
            "direction": "outbound",
            "outcome": "reached",
            "summary": self.text("summary"),
            "occurred_at": (self.clock.now + timedelta(days=2)).isoformat(),
        }
        self.post(f"/cases/{case_id}/contacts", body)

    def close(self, case_id: str) -> None:
        body = {
            "reason": "resolved",
            "full_reasons": self.text("full_reasons"),
            "feedback": {"method": "phone"},
            "occurred_at": (self.clock.now + timedelta(days=9)).isoformat(),
        }
        self.post(f"/cases/{case_id}/close", body)


@pytest.fixture
def built(client: TestClient, tokens: Tokens, clock: Clock) -> Built:
    """Six cases; one victim in two of them with three incidents; two closed."""
    story = Built(client, tokens, clock)
    first = story.open()
    victim = story.victim(first)
    story.incident(first, [victim])
    story.incident(first, [victim])
    story.contact(first, victim)
    story.close(first)
    second = story.open()
    story.victim(second, victim)
    story.incident(second, [victim])
    other = story.victim(second)
    story.incident(second, [other])
    for _ in range(4):
        story.open()
    return story


def get(client: TestClient, path: str, headers: dict[str, str], position: int = 0) -> Any:
    joiner = "&" if "?" in path else "?"
    return client.get(f"{path}{joiner}min_position={position}", headers=headers)


# ------------------------------------------------------------------ who may read


@pytest.mark.parametrize(
    ("role", "aggregates", "subjects"),
    [
        ("analyst", 200, 200),
        ("supervisor", 200, 403),
        ("auditor", 200, 403),
        ("caseworker", 403, 403),
        ("partner", 403, 403),
        ("dpo", 403, 403),
        ("admin", 403, 403),
    ],
)
def test_who_may_read_the_statistics(
    built: Built, client: TestClient, tokens: Tokens, role: str, aggregates: int, subjects: int
) -> None:
    headers = tokens(role, org="example-homes" if role == "partner" else "council")
    for path in AGGREGATES:
        assert get(client, path, headers, built.position).status_code == aggregates, path
    assert get(client, SUBJECTS, headers, built.position).status_code == subjects
    assert client.get("/stats/timescales").status_code == 401


def test_an_analyst_sees_no_case(built: Built, client: TestClient, tokens: Tokens) -> None:
    analyst = tokens("analyst")
    case_id = built.case_ids[0]
    for path in ("/cases", f"/cases/{case_id}", f"/cases/{case_id}/events"):
        assert client.get(path, headers=analyst).status_code == 403, path


# ------------------------------------------------------------------ what they answer


def test_no_name_reference_or_free_text_in_any_answer(
    built: Built, client: TestClient, tokens: Tokens
) -> None:
    analyst = tokens("analyst")
    bodies = []
    for path in EVERY_ENDPOINT:
        for suppress in ("true", "false"):
            response = get(
                client,
                f"{path}{'&' if '?' in path else '?'}suppress={suppress}",
                analyst,
                built.position,
            )
            assert response.status_code == 200, response.text
            bodies.append(response.text)
    text = "\n".join(bodies)
    assert "Forebridge" in text  # control: the ward is found by the same scan
    assert "CNRY-" not in text
    for secret in built.secrets:
        assert secret not in text
        if len(secret) == 36:  # a case id or person ref, also as hex and as the view's token
            assert UUID(secret).hex not in text
            assert subject_token(UUID(secret)) not in text


def test_counts_below_five_are_suppressed_unless_asked(
    built: Built, client: TestClient, tokens: Tokens
) -> None:
    analyst = tokens("analyst")
    shown = get(client, "/stats/cases?by=status", analyst, built.position).json()
    assert shown["suppression"] == {"applied": True, "threshold": 5}
    assert {i["value"]: i["cases"] for i in shown["items"]} == {
        "closed": "<5",
        "open": "suppressed",
    }
    assert shown["total"] == 6
    exact = get(client, "/stats/cases?by=status&suppress=false", analyst, built.position).json()
    assert {i["value"]: i["cases"] for i in exact["items"]} == {"closed": 1, "open": 5}
    assert exact["suppression"]["applied"] is False

    months = get(client, "/stats/cases-by-month?suppress=false", analyst, built.position).json()
    assert [(m["month"], m["opened"], m["closed"], m["incidents"]) for m in months["items"]] == [
        ("2026-03", 6, 1, 4)
    ]
    times = get(client, "/stats/timescales?suppress=false", analyst, built.position).json()
    assert times["first_contact"]["overall"]["cases"] == 1
    assert times["first_contact"]["overall"]["median_days"] == 2.0
    assert times["resolution"]["overall"]["median_days"] == 9.0
    assert times["awaiting_first_contact"] == 5
    hidden = get(client, "/stats/timescales", analyst, built.position).json()
    assert hidden["first_contact"]["overall"]["cases"] == "<5"
    assert hidden["first_contact"]["overall"]["median_days"] is None
    closures = get(client, "/stats/closures?suppress=false", analyst, built.position).json()
    assert closures["items"] == [
        {"reason": "resolved", "cases": 1, "median_days_to_resolution": 9.0}
    ]


def test_repeat_victims_have_a_pseudonym_per_dataset(
    built: Built, client: TestClient, tokens: Tokens
) -> None:
    analyst = tokens("analyst")

    def rows(dataset: str) -> list[dict[str, Any]]:
        path = f"/stats/repeat-victims?dataset={dataset}"
        body = get(client, path, analyst, built.position).json()
        assert body["dataset"] == dataset
        items: list[dict[str, Any]] = body["items"]
        return items

    first = rows("q1-report")
    assert len(first) == 2  # the victim of two cases, and one who says they are a repeat victim
    repeat = max(first, key=lambda r: r["incidents"])
    assert {k: v for k, v in repeat.items() if k != "pseudonym"} == {
        "cases": 2,
        "incidents": 3,
        "targeted": 3,
        "hate_motivated": 0,
        "self_declared": True,
        "first_incident_month": "2026-03",
        "last_incident_month": "2026-03",
    }
    assert rows("q1-report") == first  # the same dataset: the same pseudonyms
    other = rows("q2-report")
    assert {r["pseudonym"] for r in other}.isdisjoint(r["pseudonym"] for r in first)
    assert [r["pseudonym"] for r in first] == sorted(r["pseudonym"] for r in first)

    page = get(client, f"{SUBJECTS}&limit=1", analyst, built.position).json()
    assert page["items"] == first[:1]
    rest = get(
        client, f"{SUBJECTS}&limit=1&cursor={page['next_cursor']}", analyst, built.position
    ).json()
    assert rest["items"] == first[1:]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    "query",
    [
        "/stats/cases-by-month?from=2026-13",
        "/stats/cases-by-month?from=2026-05&to=2026-04",
        "/stats/cases?by=name",
        "/stats/repeat-victims",
        "/stats/repeat-victims?dataset=no spaces",
        "/stats/repeat-victims?dataset=ok&cursor=zz",
    ],
)
def test_bad_queries_are_refused_as_problems(
    client: TestClient, tokens: Tokens, query: str
) -> None:
    response = client.get(query, headers=tokens("analyst"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert json.loads(response.text)["status"] == 422


# ------------------------------------------------------------------ old dates


def test_cases_received_before_the_year_1000_are_counted_by_month(
    client: TestClient, tokens: Tokens, request: pytest.FixtureRequest
) -> None:
    """A complaint received in the year 188 or 999 (the ledger may refuse such a date at
    intake; the statistics must not fail on one in the view): its opening event is fed to
    a statistics view of its own, which the app then reads."""
    Built(client, tokens, Clock()).open()
    app: Any = client.app
    ledger = app.state.ledger
    (note,) = ledger.recorder.select_notifications(1, 1, topics=[type_name(CaseOpened)])
    opened = ledger.mapper.to_domain_event(note)
    store = open_view_store(ledger.store_config)
    request.addfinalizer(store.close)
    stats = AnalystStats(store, suffix="_long_ago")
    projection = stats.projection()
    with stats.page():
        for position, year in enumerate((188, 999), start=1):
            event = dataclasses.replace(
                opened, originator_id=uuid4(), received_at=datetime(year, 5, 3, 12, tzinfo=UTC)
            )
            projection.process_event(event, Tracking(ledger.name, position))
    app.dependency_overrides[get_args(StatsDep)[1].dependency] = lambda: stats
    headers = tokens("analyst", team=None)

    every = client.get("/stats/cases-by-month?suppress=false", headers=headers)
    assert every.status_code == 200, every.text
    months = {row["month"]: row["opened"] for row in every.json()["items"]}
    assert (months["0188-05"], months["0999-05"], months["0188-06"]) == (1, 1, 0)
    year_188 = client.get(
        "/stats/cases-by-month?suppress=false&from=0188-01&to=0188-12", headers=headers
    )
    assert year_188.status_code == 200, year_188.text
    assert year_188.json()["items"] == [
        {"month": "0188-05", "opened": 1, "closed": 0, "incidents": 0}
    ]
