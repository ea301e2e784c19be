"""The notary over HTTP, on both stores: signed checkpoints (JSON and the bare C2SP note),
inclusion and consistency proofs that verify against notes checked with the data directory's
``notary.pub``, who may read them, the partners' checkpoint header, and what an alarm shows."""

from __future__ import annotations

import base64
import copy
import time
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api import policy
from api.principal import Principal
from api.settings import ApiSettings
from ledger import merkle
from ledger.checkpoint import Checkpoint, VerifierKey, verify
from ledger.enums import AccessOutcome, Role
from ledger.events import CaseEvent
from projections.notary import Notary, NotaryAlarm, chained_topics
from tests.api.conftest import Tokens, complaint
from tests.api.helpers import Api, problem
from tests.api.test_access_records import accesses

JSON = dict[str, Any]
PEOPLE = ("caseworker", "supervisor", "partner", "auditor", "dpo", "analyst", "admin")
LEDGER_URLS = (
    "/ledger/checkpoint",
    "/ledger/checkpoint.txt",
    "/ledger/proofs/inclusion?leaf_index=0",
    "/ledger/proofs/consistency?from=1",
)


@pytest.fixture
def api_settings(api_settings: ApiSettings) -> ApiSettings:
    """Sign a checkpoint after every page of events, so one covers each command promptly."""
    return api_settings.model_copy(update={"checkpoint_every": 1})


def notary_of(client: TestClient) -> Notary:
    notary: Notary = client.app.state.read_models.notary  # type: ignore[attr-defined]
    return notary


def settle(client: TestClient, position: int) -> None:
    """Waits until the notary has logged ``position`` (and signed, every page)."""
    assert notary_of(client).wait_for(position, 20), f"the notary never reached {position}"


class Auditor:
    """Checks what the API says against the notary's public key, as an outsider would."""

    def __init__(self, settings: ApiSettings) -> None:
        text = (settings.data_dir / "notary.pub").read_text(encoding="ascii")
        self.key = VerifierKey.parse(text)
        self.origin = settings.notary_origin

    def note(self, note: str) -> Checkpoint:
        return verify(note, self.key.public_key, self.key.name, origin=self.origin)

    def checkpoint(self, body: JSON) -> Checkpoint:
        """A checkpoint body whose fields all say what its verified note says."""
        signed = self.note(body["note"])
        assert (body["origin"], body["tree_size"]) == (signed.origin, signed.size)
        assert body["root"] == body["note"].split("\n")[2]
        assert base64.b64decode(body["root"]) == bytes.fromhex(body["root_hex"]) == signed.root
        return signed

    def inclusion(self, body: JSON) -> Checkpoint:
        signed = self.checkpoint(body["checkpoint"])
        assert body["tree_size"] == signed.size
        leaf = merkle.event_leaf_hash(body["event_hash"])
        assert body["leaf_hash"] == leaf.hex()
        path = [bytes.fromhex(h) for h in body["audit_path"]]
        merkle.verify_inclusion(leaf, body["leaf_index"], signed.size, path, signed.root)
        return signed

    def consistency(self, body: JSON) -> tuple[Checkpoint, Checkpoint]:
        old = self.checkpoint(body["from_checkpoint"])
        new = self.checkpoint(body["to_checkpoint"])
        assert (body["from_size"], body["to_size"]) == (old.size, new.size)
        proof = [bytes.fromhex(h) for h in body["proof"]]
        merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)
        return old, new


@pytest.fixture
def auditor(client: TestClient, api_settings: ApiSettings) -> Auditor:
    return Auditor(api_settings)  # the app made the key on start-up


def get(client: TestClient, url: str, headers: dict[str, str], **params: Any) -> Response:
    response: Response = client.get(url, params=params, headers=headers)
    return response


def ok(client: TestClient, url: str, headers: dict[str, str], **params: Any) -> JSON:
    response = get(client, url, headers, **params)
    assert response.status_code == 200, response.text
    assert "x-ledger-alarm" not in response.headers
    body: JSON = response.json()
    return body


def a_case(
    client: TestClient, tokens: Tokens, *, incidents: int = 2, **body: Any
) -> tuple[Api, str]:
    """A case (opened, assigned, a victim linked, ``incidents`` incidents) by a supervisor
    of teams north and south, all logged and signed; the supervisor and the case id."""
    api = Api(client, tokens("supervisor", user="boss", teams=["north", "south"]))
    case_id = api.open(**body).case_id
    api.ok(f"/cases/{case_id}/people", {"role": "victim", "details": {"name": "Vic"}})
    for n in range(incidents):
        incident(api, case_id, n)
    settle(client, api.head())
    return api, case_id


def incident(api: Api, case_id: str, n: int = 0) -> JSON:
    body = {"incident_type": "noise", "description": f"Incident {n}."}
    return api.ok(f"/cases/{case_id}/incidents", body)


def case_events(api: Api, case_id: str) -> list[JSON]:
    response = api.client.get(f"/cases/{case_id}/events", headers=api.headers)
    assert response.status_code == 200, response.text
    events: list[JSON] = response.json()["events"]
    return events


def flipped(hex_hash: str) -> str:
    raw = bytearray(bytes.fromhex(hex_hash))
    raw[0] ^= 1
    return raw.hex()


# ------------------------------------------------------------------ who may read


def test_without_a_token_every_ledger_route_is_401(client: TestClient) -> None:
    for url in LEDGER_URLS:
        response = client.get(url)
        problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_role_reads_checkpoints_and_proofs_by_hash_and_index(
    client: TestClient, tokens: Tokens, auditor: Auditor
) -> None:
    api, case_id = a_case(client, tokens)
    events = case_events(api, case_id)
    settle(client, api.head())  # that read was recorded, and logged: now nothing moves
    for role in PEOPLE:
        headers = tokens(role, org="example-homes" if role == "partner" else "council")
        latest = ok(client, "/ledger/checkpoint", headers)
        assert latest["alarm"] is False
        signed = auditor.checkpoint(latest)
        assert signed.size == notary_of(client).latest_checkpoint().size  # type: ignore[union-attr]
        by_index = ok(client, "/ledger/proofs/inclusion", headers, leaf_index=0)
        assert auditor.inclusion(by_index).size == signed.size
        by_hash = ok(
            client, "/ledger/proofs/inclusion", headers, event_hash=events[-1]["event_hash"]
        )
        auditor.inclusion(by_hash)
        assert (by_hash["case_id"], by_hash["version"]) == (None, None)  # nothing about the case
        first = notary_of(client).checkpoints()[0].size
        auditor.consistency(ok(client, "/ledger/proofs/consistency", headers, **{"from": first}))


# ------------------------------------------------------------------ checkpoints


def test_the_latest_checkpoint_as_json_and_as_the_bare_note(
    client: TestClient, tokens: Tokens, auditor: Auditor
) -> None:
    api, case_id = a_case(client, tokens, incidents=0)
    headers = tokens("auditor")
    json_answer = get(client, "/ledger/checkpoint", headers)
    assert json_answer.headers["content-type"] == "application/json"
    assert json_answer.headers["vary"] == "Accept"
    note = json_answer.json()["note"]
    assert note == notary_of(client).latest_checkpoint().note  # type: ignore[union-attr]
    assert auditor.note(note).size >= 3
    for accept in ("text/plain", "text/*", "application/json;q=0.5, text/plain", "text/plain;q=1"):
        text = get(client, "/ledger/checkpoint", {**headers, "Accept": accept})
        assert text.status_code == 200, accept
        assert text.headers["content-type"] == "text/plain; charset=utf-8", accept
        assert text.text == note, accept
    for accept in (
        "*/*",
        "application/json",
        "application/json, text/plain;q=0.9",
        "text/plain;q=0",
    ):
        assert (
            get(client, "/ledger/checkpoint", {**headers, "Accept": accept}).json()["note"] == note
        )
    plain = get(client, "/ledger/checkpoint.txt", headers)
    assert (plain.status_code, plain.text) == (200, note)
    assert plain.headers["content-type"].startswith("text/plain")

    first = notary_of(client).checkpoints()[0]
    incident(api, case_id)
    settle(client, api.head())
    earlier = ok(client, "/ledger/checkpoint", headers, size=first.size)
    assert earlier["note"] == first.note
    assert auditor.checkpoint(earlier).size == first.size
    assert get(client, "/ledger/checkpoint.txt", headers, size=first.size).text == first.note
    assert ok(client, "/ledger/checkpoint", headers)["tree_size"] > first.size


def test_before_anything_is_signed_the_latest_is_a_503(
    bare_client: TestClient, tokens: Tokens
) -> None:
    client, headers = bare_client, tokens("analyst")
    for url in (
        "/ledger/checkpoint",
        "/ledger/checkpoint.txt",
        "/ledger/proofs/consistency?from=1",
    ):
        response = client.get(url, headers=headers)
        problem(response, 503, type="https://asb-ledger.example/problems/no-checkpoint")
        assert response.headers["Retry-After"]
    problem(client.get("/ledger/proofs/inclusion?leaf_index=0", headers=headers), 404)


def test_a_read_may_wait_for_its_own_write(
    client: TestClient, tokens: Tokens, auditor: Auditor
) -> None:
    receipt = Api(client, tokens()).ok("/cases", complaint())
    body = ok(client, "/ledger/checkpoint", tokens("auditor"), min_position=receipt["position"])
    assert auditor.checkpoint(body).size >= 2  # the opening and its assignment, at least


# ------------------------------------------------------------------ proofs


def test_every_event_of_a_case_is_proved_by_case_and_version_and_by_hash(
    client: TestClient, tokens: Tokens, auditor: Auditor
) -> None:
    api, case_id = a_case(client, tokens)
    events = case_events(api, case_id)
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    settle(client, api.head())  # the events read above was recorded, and is logged too
    before = len(accesses(client))
    indices = []
    for event in events:
        by_case = ok(
            client,
            "/ledger/proofs/inclusion",
            api.headers,
            case_id=case_id,
            version=event["version"],
        )
        auditor.inclusion(by_case)
        assert by_case["event_hash"] == event["event_hash"]
        assert (by_case["case_id"], by_case["version"]) == (case_id, event["version"])
        by_hash = ok(
            client, "/ledger/proofs/inclusion", api.headers, event_hash=event["event_hash"]
        )
        assert by_hash["leaf_index"] == by_case["leaf_index"]
        auditor.inclusion(by_hash)
        indices.append(by_case["leaf_index"])
        path = by_case["audit_path"]
        with pytest.raises(merkle.InvalidProof):  # the check can fail: one bit flipped
            auditor.inclusion({**by_case, "audit_path": [flipped(path[0]), *path[1:]]})
    assert indices == sorted(indices)  # notification order
    recorded = accesses(client)[before:]
    assert [(a.view, a.case_id, a.case_version, a.outcome) for a in recorded] == [
        ("ledger.inclusion", UUID(case_id), e["version"], AccessOutcome.GRANTED) for e in events
    ]
    assert {a.actor.user_id for a in recorded} == {"boss"}
    assert [list(a.subjects) for a in recorded] == [[]] * len(events)  # hashes: nobody's data


def test_proofs_against_an_earlier_checkpoint_and_consistency_between_two(
    client: TestClient, tokens: Tokens, auditor: Auditor
) -> None:
    api, case_id = a_case(client, tokens, incidents=0)
    older = notary_of(client).latest_checkpoint()
    assert older is not None
    incident(api, case_id)
    incident(api, case_id)
    settle(client, api.head())
    newer = notary_of(client).latest_checkpoint()
    assert newer is not None
    assert newer.size > older.size
    headers = tokens("partner", org="example-homes")

    body = ok(
        client, "/ledger/proofs/consistency", headers, **{"from": older.size, "to": newer.size}
    )
    old, new = auditor.consistency(body)
    assert (old.root, new.root) == (older.root, newer.root)
    assert body["proof"]
    latest = ok(client, "/ledger/proofs/consistency", headers, **{"from": older.size})
    assert latest["to_checkpoint"]["note"] == ok(client, "/ledger/checkpoint", headers)["note"]
    auditor.consistency(latest)
    same = ok(
        client, "/ledger/proofs/consistency", headers, **{"from": older.size, "to": older.size}
    )
    assert same["proof"] == []
    auditor.consistency(same)
    with pytest.raises(merkle.InvalidProof):  # the check can fail: another tree's old root
        auditor.consistency(body | {"proof": [flipped(body["proof"][0]), *body["proof"][1:]]})

    at_older = ok(client, "/ledger/proofs/inclusion", headers, leaf_index=0, tree_size=older.size)
    assert auditor.inclusion(at_older).root == older.root
    later = ok(client, "/ledger/proofs/inclusion", headers, leaf_index=older.size)
    assert auditor.inclusion(later).size == newer.size
    problem(
        get(
            client, "/ledger/proofs/inclusion", headers, leaf_index=older.size, tree_size=older.size
        ),
        409,
        type="https://asb-ledger.example/problems/not-in-checkpoint",
        leaf_index=older.size,
        tree_size=older.size,
    )


def test_an_event_not_yet_logged_has_no_proof(
    client: TestClient, tokens: Tokens, auditor: Auditor
) -> None:
    api, case_id = a_case(client, tokens, incidents=0)
    client.app.state.read_models.runner.stop()  # type: ignore[attr-defined]
    receipt = incident(api, case_id)
    event = case_events(api, case_id)[-1]
    assert event["version"] == receipt["version"]
    problem(
        get(
            client,
            "/ledger/proofs/inclusion",
            api.headers,
            case_id=case_id,
            version=event["version"],
        ),
        409,
        type="https://asb-ledger.example/problems/not-in-checkpoint",
    )
    problem(
        get(client, "/ledger/proofs/inclusion", api.headers, event_hash=event["event_hash"]),
        404,
        type="https://asb-ledger.example/problems/unknown-leaf",
    )
    auditor.inclusion(
        ok(client, "/ledger/proofs/inclusion", api.headers, case_id=case_id, version=1)
    )


# ------------------------------------------------------------------ refusals


def named(response: Response, status: int, kind: str) -> list[str]:
    body = problem(response, status, type=f"https://asb-ledger.example/problems/{kind}")
    return [error["field"] for error in body["errors"]]


def test_bad_parameters_are_refused_naming_them(client: TestClient, tokens: Tokens) -> None:
    _api, case_id = a_case(client, tokens, incidents=0)
    notary = notary_of(client)
    signed = {c.size for c in notary.checkpoints()}
    latest = max(signed)
    never = min(set(range(1, latest)) - signed)  # a case's opening and assignment: one page
    h = tokens("auditor")
    inclusion, consistency = "/ledger/proofs/inclusion", "/ledger/proofs/consistency"
    selectors = ["query.event_hash", "query.leaf_index", "query.case_id"]
    cases: list[tuple[str, JSON, int, str, list[str]]] = [
        (inclusion, {}, 422, "invalid-request", selectors),
        (
            inclusion,
            {"leaf_index": 0, "event_hash": "0" * 64},
            422,
            "invalid-request",
            ["query.event_hash", "query.leaf_index"],
        ),
        (inclusion, {"case_id": case_id}, 422, "invalid-request", ["query.version"]),
        (inclusion, {"version": 1}, 422, "invalid-request", ["query.case_id"]),
        (
            inclusion,
            {"case_id": case_id, "version": 1, "leaf_index": 0},
            422,
            "invalid-request",
            ["query.leaf_index", "query.case_id"],
        ),
        (inclusion, {"event_hash": "A" * 64}, 422, "invalid-request", ["query.event_hash"]),
        (inclusion, {"event_hash": "0" * 63}, 422, "invalid-request", ["query.event_hash"]),
        (inclusion, {"leaf_index": -1}, 422, "invalid-request", ["query.leaf_index"]),
        (inclusion, {"leaf_index": 0, "tree_size": 0}, 422, "invalid-request", ["query.tree_size"]),
        (
            inclusion,
            {"leaf_index": 0, "tree_size": never},
            404,
            "unknown-checkpoint",
            ["query.tree_size"],
        ),
        (
            inclusion,
            {"leaf_index": 0, "tree_size": 2**63},
            422,
            "invalid-request",
            ["query.tree_size"],
        ),
        (consistency, {}, 422, "invalid-request", ["query.from"]),
        (consistency, {"from": 0}, 422, "invalid-request", ["query.from"]),
        (consistency, {"from": latest, "to": latest - 1}, 422, "invalid-request", ["query.from"]),
        (consistency, {"from": latest + 1}, 422, "invalid-request", ["query.from"]),
        (consistency, {"from": never}, 404, "unknown-checkpoint", ["query.from"]),
        (consistency, {"from": never, "to": latest + 5}, 404, "unknown-checkpoint", ["query.to"]),
        ("/ledger/checkpoint", {"size": never}, 404, "unknown-checkpoint", ["query.size"]),
        ("/ledger/checkpoint", {"size": "two"}, 422, "invalid-request", ["query.size"]),
        ("/ledger/checkpoint.txt", {"size": never}, 404, "unknown-checkpoint", ["query.size"]),
    ]
    for url, params, status, kind, fields in cases:
        assert named(get(client, url, h, **params), status, kind) == fields, (url, params)


def test_an_unknown_hash_or_index_is_404(client: TestClient, tokens: Tokens) -> None:
    a_case(client, tokens, incidents=0)
    h = tokens("analyst")
    size = notary_of(client).tree_size()
    for params in ({"event_hash": "0" * 64}, {"leaf_index": size + 10}):
        response = get(client, "/ledger/proofs/inclusion", h, **params)
        problem(response, 404, type="https://asb-ledger.example/problems/unknown-leaf")


def test_a_case_is_proved_by_its_reference_as_by_its_id(
    client: TestClient, tokens: Tokens, auditor: Auditor
) -> None:
    api, case_id = a_case(client, tokens)
    reference = api.view(case_id)["reference"]
    settle(client, api.head())
    by_id = ok(client, "/ledger/proofs/inclusion", api.headers, case_id=case_id, version=1)
    by_reference = ok(client, "/ledger/proofs/inclusion", api.headers, case_id=reference, version=1)
    auditor.inclusion(by_reference)
    assert by_reference["leaf_index"] == by_id["leaf_index"]
    assert by_reference["case_id"] == case_id
    unknown = client.get(
        "/ledger/proofs/inclusion",
        params={"case_id": "ASB-1999-000001", "version": 1},
        headers=api.headers,
    )
    assert unknown.status_code == 404, unknown.text


def test_by_case_a_hidden_case_is_the_same_404_as_an_unknown_one(
    client: TestClient, tokens: Tokens
) -> None:
    _api, hidden = a_case(client, tokens, incidents=0, team="south", officer="cw-south")
    north = tokens("caseworker", user="cw-north", team="north")
    unknown = str(uuid4())
    answers = [
        problem(get(client, "/ledger/proofs/inclusion", north, case_id=c, version=1), 404)
        for c in (hidden, unknown)
    ]
    assert [{k: v for k, v in a.items() if k != "instance"} for a in answers] == [
        {
            "type": "https://asb-ledger.example/problems/not-found",
            "title": "Not found",
            "status": 404,
            "detail": "no such case",
        }
    ] * 2
    for role in ("partner", "analyst", "admin"):  # they may not read any case's events
        problem(
            get(client, "/ledger/proofs/inclusion", tokens(role), case_id=hidden, version=1), 403
        )
    auditor = ok(client, "/ledger/proofs/inclusion", tokens("auditor"), case_id=hidden, version=1)
    assert auditor["version"] == 1
    problem(
        get(client, "/ledger/proofs/inclusion", tokens("auditor"), case_id=hidden, version=99),
        404,
        detail="the case has no version 99",
    )
    refused = [a for a in accesses(client) if a.view == "ledger.inclusion"]
    assert [(a.actor.user_id, a.case_id, a.outcome) for a in refused] == [
        ("cw-north", UUID(hidden), AccessOutcome.NOT_FOUND),
        ("cw-north", UUID(unknown), AccessOutcome.NOT_FOUND),
        ("partner-1", UUID(hidden), AccessOutcome.DENIED),
        ("analyst-1", UUID(hidden), AccessOutcome.DENIED),
        ("admin-1", UUID(hidden), AccessOutcome.DENIED),
        ("auditor-1", UUID(hidden), AccessOutcome.GRANTED),
    ]


# ------------------------------------------------------------------ partners' header


def header_checkpoint(response: Response, auditor: Auditor) -> Checkpoint:
    return auditor.note(base64.b64decode(response.headers["X-Ledger-Checkpoint"]).decode())


def test_responses_to_partners_carry_the_latest_checkpoint(
    client: TestClient, tokens: Tokens, auditor: Auditor
) -> None:
    api, case_id = a_case(client, tokens, incidents=0)
    partner = tokens("partner", org="example-homes")
    notes = {c.note for c in notary_of(client).checkpoints()}
    for url, status in (("/cases", 200), ("/caseload", 403), ("/ledger/checkpoint", 200)):
        response = client.get(url, headers=partner)
        assert response.status_code == status, url
        assert base64.b64decode(response.headers["X-Ledger-Checkpoint"]).decode() in notes
        header_checkpoint(response, auditor)
        assert "X-Ledger-Alarm" not in response.headers
    for role in ("caseworker", "supervisor", "auditor", "dpo", "analyst", "admin"):
        assert "X-Ledger-Checkpoint" not in client.get("/cases", headers=tokens(role)).headers
    assert "X-Ledger-Checkpoint" not in client.get("/cases").headers  # 401: nobody known

    incident(api, case_id)
    settle(client, api.head())
    newest = notary_of(client).latest_checkpoint()
    assert newest is not None
    deadline = time.monotonic() + 5  # the header is read again about once a second
    while header_checkpoint(client.get("/cases", headers=partner), auditor).size < newest.size:
        assert time.monotonic() < deadline, "the partners' header never moved on"
        time.sleep(0.2)


# ------------------------------------------------------------------ an alarm


def fork(client: TestClient) -> str:
    """Gives the notary a second version 1 of the first case it logged: a fork. Returns
    the alarm's reason."""
    ledger = client.app.state.ledger  # type: ignore[attr-defined]
    topics = set(chained_topics())
    first = next(
        ledger.mapper.to_domain_event(n)
        for n in ledger.recorder.select_notifications(1, 100)
        if n.topic in topics
    )
    assert isinstance(first, CaseEvent)
    notary = notary_of(client)
    last = notary.leaves_of(first.originator_id)[-1].version
    reason = f"version 1 follows version {last} in the log: a fork"
    with pytest.raises(NotaryAlarm, match=reason), notary.page():
        notary.log(copy.copy(first), 10**9)
    return reason


def test_an_alarm_is_shown_and_the_latest_checkpoint_is_a_503(
    client: TestClient, tokens: Tokens, auditor: Auditor
) -> None:
    _api, case_id = a_case(client, tokens, incidents=0)
    last = notary_of(client).latest_checkpoint()
    assert last is not None
    reason = fork(client)
    h = tokens("dpo")
    for url in ("/ledger/checkpoint", "/ledger/checkpoint.txt"):
        response = get(client, url, h)
        body = problem(response, 503, type="https://asb-ledger.example/problems/notary-alarm")
        assert response.headers["X-Ledger-Alarm"] == "notary-stopped"
        assert auditor.checkpoint(body["checkpoint"]).size == last.size
        assert body["alarms"] == [{"position": 10**9, "reason": reason}]
        assert case_id not in response.text  # nothing names the case
    flagged = [
        get(client, "/ledger/checkpoint", h, size=last.size),
        get(client, "/ledger/proofs/inclusion", h, leaf_index=0),
        get(client, "/ledger/proofs/consistency", h, **{"from": last.size}),
    ]
    for response in flagged:
        assert response.status_code == 200, response.text
        assert response.headers["X-Ledger-Alarm"] == "notary-stopped"
        assert response.json()["alarm"] is True
    auditor.inclusion(flagged[1].json())

    partner = tokens("partner", org="example-homes")
    deadline = time.monotonic() + 5
    while "X-Ledger-Alarm" not in (seen := client.get("/cases", headers=partner)).headers:
        assert time.monotonic() < deadline, "partners were never told of the alarm"
        time.sleep(0.2)
    assert seen.headers["X-Ledger-Alarm"] == "notary-stopped"
    assert header_checkpoint(seen, auditor).size == last.size


# ------------------------------------------------------------------ a tampered log


def test_a_proof_that_fails_its_own_check_is_never_served(
    client: TestClient, tokens: Tokens, store: str
) -> None:
    a_case(client, tokens, incidents=0)
    notary = notary_of(client)
    with notary.store.transaction() as tx:  # behind the application's back
        if store == "postgres":
            tx.execute(f"ALTER TABLE {notary.tables.leaves} DISABLE TRIGGER USER")
        tx.execute(
            notary.store.sql(
                f"UPDATE {notary.tables.leaves} SET leaf_hash = ? WHERE leaf_index = 1"
            ),
            ("00" * 32,),
        )
    h = tokens("auditor")
    for params in ({"leaf_index": 1}, {"leaf_index": 0}):  # its own leaf, and a neighbour's path
        response = get(client, "/ledger/proofs/inclusion", h, **params)
        problem(response, 500, type="https://asb-ledger.example/problems/integrity-failure")


class Stranger(Enum):
    ROOT = "root"


def test_every_person_may_read_the_log_and_nobody_else() -> None:
    read = policy.Action.READ_LEDGER
    assert policy.ROLES[read] == frozenset(Role) - {Role.SYSTEM}

    def caller(role: Any) -> Principal:
        return Principal(user_id="u-1", display_name="U", role=role, organisation="council")

    assert all(policy.decide(caller(Role(role)), read).allowed for role in PEOPLE)
    assert not policy.decide(caller(Role.SYSTEM), read).allowed
    assert not policy.decide(caller(Stranger.ROOT), read).allowed
    assert not policy.decide(None, read).allowed
