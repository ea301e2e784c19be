"""Operations: liveness, readiness, Prometheus metrics, request ids, the request log
(one line per request, never personal data) and problem+json errors."""

from __future__ import annotations

import re
from collections.abc import MutableMapping, Sequence
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs

from tests.api.conftest import Tokens, complaint

CANARY = "Zqx7Canary"
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")
PROBLEM = "application/problem+json"


def test_healthz_answers_without_a_token(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_with_the_store_up(client: TestClient, tokens: Tokens) -> None:
    opened = client.post("/cases", json=complaint(), headers=tokens())
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert response.json()["position"] >= opened.json()["position"]


def test_readyz_is_503_when_the_store_is_unreachable(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = client.app.state.ledger.recorder  # type: ignore[attr-defined]

    def unreachable() -> int:
        raise OperationalError("connection refused")

    monkeypatch.setattr(recorder, "max_notification_id", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 503
    assert client.get("/healthz").status_code == 200  # alive, though not ready
    monkeypatch.undo()
    assert client.get("/readyz").status_code == 200


def samples(client: TestClient) -> dict[str, list[tuple[dict[str, str], float]]]:
    """The /metrics samples by name: (labels, value)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def test_metrics_count_requests_by_route_template_and_status(
    client: TestClient, tokens: Tokens
) -> None:
    headers = tokens()
    case_id = client.post("/cases", json=complaint(), headers=headers).json()["case_id"]
    assert client.get(f"/cases/{case_id}", headers=headers).status_code == 200
    assert client.get(f"/cases/{case_id}", headers=headers).status_code == 200
    assert client.get(f"/cases/{uuid4()}", headers=headers).status_code == 404
    assert client.get(f"/nowhere/{case_id}").status_code == 404

    found = samples(client)
    requests = {
        (labels["method"], labels["route"], labels["status"]): value
        for labels, value in found["asb_http_requests_total"]
    }
    assert requests[("POST", "/cases", "201")] == 1
    assert requests[("GET", "/cases/{case_id}", "200")] == 2
    assert requests[("GET", "/cases/{case_id}", "404")] == 1
    assert requests[("GET", "unmatched", "404")] == 1
    durations = found["asb_http_request_duration_seconds_count"]
    assert ({"method": "GET", "route": "/cases/{case_id}"}, 3.0) in durations
    assert ({"command": "open_case"}, 1.0) in found["asb_commands_total"]
    text = client.get("/metrics").text
    assert case_id not in text
    assert "/nowhere" not in text


def test_a_safe_request_id_is_echoed_and_others_are_replaced(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "trace-01.ab_C"})
    assert given.headers["x-request-id"] == "trace-01.ab_C"
    generated = client.get("/healthz")
    assert GENERATED_ID.match(generated.headers["x-request-id"])
    seen = {generated.headers["x-request-id"]}
    for bad in ("a\nb", "x" * 200, "a b", "<script>", "ok;rm", ""):
        response = client.get("/healthz", headers={"X-Request-ID": bad})
        echoed = response.headers["x-request-id"]
        assert GENERATED_ID.match(echoed), repr(bad)
        assert echoed not in seen
        seen.add(echoed)


def requests_logged(logs: Sequence[MutableMapping[str, Any]]) -> list[MutableMapping[str, Any]]:
    return [entry for entry in logs if entry["event"] == "request"]


def test_one_log_line_per_request_and_no_personal_data(client: TestClient, tokens: Tokens) -> None:
    headers = tokens(user="cw-7")
    person = {"name": f"{CANARY} Person", "contact": f"{CANARY}@example.org"}
    victim = {"name": f"{CANARY} Victim", "contact": f"{CANARY}.victim@example.org"}
    with capture_logs() as logs:
        opened = client.post(
            "/cases",
            json=complaint(
                description=f"{CANARY} description",
                location=f"{CANARY} location",
                complainant=person,
                ward="Forebridge",
            ),
            headers={**headers, "X-Request-ID": "open-1"},
        )
    (line,) = requests_logged(logs)
    case_id = opened.json()["case_id"]
    assert line["request_id"] == "open-1" == opened.headers["x-request-id"]
    assert line["actor"] == "cw-7"
    assert line["route"] == "/cases"
    assert line["method"] == "POST"
    assert line["case_id"] == case_id
    assert line["status"] == 201
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0

    url = f"/cases/{case_id}"
    calls: list[tuple[str, str, dict[str, Any] | None, dict[str, str], int]] = [
        ("GET", url, None, headers, 200),
        ("GET", f"{url}/events", None, headers, 200),
        ("POST", f"{url}/people", {"role": "victim", "details": person}, headers, 409),
        ("POST", f"{url}/people", {"role": "victim", "details": victim}, headers, 201),
        ("POST", "/people/search", person, headers, 200),
        (
            "POST",
            f"{url}/incidents",
            {"incident_type": CANARY, "description": CANARY},
            headers,
            422,
        ),
        ("GET", f"/cases?team={CANARY}&officer={CANARY}", None, headers, 200),
        ("GET", url, None, tokens(user="cw-9", team="elsewhere"), 404),
        ("GET", url, None, {}, 401),
        ("GET", f"/{CANARY}", None, headers, 404),
    ]
    everything = list(logs)
    for method, path, body, who, status in calls:
        with capture_logs() as logs:
            response = client.request(method, path, json=body, headers=who)
        assert response.status_code == status, (method, path, response.text)
        if status == 422:  # a refused value is named by field, never echoed
            assert CANARY not in response.text
        (line,) = requests_logged(logs)
        assert line["request_id"] == response.headers["x-request-id"]
        assert line["status"] == status
        assert "{" in line["route"] or line["route"] in ("/cases", "/people/search", "unmatched")
        assert {"actor", "case_id", "duration_ms"} <= set(line)
        if path.startswith(url) and status not in (401, 422):  # both: see the test below
            assert line["case_id"] == case_id, (method, path)
        everything += logs
    assert CANARY not in repr(everything)
    assert "Cathy" not in repr(everything)


def test_a_refused_or_invalid_request_on_a_case_logs_its_case_id(
    client: TestClient, tokens: Tokens
) -> None:
    headers = tokens()
    case_id = client.post("/cases", json=complaint(), headers=headers).json()["case_id"]
    for path, body, status in (
        (f"/cases/{case_id}/assign", {"team": "east"}, 403),
        (f"/cases/{case_id}/incidents", {"incident_type": "noise"}, 422),
    ):
        with capture_logs() as logs:
            response = client.post(path, json=body, headers=headers)
        assert response.status_code == status
        (line,) = requests_logged(logs)
        assert line["case_id"] == case_id, path


def test_errors_are_problem_json(client: TestClient, tokens: Tokens) -> None:
    headers = tokens()
    case_id = client.post("/cases", json=complaint(), headers=headers).json()["case_id"]
    url = f"/cases/{case_id}"
    incident = {"incident_type": "noise", "description": "Shouting."}
    errors: list[tuple[str, str, Any, dict[str, str], int]] = [
        ("GET", url, None, {}, 401),
        ("GET", url, None, {"Authorization": "Bearer not-a-token"}, 401),
        ("POST", f"{url}/assign", {"team": "east"}, headers, 403),
        ("GET", f"/cases/{uuid4()}", None, headers, 404),
        ("GET", "/no/such/route", None, headers, 404),
        ("GET", f"{url}/incidents", None, headers, 405),
        ("POST", f"{url}/incidents", {"incident_type": "noise"}, headers, 422),
        ("POST", f"{url}/incidents", incident, {**headers, "If-Match": '"1"'}, 412),
        ("POST", f"{url}/incidents", incident, {**headers, "If-Match": "seven"}, 400),
        ("GET", "/cases?cursor=garbage", None, headers, 422),
    ]
    for method, path, body, who, status in errors:
        response = client.request(method, path, json=body, headers=who)
        assert response.status_code == status, (method, path, response.text)
        assert response.headers["content-type"] == PROBLEM, (method, path)
        problem = response.json()
        assert problem["status"] == status
        assert problem["type"].startswith("https://")
        assert problem["title"]
        assert problem["detail"]
