"""The web pages against the JSON API answering the same read, in the same run (issue 14).

Two reads, each timed as server time: from the moment the app is called with the request
to the moment it has sent the last byte of the answer, through the whole ASGI stack
(middleware, routing, the policy, the read, the access record, the rendering), with no
client or network in the figure.
- the case page of a case of 200 events (``GET /app/cases/{id}``) against
  ``GET /cases/{id}`` with a bearer token;
- the caseload page with 1,000 open cases (``GET /app/caseload``, 25 a page) against
  ``GET /caseload?limit=25``.
The page and the API are asked alternately, one at a time, and each figure is the ratio of
the API's p50 (and p99) server time to the page's: 1.0 means the page costs what the JSON
costs; the target is at least 0.5. The data is made through the API's own commands.

The case page shows more than ``GET /cases/{id}``: the risk panel (``/risk``), the linked
cases (``/links``) and a page of the audit trail with each event's checkpoint coverage
(``/timeline`` has no paging, so it is left out of the second baseline rather than counted
for four times the lines the page shows). So the case page is also set against the sum of
``/cases/{id}``, ``/risk`` and ``/links``, each request's server times added: still less
than the page shows.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import mint_token
from api.settings import ApiSettings
from bench.common import PG_URL, Figure, percentile, store
from ledger.enums import Role

CASE_EVENTS = 200
OPEN_CASES = 1000
TARGET = 0.5

Scope = dict[str, Any]


def _scope(path: str, headers: dict[str, str]) -> Scope:
    raw_path, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def _served(app: Any, scope: Scope) -> tuple[float, int]:
    """Calls the app with one GET; the seconds until its last byte, and the status."""
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    started = time.perf_counter()
    await app(scope, receive, send)
    return time.perf_counter() - started, status


def _build(client: TestClient, api: dict[str, str], quick: bool) -> tuple[str, int]:
    """Opens the cases through the API: one of ``CASE_EVENTS`` events and the rest of the
    caseload's ``OPEN_CASES``. Returns the long case's id and the cases opened."""
    opened = client.post("/cases", json=_complaint(0), headers=api)
    assert opened.status_code == 201, opened.text
    long_case = opened.json()["case_id"]
    version = opened.json()["version"]
    while version < (40 if quick else CASE_EVENTS):
        sent = client.post(
            f"/cases/{long_case}/incidents",
            json={
                "incident_type": "noise",
                "description": f"Music and shouting, night {version}.",
                "harms": ["impact_on_health"],
            },
            headers=api,
        )
        assert sent.status_code == 201, sent.text
        version = sent.json()["version"]
    total = 100 if quick else OPEN_CASES
    for i in range(1, total):
        made = client.post("/cases", json=_complaint(i), headers=api)
        assert made.status_code == 201, made.text
    return long_case, total


def _complaint(i: int) -> dict[str, Any]:
    return {
        "channel": "phone",
        "category": "personal",
        "description": "Loud music most nights after midnight.",
        "location": f"Flat {i}, {i} Example Road, Stafford",
        "lead_department": "community_safety",
        "complainant": {"name": f"Bench Complainant {i}", "date_of_birth": "1970-01-01"},
        "preferred_contact": "phone",
        "ward": "Forebridge",
    }


def _session_cookie(client: TestClient) -> str:
    form = client.get("/app/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    signed = client.post(
        "/app/sign-in",
        data={"user": "demo-caseworker", "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


Pair = tuple[str, str, Scope, list[Scope]]
"""A comparison: its label, the baseline's name, the page, and the JSON reads it is set
against (their server times summed, request by request)."""


def _compare(client: TestClient, pairs: list[Pair], rounds: int) -> list[Figure]:
    """Alternates page and API for each pair; the figures for each read."""
    app = client.app
    figures: list[Figure] = []
    portal = client.portal
    assert portal is not None
    for label, baseline, page_scope, api_scopes in pairs:
        times: dict[str, list[float]] = {"page": [], "api": []}
        for i in range(rounds + 5):
            seconds, status = portal.call(_served, app, page_scope)
            assert status == 200, f"{label} page: {status}"
            total = 0.0
            for scope in api_scopes:
                spent, answered = portal.call(_served, app, scope)
                assert answered == 200, f"{label} {scope['path']}: {answered}"
                total += spent
            if i >= 5:  # the first few warm the caches
                times["page"].append(seconds)
                times["api"].append(total)
        for q, name in ((0.5, "p50"), (0.99, "p99")):
            page_t, api_t = percentile(times["page"], q), percentile(times["api"], q)
            figures.append(
                Figure(
                    "web",
                    "",
                    f"{label}, server time {name}",
                    page_t * 1000,
                    "ms",
                    ratio=api_t / page_t,
                    baseline=f"{baseline} {name} ({api_t * 1000:.2f} ms)",
                    target=TARGET,
                    note=f"{rounds} requests each, alternating",
                )
            )
    return figures


def run(stores: list[str], seconds: float, *, quick: bool = False) -> list[Figure]:
    figures: list[Figure] = []
    for kind in stores:
        with tempfile.TemporaryDirectory(prefix=f"asb-bench-web-{kind}-") as directory:
            figures += [
                Figure(**{**f.__dict__, "store": kind})
                for f in _run(kind, Path(directory), quick, seconds)
            ]
    return figures


def _run(kind: str, directory: Path, quick: bool, seconds: float) -> list[Figure]:
    with store(kind) as where:
        url = (
            f"sqlite:///{directory / 'ledger.sqlite3'}"
            if kind == "sqlite"
            else f"{PG_URL}?schema={where.schema}"
        )
        settings = ApiSettings(data_dir=directory, database_url=url, _env_file=None)
        token = mint_token(
            settings, user="demo-caseworker", role=Role.CASEWORKER, org="council", team="asb-north"
        )
        api = {"Authorization": f"Bearer {token}"}
        with TestClient(create_app(settings)) as client:
            long_case, opened = _build(client, api, quick)
            _wait_for_views(client, api)
            cookie = {"Cookie": _session_cookie(client)}
            rounds = 30 if quick else max(200, int(seconds * 40))
            events = CASE_EVENTS if not quick else 40
            case_page = _scope(f"/app/cases/{long_case}", cookie)
            pairs: list[Pair] = [
                (
                    f"case page, {events}-event case",
                    "GET /cases/{id}",
                    case_page,
                    [_scope(f"/cases/{long_case}", api)],
                ),
                (
                    f"case page, {events}-event case",
                    "GET /cases/{id}, /risk and /links",
                    case_page,
                    [
                        _scope(f"/cases/{long_case}", api),
                        _scope(f"/cases/{long_case}/risk", api),
                        _scope(f"/cases/{long_case}/links", api),
                    ],
                ),
                (
                    f"caseload page, {opened} open cases",
                    "GET /caseload?limit=25",
                    _scope("/app/caseload", cookie),
                    [_scope("/caseload?limit=25", api)],
                ),
            ]
            return _compare(client, pairs, rounds)


def _wait_for_views(client: TestClient, api: dict[str, str]) -> None:
    """Until the caseload view has every case (a read with the head's position)."""
    head: Callable[[], int] = client.app.state.ledger.recorder.max_notification_id  # type: ignore[attr-defined]
    position = head() or 0
    for _ in range(600):
        answer = client.get(f"/caseload?limit=1&min_position={position}", headers=api)
        if answer.status_code == 200:
            return
        time.sleep(0.1)
    raise RuntimeError("the caseload view did not catch up")
