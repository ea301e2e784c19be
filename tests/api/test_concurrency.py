"""Racing writers over HTTP, on both stores: the loser of a race gets 409 and appends
nothing; a key makes retries and concurrent duplicates append exactly once.

The races are made deterministic by hooking the app's own ledger between the request's
load of the case and its save; the rival write goes through a second, independent
``CaseLedger`` on the same store, as another server process would."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.settings import ApiSettings
from commands import record_incident, reopen_case
from commands.record_incident import RecordIncident
from commands.reopen_case import ReopenCase
from commands.unit_of_work import UnitOfWork
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import IncidentType
from ledger.errors import ConcurrentWrite
from ledger.values import Receipt
from tests.api.conftest import Tokens
from tests.api.helpers import COMMANDS, ON_CASE, Api, Command, Scene, problem, reader, staged
from tests.builders import SUPERVISOR

WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def rival(api_settings: ApiSettings) -> Iterator[CaseLedger]:
    """Another process's ledger on the same store."""
    other = CaseLedger(api_settings)
    yield other
    other.close()


def rival_write(rival: CaseLedger, case_id: str, closed: bool) -> str:
    """Saves a change to the case through the rival ledger; returns its event's type."""
    if closed:
        reopen_case.handle(
            ReopenCase(
                case_id=UUID(case_id), actor=SUPERVISOR, occurred_at=WHEN, reason="New report."
            ),
            UnitOfWork(ledger=rival),
        )
        return "CaseReopened"
    record_incident.handle(
        RecordIncident(
            case_id=UUID(case_id),
            actor=SUPERVISOR,
            occurred_at=WHEN,
            incident_id=uuid4(),
            incident_type=IncidentType.NOISE,
            description="Another report, taken by phone at the same moment.",
        ),
        UnitOfWork(ledger=rival),
    )
    return "IncidentRecorded"


def after_the_load(
    monkeypatch: pytest.MonkeyPatch, ledger: CaseLedger, then: Callable[[], object]
) -> list[UUID]:
    """Runs ``then`` once, right after the next request has loaded its case (its one load,
    in ``ledger.update``); the request then decides and saves on what it
    loaded. Returns the ids it fired for."""
    load = ledger.get_case
    fired: list[UUID] = []

    def get_case(case_id: UUID, expected_version: int | None = None) -> Any:
        case = load(case_id, expected_version)
        if not fired:
            fired.append(case_id)
            then()
        return case

    monkeypatch.setattr(ledger, "get_case", get_case)
    return fired


def together(monkeypatch: pytest.MonkeyPatch, ledger: CaseLedger, method: str) -> threading.Barrier:
    """Holds each of two requests after its first call of ``ledger.<method>`` until both
    have made it: both have then read the same state, and both will try to save."""
    barrier = threading.Barrier(2, timeout=20)
    real = getattr(ledger, method)
    held: set[int] = set()

    def hold(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        if threading.get_ident() not in held:
            held.add(threading.get_ident())
            barrier.wait()
        return result

    monkeypatch.setattr(ledger, method, hold)
    return barrier


def saves(monkeypatch: pytest.MonkeyPatch, ledger: CaseLedger) -> list[str]:
    """Records how each of the app's case saves ends: "saved", or "lost" to a rival."""
    outcomes: list[str] = []

    def spy(real: Callable[..., Receipt]) -> Callable[..., Receipt]:
        def save(case: Case, *others: Any, **kwargs: Any) -> Receipt:
            try:
                receipt = real(case, *others, **kwargs)
            except ConcurrentWrite:
                outcomes.append("lost")
                raise
            outcomes.append("saved")
            return receipt

        return save

    monkeypatch.setattr(ledger, "save_case", spy(ledger.save_case))
    monkeypatch.setattr(ledger, "save_new_case", spy(ledger.save_new_case))
    return outcomes


def is_closed(look: Api, scene: Scene) -> bool:
    return bool(look.view(scene.case_id)["status"] == "closed")


@pytest.mark.parametrize("command", ON_CASE, ids=lambda c: c.name)
def test_the_loser_of_a_race_gets_409_and_appends_nothing(
    client: TestClient,
    tokens: Tokens,
    rival: CaseLedger,
    monkeypatch: pytest.MonkeyPatch,
    command: Command,
) -> None:
    api, scene = staged(client, tokens, command)
    look = reader(client, tokens)
    version, types = look.history(scene.case_id)
    closed = is_closed(look, scene)
    won: list[str] = []
    fired = after_the_load(
        monkeypatch, api.ledger, lambda: won.append(rival_write(rival, scene.case_id, closed))
    )
    outcomes = saves(monkeypatch, api.ledger)

    response = api.post(command.url(scene), command.body(scene))

    assert fired == [UUID(scene.case_id)]
    assert outcomes == ["lost"]
    body = problem(response, 409)
    assert body["type"].endswith("/conflict")
    assert look.history(scene.case_id) == (version + 1, [*types, *won])


def test_the_loser_retried_with_its_key_after_the_race_succeeds(
    client: TestClient, tokens: Tokens, rival: CaseLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = COMMANDS["record_incident"]
    api, scene = staged(client, tokens, command)
    look = reader(client, tokens)
    version, types = look.history(scene.case_id)
    after_the_load(monkeypatch, api.ledger, lambda: rival_write(rival, scene.case_id, False))
    outcomes = saves(monkeypatch, api.ledger)
    key = {"Idempotency-Key": "lost-then-retried"}

    lost = api.post(command.url(scene), command.body(scene), key)
    retried = api.post(command.url(scene), command.body(scene), key)
    replayed = api.post(command.url(scene), command.body(scene), key)

    problem(lost, 409)
    assert outcomes == ["lost", "saved"]  # the replay saved nothing
    assert retried.status_code == 201, retried.text
    assert retried.json()["version"] == version + 2
    assert replayed.status_code == 201
    assert replayed.json() == retried.json()
    expected = [*types, "IncidentRecorded", "IncidentRecorded"]
    assert look.history(scene.case_id) == (version + 2, expected)
    incidents = look.view(scene.case_id)["incidents"]
    assert retried.json()["created"]["incident_id"] in {i["incident_id"] for i in incidents}


@pytest.mark.parametrize(
    ("name", "held_at"),
    [("open_case", "prepare_opening"), ("record_incident", "get_case"), ("close_case", "get_case")],
)
def test_two_concurrent_requests_with_one_key_append_once(
    client: TestClient,
    tokens: Tokens,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    held_at: str,
) -> None:
    command = COMMANDS[name]
    api, scene = staged(client, tokens, command)
    look = reader(client, tokens)
    before = look.history(scene.case_id) if scene.case_id else (0, [])
    barrier = together(monkeypatch, api.ledger, held_at)
    outcomes = saves(monkeypatch, api.ledger)
    key = {"Idempotency-Key": f"twice-{name}"}

    def send(_: int) -> Response:
        return api.post(command.url(scene), command.body(scene), key)

    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(send, range(2))

    assert not barrier.broken, "the two requests did not run at the same time"
    assert sorted(outcomes) == ["lost", "saved"]  # both tried; the loser replayed the winner
    assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
    assert first.json() == second.json()
    receipt = first.json()
    case_id = receipt["case_id"]
    version, types = before
    assert look.history(case_id) == (
        version + len(command.events),
        [*types, *command.events],
    )
    assert receipt["version"] == version + len(command.events)
    if not command.on_case:  # one case opened, not two
        listed = client.get(
            "/cases", params={"min_position": receipt["position"]}, headers=look.headers
        )
        assert [item["case_id"] for item in listed.json()["items"]] == [case_id]


def test_two_concurrent_requests_with_one_key_and_different_bodies(
    client: TestClient, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One wins; the other finds the key taken by another request: 422, not a replay."""
    command = COMMANDS["record_incident"]
    api, scene = staged(client, tokens, command)
    look = reader(client, tokens)
    version, types = look.history(scene.case_id)
    together(monkeypatch, api.ledger, "get_case")
    outcomes = saves(monkeypatch, api.ledger)
    key = {"Idempotency-Key": "twice-differently"}
    bodies = [command.body(scene), {**command.body(scene), "description": "Another account."}]

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(lambda b: api.post(command.url(scene), b, key), bodies))

    assert sorted(outcomes) == ["lost", "saved"]
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 422], [r.text for r in responses]
    (refused,) = [r for r in responses if r.status_code == 422]
    problem(refused, 422, rule="idempotency.key_reused")
    assert look.history(scene.case_id) == (version + 1, [*types, "IncidentRecorded"])
