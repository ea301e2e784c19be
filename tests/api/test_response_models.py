"""Routes return their response models, so FastAPI checks every answer against its declared
model; those that build a response by hand are listed (and every command, whose receipt
``api/commanding.py`` builds once for all), and each of those answers exactly what its
declared model says (on both stores). Typed dependencies let a test replace a
service with ``app.dependency_overrides``."""

from __future__ import annotations

import inspect
import typing
from datetime import UTC, datetime
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from starlette.responses import Response

from api.app import create_app
from api.deps import get_clock
from api.schemas.views import ReceiptOut
from api.settings import ApiSettings
from commands.handlers import HANDLERS
from tests.api.conftest import Tokens, complaint

HAND_BUILT = {
    "case.detail": "an ETag, and a union model (the case now, or as of a version)",
    "ledger.checkpoint": "JSON or the bare signed note, by Accept",
    "ledger.checkpoint_text": "the bare signed note, text/plain",
    "readyz": "no model: a status and a position",
    "metrics": "no model: the Prometheus text format",
    "organisations.register": "a 201 with a Location header, its receipt built once",
    "organisations.retire": "a 201, its receipt built once",
    "people.merge": "a 201 with a Location header",
    "dpo.erase": "a 201, its answer built once",
    "sars.request": "a 201 with a Location header",
    "sars.identity": "a 201 with a Location header",
    "sars.stop_clock": "a 201 with a Location header",
    "sars.restart_clock": "a 201 with a Location header",
    "sars.extend": "a 201 with a Location header",
    "sars.close": "a 201 with a Location header",
    "sars.decide": "a 201 with a Location header",
    "sars.issue": "a 201, its answer built once",
    "sars.report": "the issued report file, text/html",
    "sars.bundle": "the issued bundle file, as written",
}
"""The routes that answer with a ``Response`` they build, and why."""


def routes(app: Any) -> list[APIRoute]:
    """Every API route, those of the included routers too (not the web pages, which
    answer HTML and are not in the schema)."""
    return [
        c.original_route
        for c in iter_route_contexts(app.routes)
        if isinstance(c.original_route, APIRoute) and c.original_route.include_in_schema
    ]


def test_every_route_returns_its_model_unless_listed_as_hand_built() -> None:
    hand_built, commands, checked = set(), set(), 0
    for route in routes(create_app(ApiSettings(_env_file=None))):
        returned = typing.get_type_hints(route.endpoint)["return"]
        if inspect.isclass(returned) and issubclass(returned, Response):
            if route.response_model is ReceiptOut:
                commands.add(route.name)
            else:
                hand_built.add(route.name)
            continue
        if route.response_model is not None:
            assert returned == route.response_model, route.name
            checked += 1
    assert hand_built == set(HAND_BUILT)
    assert commands == {command.name for command in HANDLERS}
    assert checked > 10  # lists, views, events, proofs, statistics


def exact(model: Any, body: Any) -> None:
    """``body`` is what ``model`` gives back after validating it: no field missing, extra
    or of another shape."""
    adapter: TypeAdapter[Any] = TypeAdapter(model)
    assert adapter.dump_python(adapter.validate_python(body), mode="json") == body


def test_the_hand_built_answers_match_their_declared_models(
    client: TestClient, tokens: Tokens
) -> None:
    declared = {r.name: r.response_model for r in routes(client.app)}
    staff = tokens("caseworker")
    opening = client.post("/cases", json=complaint(), headers=staff)
    opened = opening.json()
    case = f"/cases/{opened['case_id']}"
    incident = client.post(
        f"{case}/incidents",
        json={"incident_type": "noise", "description": "Music again at 2am."},
        headers={**staff, "Idempotency-Key": "once"},
    )
    again = client.post(
        f"{case}/incidents",
        json={"incident_type": "noise", "description": "Music again at 2am."},
        headers={**staff, "Idempotency-Key": "once"},
    )
    assert [r.status_code for r in (opening, incident, again)] == [201, 201, 201]
    for receipt in (opening, incident, again):
        exact(declared["record_incident"], receipt.json())
    assert again.json() == incident.json()

    now = client.get(case, headers=staff)
    then = client.get(case, params={"as_of_version": 1}, headers=staff)
    assert (now.status_code, then.status_code) == (200, 200)
    exact(declared["case.detail"], now.json())
    exact(declared["case.detail"], then.json())
    assert "as_of" in then.json()
    assert "as_of" not in now.json()

    notary = client.app.state.read_models.notary  # type: ignore[attr-defined]
    assert notary.wait_for(opened["position"], 20)
    notary.tick(force=True)
    checkpoint = client.get("/ledger/checkpoint", headers=staff)
    assert checkpoint.status_code == 200, checkpoint.text
    exact(declared["ledger.checkpoint"], checkpoint.json())


def test_a_test_may_replace_the_clock_through_the_dependency(
    api_settings: ApiSettings, tokens: Tokens
) -> None:
    app = create_app(api_settings)
    fixed = datetime(2031, 1, 2, 3, 4, tzinfo=UTC)

    async def clock() -> Any:
        return lambda: fixed

    app.dependency_overrides[get_clock] = clock
    with TestClient(app) as client:
        listed = client.get("/caseload", headers=tokens("caseworker"))
    assert listed.status_code == 200, listed.text
    assert listed.json()["as_of"] == "2031-01-02T03:04:00Z"
