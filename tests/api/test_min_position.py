"""``min_position`` on every query that waits for a read model, on both stores: a position
the ledger has not issued is the caller's 422, answered at once; one issued but not yet
projected is the service's 503 ``view-behind`` with ``Retry-After``."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.deps import MAX_POSITION
from tests.api.conftest import Tokens
from tests.api.helpers import Api, problem, stall_read_models
from tests.api.test_schema import DOCUMENT

WAITING = sorted(
    (path, operation["parameters"])
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if method == "get" and any(p["name"] == "min_position" for p in operation.get("parameters", ()))
)
NEEDS: dict[str, dict[str, Any]] = {
    "/stats/repeat-victims": {"dataset": "q1"},
    "/ledger/proofs/inclusion": {"leaf_index": 0},
}
"""Required parameters beyond ``min_position``."""


def test_every_query_that_waits_is_here() -> None:
    assert len(WAITING) >= 15  # /cases, caseload, risk, stats, dpo, ledger
    assert {path.split("/")[1] for path, _ in WAITING} == {
        "cases",
        "caseload",
        "risk",
        "stats",
        "dpo",
        "ledger",
        "people",
        "case-reviews",
    }


def ask(client: TestClient, tokens: Tokens, path: str, case_id: str, position: int) -> Response:
    role = "analyst" if path == "/stats/repeat-victims" else "auditor"
    headers = tokens(role, team=None)
    if path.startswith("/case-reviews/"):  # staff only
        headers = tokens("caseworker")
    params: dict[str, Any] = {**NEEDS.get(path, {}), "min_position": position}
    response: Response = client.get(
        path.replace("{case_id}", case_id)
        .replace("{person_ref}", case_id)
        .replace("{grant_id}", case_id),
        params=params,
        headers=headers,
    )
    return response


LONG_WAIT = 30.0
"""A read wait far beyond any answer's time on a loaded machine: a route that waited for its
view before refusing would take this long."""


@pytest.mark.parametrize("path", [path for path, _ in WAITING])
def test_a_position_not_yet_issued_is_the_callers_422_at_once(
    client: TestClient, tokens: Tokens, path: str
) -> None:
    models = client.app.state.read_models  # type: ignore[attr-defined]
    for view in [*models.views.values(), *([models.notary] if models.notary else [])]:
        view.read_timeout = LONG_WAIT  # as ASB_READ_WAIT_SECONDS=30 would set it
    api = Api(client, tokens())
    case_id = api.open().case_id
    for beyond in (api.head() + 1000, MAX_POSITION):
        started = time.monotonic()
        response = ask(client, tokens, path, case_id, beyond)
        elapsed = time.monotonic() - started
        assert elapsed < LONG_WAIT / 3, "answered without waiting for a view"
        body = problem(response, 422, rule="read.position_not_issued")
        assert [e["field"] for e in body["errors"]] == ["query.min_position"]
    too_big = ask(client, tokens, path, case_id, MAX_POSITION + 1)
    assert [e["field"] for e in problem(too_big, 422)["errors"]] == ["query.min_position"]


def test_the_last_position_issued_is_not_refused(client: TestClient, tokens: Tokens) -> None:
    api = Api(client, tokens())
    api.open()
    head = api.head()
    assert client.get(f"/caseload?min_position={head}", headers=api.headers).status_code == 200
    refused = client.get(f"/caseload?min_position={head + 1}", headers=api.headers)
    problem(refused, 422, rule="read.position_not_issued")


@pytest.mark.parametrize("path", [path for path, _ in WAITING])
def test_a_position_issued_but_not_yet_projected_is_a_503_to_retry(
    client: TestClient, tokens: Tokens, path: str
) -> None:
    api = Api(client, tokens())
    case_id = api.open().case_id
    stall_read_models(client)
    issued = api.ok(f"/cases/{case_id}/incidents", {"incident_type": "noise", "description": "x"})

    response = ask(client, tokens, path, case_id, issued["position"])

    body = problem(response, 503)
    assert "view-behind" in body["type"]
    assert response.headers["Retry-After"] == "1"
