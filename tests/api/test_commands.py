"""Every command route over HTTP, on both stores: what it appends and shows, and how it
refuses (401, 403, 404, 412, 422) or replays (Idempotency-Key) without appending."""

from __future__ import annotations

import re
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from api.routes.common import COMMAND_HEADERS
from tests.api.conftest import Tokens
from tests.api.helpers import (
    ALL_COMMANDS,
    COMMANDS,
    ON_CASE,
    Api,
    Command,
    Scene,
    named_fields,
    problem,
    reader,
    staged,
)

every_command = pytest.mark.parametrize("command", ALL_COMMANDS, ids=lambda c: c.name)
case_commands = pytest.mark.parametrize("command", ON_CASE, ids=lambda c: c.name)
ANOTHER_TIME = "2026-03-01T08:00:00+00:00"


def unchanged(api: Api, scene: Scene, before: tuple[int, list[str]]) -> None:
    """Then: the case has the same version and events as before (a refusal appended none)."""
    if scene.case_id:
        assert api.history(scene.case_id) == before


def history(api: Api, scene: Scene) -> tuple[int, list[str]]:
    return api.history(scene.case_id) if scene.case_id else (0, [])


def test_every_command_route_is_in_the_table(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    posted = {path for path, operations in paths.items() if "post" in operations}
    on_cases = {path for path in posted if path.startswith("/cases")}
    # A break-glass grant is not a command on the case: tests/api/test_break_glass_api.py.
    assert on_cases - {"/cases/{case_id}/break-glass"} == {command.path for command in ALL_COMMANDS}
    assert posted - on_cases == {
        "/organisations",
        "/organisations/{org_id}/retire",
        "/people/search",
        "/people/{person_ref}/merge",
        "/places/search",
        "/dpo/erasures",
        *(
            f"/dpo/sars{tail}"
            for tail in (
                "",
                "/{sar_id}/identity",
                "/{sar_id}/clock/stop",
                "/{sar_id}/clock/restart",
                "/{sar_id}/extension",
                "/{sar_id}/close",
                "/{sar_id}/items/{item}/decision",
                "/{sar_id}/issue",
            )
        ),
        "/dpo/alerts/{grant_id}/close",
        "/dpo/holds",
        "/dpo/holds/{hold_id}/lift",
    }


@every_command
def test_a_command_appends_its_events_and_shows_its_effect(
    client: TestClient, tokens: Tokens, command: Command
) -> None:
    api, scene = staged(client, tokens, command)
    look = reader(client, tokens)
    headers: dict[str, str] = {}
    before, types = 0, list[str]()
    if scene.case_id:
        etag = client.get(f"/cases/{scene.case_id}", headers=look.headers).headers["ETag"]
        headers = {"If-Match": etag}  # the current version: accepted
        before, types = look.history(scene.case_id)

    response = api.post(command.url(scene), command.body(scene), headers)

    assert response.status_code == 201, response.text
    receipt = response.json()
    assert set(receipt) == {"case_id", "version", "position", "created"}
    case_id = scene.case_id or receipt["case_id"]
    assert receipt["case_id"] == case_id
    assert receipt["version"] == before + len(command.events)
    assert receipt["position"] > 0
    assert response.headers["ETag"] == f'"{receipt["version"]}"'
    version, now = look.history(case_id)
    assert (version, now) == (receipt["version"], [*types, *command.events])
    location = response.headers["Location"]
    if command.on_case:
        assert location == f"/cases/{case_id}/events/{receipt['version']}"
        event = client.get(location, headers=look.headers).json()
        assert (event["version"], event["type"]) == (receipt["version"], command.events[-1])
    else:
        assert location == f"/cases/{case_id}"
    command.effect(look.view(case_id), scene, receipt)


@every_command
def test_a_command_needs_a_valid_token_and_a_role_that_may(
    client: TestClient, tokens: Tokens, command: Command
) -> None:
    api, scene = staged(client, tokens, command)
    look = reader(client, tokens)
    before, head = history(look, scene), look.head()
    url, body = command.url(scene), command.body(scene)

    missing = client.post(url, json=body)
    garbage = client.post(url, json=body, headers={"Authorization": "Bearer not.a.token"})
    assert look.head() == head  # no access record either: nobody to attribute it to
    auditor = api.as_(tokens("auditor")).post(url, body)

    for response in (missing, garbage):
        problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    problem(auditor, 403)
    unchanged(look, scene, before)


def test_a_caseworker_may_not_assign(client: TestClient, tokens: Tokens) -> None:
    command = COMMANDS["assign_case"]
    api, scene = staged(client, tokens, command)
    look = reader(client, tokens)
    before = look.history(scene.case_id)

    response = api.as_(tokens("caseworker")).post(command.url(scene), command.body(scene))

    problem(response, 403)
    unchanged(look, scene, before)
    assert look.view(scene.case_id)["team"] == "north"


@case_commands
def test_an_unknown_case_and_another_teams_case_are_the_same_404(
    client: TestClient, tokens: Tokens, command: Command
) -> None:
    api, scene = staged(client, tokens, command)
    look = reader(client, tokens)
    before = look.history(scene.case_id)
    south = tokens(command.role, user="south-1", team="south")
    missing = Scene(str(uuid4()), scene.complainant, scene.ids)

    unknown = api.as_(south).post(command.url(missing), command.body(missing))
    hidden = api.as_(south).post(command.url(scene), command.body(scene))

    bodies = [problem(r, 404) for r in (unknown, hidden)]
    assert [b.pop("instance") for b in bodies] == [command.url(missing), command.url(scene)]
    assert bodies[0] == bodies[1]
    assert unknown.headers["content-type"] == hidden.headers["content-type"]
    unchanged(look, scene, before)


@case_commands
def test_a_stale_if_match_is_412_with_the_current_version(
    client: TestClient, tokens: Tokens, command: Command
) -> None:
    api, scene = staged(client, tokens, command)
    look = reader(client, tokens)
    before = look.history(scene.case_id)
    current = before[0]

    response = api.post(command.url(scene), command.body(scene), {"If-Match": f'"{current - 1}"'})

    problem(response, 412, current_version=current)
    assert response.headers["ETag"] == f'"{current}"'
    unchanged(look, scene, before)


@pytest.mark.parametrize("etag", ['W/"1"', "1", " 1 "])
def test_if_match_is_read_in_each_form_an_etag_takes(
    client: TestClient, tokens: Tokens, etag: str
) -> None:
    api = Api(client, tokens())
    scene = api.open()
    command = COMMANDS["record_incident"]

    response = api.post(command.url(scene), command.body(scene), {"If-Match": etag})

    problem(response, 412, current_version=2)


def test_if_match_star_or_the_current_version_is_accepted(
    client: TestClient, tokens: Tokens
) -> None:
    api = Api(client, tokens())
    scene = api.open()
    command = COMMANDS["add_agency"]

    api.ok(command.url(scene), command.body(scene), {"If-Match": "*"})
    api.ok(
        command.url(scene),
        {**command.body(scene), "organisation": "test-police"},
        {"If-Match": 'W/"3"'},
    )


def test_a_malformed_if_match_is_400(client: TestClient, tokens: Tokens) -> None:
    api = Api(client, tokens())
    scene = api.open()
    command = COMMANDS["record_incident"]
    before = api.history(scene.case_id)

    response = api.post(command.url(scene), command.body(scene), {"If-Match": '"seven"'})

    problem(response, 400)
    unchanged(api, scene, before)


@every_command
def test_a_retry_with_the_same_key_replays_the_first_answer(
    client: TestClient, tokens: Tokens, command: Command
) -> None:
    api, scene = staged(client, tokens, command)
    key = {"Idempotency-Key": f"retry-{command.name}"}
    first = api.post(command.url(scene), command.body(scene), key)
    assert first.status_code == 201, first.text
    case_id = first.json()["case_id"]
    look = reader(client, tokens)
    after_first = look.history(case_id)
    head = api.head()

    again = api.post(command.url(scene), command.body(scene), key)

    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert [again.headers[h] for h in ("Location", "ETag")] == [
        first.headers[h] for h in ("Location", "ETag")
    ]
    assert api.head() == head  # nothing appended, anywhere
    assert look.history(case_id) == after_first
    assert after_first[0] == first.json()["version"]


@every_command
def test_a_key_reused_for_another_body_is_422(
    client: TestClient, tokens: Tokens, command: Command
) -> None:
    api, scene = staged(client, tokens, command)
    key = {"Idempotency-Key": "reused"}
    first = api.post(command.url(scene), command.body(scene), key)
    assert first.status_code == 201, first.text
    look = reader(client, tokens)
    case_id = first.json()["case_id"]
    before, head = look.history(case_id), api.head()

    other = {**command.body(scene), "occurred_at": ANOTHER_TIME}
    response = api.post(command.url(scene), other, key)

    problem(response, 422, rule="idempotency.key_reused")
    assert api.head() == head
    assert look.history(case_id) == before


def test_a_key_is_the_callers_own(client: TestClient, tokens: Tokens) -> None:
    """Two callers may use the same key: each gets their own command."""
    command = COMMANDS["record_incident"]
    api = Api(client, tokens())
    scene = api.open()
    key = {"Idempotency-Key": "shared-key"}

    mine = api.ok(command.url(scene), command.body(scene), key)
    theirs = api.as_(tokens(user="caseworker-2")).ok(command.url(scene), command.body(scene), key)

    assert theirs["version"] == mine["version"] + 1
    assert theirs["created"]["incident_id"] != mine["created"]["incident_id"]


def test_a_refused_command_leaves_its_key_unused(client: TestClient, tokens: Tokens) -> None:
    command = COMMANDS["record_incident"]
    api = Api(client, tokens())
    scene = api.open()
    key = {"Idempotency-Key": "after-a-refusal"}
    blank = {**command.body(scene), "description": "   "}
    before = api.history(scene.case_id)

    problem(api.post(command.url(scene), blank, key), 422, rule="field.text_required")
    unchanged(api, scene, before)
    again = api.post(command.url(scene), blank, key)  # the same refusal, not a replay
    problem(again, 422, rule="field.text_required")

    fixed = api.post(command.url(scene), command.body(scene), key)
    assert fixed.status_code == 201, fixed.text
    assert fixed.json()["version"] == before[0] + 1


@pytest.mark.parametrize("key", ["", "x" * 201, "tab\there"])
def test_a_malformed_idempotency_key_is_422(client: TestClient, tokens: Tokens, key: str) -> None:
    api = Api(client, tokens())
    scene = api.open()
    command = COMMANDS["record_incident"]
    before = api.history(scene.case_id)

    response = api.post(command.url(scene), command.body(scene), {"Idempotency-Key": key})

    assert named_fields(response) == ["header.Idempotency-Key"]
    unchanged(api, scene, before)


@every_command
def test_a_malformed_body_or_an_unknown_field_is_422_naming_it(
    client: TestClient, tokens: Tokens, command: Command
) -> None:
    api, scene = staged(client, tokens, command)
    before = history(api, scene)
    body, field = command.broken_body(scene)

    malformed = api.post(command.url(scene), body)
    unknown = api.post(command.url(scene), {**command.body(scene), "colour": "blue"})

    assert named_fields(malformed) == [field]
    assert field in malformed.json()["detail"]
    assert named_fields(unknown) == ["body.colour"]
    unchanged(api, scene, before)


def test_a_body_that_is_not_json_is_422(client: TestClient, tokens: Tokens) -> None:
    api = Api(client, tokens())
    scene = api.open()
    command = COMMANDS["record_incident"]
    before = api.history(scene.case_id)

    response = client.post(
        command.url(scene),
        content=b"{not json",
        headers={**api.headers, "Content-Type": "application/json"},
    )

    problem(response, 422)
    unchanged(api, scene, before)


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (b'{"description": "Loud music", "incident_type"', "line 1, column 46 (character 45)"),
        (
            b'{\n  "description": "Loud music",\n  "harms": [,]\n}',
            "line 3, column 13 (character 45)",
        ),
    ],
    ids=["truncated", "a stray comma"],
)
def test_a_body_that_is_not_json_names_the_body_and_where_it_breaks(
    client: TestClient, tokens: Tokens, content: bytes, where: str
) -> None:
    api = Api(client, tokens())
    scene = api.open()
    command = COMMANDS["record_incident"]

    response = client.post(
        command.url(scene),
        content=content,
        headers={**api.headers, "Content-Type": "application/json"},
    )

    body = problem(response, 422, detail="invalid: body")
    (error,) = body["errors"]
    assert error["field"] == "body"
    assert error["message"].startswith("the body is not valid JSON: ")
    assert error["message"].endswith(f" at {where}")
    assert "Loud" not in response.text  # never the value given


def _header(name: str) -> dict[str, Any]:
    (found,) = (p for p in COMMAND_HEADERS["parameters"] if p["name"] == name)
    schema: dict[str, Any] = found["schema"]
    return schema


@pytest.mark.parametrize(
    ("value", "documented"),
    [
        ('"7"', True),
        ('W/"7"', True),
        ("7", True),
        ("*", True),
        ('"seven"', False),
        ("W/7", False),
        ('"7', False),
        ("\u00b2", False),  # a digit to str.isdigit, not to int()
        ('"1234567890123"', False),
    ],
)
def test_if_match_is_refused_exactly_when_its_documented_pattern_refuses_it(
    client: TestClient, tokens: Tokens, value: str, documented: bool
) -> None:
    schema = _header("If-Match")
    assert bool(re.search(schema["pattern"], value)) is documented
    api = Api(client, tokens())
    scene = api.open()
    command = COMMANDS["record_incident"]

    response = api.post(
        command.url(scene),
        command.body(scene),
        {"If-Match": value.encode("latin-1")},  # type: ignore[dict-item]
    )

    assert (response.status_code != 400) is documented, response.text


@pytest.mark.parametrize(
    ("key", "documented"),
    [
        ("a", True),
        ("retry 1: order #12 (cafe-free)", True),
        ("x" * 200, True),
        ("x" * 201, False),
        ("tab\there", False),
        ("caf\u00e9", False),
    ],
)
def test_an_idempotency_key_is_refused_exactly_when_its_documented_pattern_refuses_it(
    client: TestClient, tokens: Tokens, key: str, documented: bool
) -> None:
    schema = _header("Idempotency-Key")
    assert bool(re.search(schema["pattern"], key)) is documented
    assert schema["maxLength"] == 200
    api = Api(client, tokens())
    scene = api.open()
    command = COMMANDS["record_incident"]

    response = api.post(
        command.url(scene),
        command.body(scene),
        {"Idempotency-Key": key.encode("latin-1")},  # type: ignore[dict-item]
    )

    assert (response.status_code == 201) is documented, response.text


def test_a_method_a_path_lacks_is_405_naming_every_method_it_has(client: TestClient) -> None:
    for path, methods in (
        ("/cases", {"GET", "HEAD", "POST"}),
        ("/cases/00000000-0000-4000-8000-000000000000", {"GET", "HEAD"}),
    ):
        for method in ("OPTIONS", "DELETE", "PUT"):
            response = client.request(method, path)
            assert response.status_code == 405, (method, path)
            assert set(response.headers["Allow"].split(", ")) == methods, (method, path)


def test_a_time_given_as_a_number_is_refused_naming_the_field(
    client: TestClient, tokens: Tokens
) -> None:
    """Schemathesis found it: pydantic takes ``-178`` for seconds since 1970, which the
    schema (a date-time string) does not allow."""
    api = Api(client, tokens())
    scene = api.open()
    before = api.history(scene.case_id)
    for value in (-178, 1_700_000_000, 1.5):
        body = {**COMMANDS["record_incident"].body(scene), "occurred_at": value}
        response = api.post(f"/cases/{scene.case_id}/incidents", body)
        problem(response, 422)
        assert named_fields(response) == ["body.occurred_at"]
    assert api.history(scene.case_id) == before
