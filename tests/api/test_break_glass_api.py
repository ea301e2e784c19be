"""Break-glass over HTTP, on both stores, on the app's frozen clock: a supervisor's grant opens
a case's reads outside their team until it expires (never a command), each read recorded as
one under the grant; only supervisors may ask, and no one else learns whether a case exists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from ledger.application import CaseLedger
from ledger.break_glass import BreakGlassGranted
from ledger.type_names import type_name
from tests.api.conftest import Clock, Tokens
from tests.api.helpers import Api, problem

REASON = "safeguarding_emergency"
RATIONALE = "Fictional: the police called about a threat to the victim tonight."
READS = ("", "/events", "/timeline", "?as_of_version=1", "/risk", "/links")
"""The case's reads a grant opens (after the case's path), risk and links from their views."""


def outsider(tokens: Tokens, user: str = "sv-south") -> dict[str, str]:
    return tokens("supervisor", user=user, team="south")


@dataclass
class Glass:
    """A case of team north, and a supervisor of team south who breaks the glass on it."""

    client: TestClient
    tokens: Tokens
    case_id: str
    headers: dict[str, str]

    @classmethod
    def on_a_north_case(cls, client: TestClient, tokens: Tokens) -> Glass:
        case_id = Api(client, tokens("caseworker", user="cw-north")).open().case_id
        return cls(client, tokens, case_id, outsider(tokens))

    @property
    def ledger(self) -> CaseLedger:
        ledger: CaseLedger = self.client.app.state.ledger  # type: ignore[attr-defined]
        return ledger

    def grant(self, **body: Any) -> dict[str, Any]:
        response = self.client.post(
            f"/cases/{self.case_id}/break-glass",
            json={"reason": REASON, "rationale": RATIONALE, **body},
            headers=self.headers,
        )
        assert response.status_code == 201, response.text
        granted: dict[str, Any] = response.json()
        return granted

    def read(self, suffix: str = "") -> int:
        head = self.ledger.recorder.max_notification_id() or 0
        params = {"min_position": head} if suffix in ("/risk", "/links") else None
        url = f"/cases/{self.case_id}{suffix}"
        status: int = self.client.get(url, params=params, headers=self.headers).status_code
        return status


def test_a_grant_opens_the_case_reads_until_it_expires_and_never_a_command(
    client: TestClient, tokens: Tokens, clock: Clock
) -> None:
    glass = Glass.on_a_north_case(client, tokens)
    missing = problem(client.get(f"/cases/{uuid4()}", headers=glass.headers), 404)
    assert [glass.read(suffix) for suffix in READS] == [404] * len(READS)

    granted = glass.grant()
    assert granted["case_id"] == glass.case_id
    assert granted["reference"].startswith("ASB-2026-")
    expires = datetime.fromisoformat(granted["expires_at"])
    assert expires == clock.now + timedelta(hours=4)
    assert [glass.read(suffix) for suffix in READS] == [200] * len(READS)
    assert client.get(f"/cases/{granted['reference']}", headers=glass.headers).status_code == 200

    version = glass.ledger.get_case(UUID(glass.case_id)).version
    for command, body in (
        ("incidents", {"incident_type": "noise", "description": "Fictional: shouting"}),
        ("assign", {"team": "south"}),
    ):
        refused = client.post(f"/cases/{glass.case_id}/{command}", json=body, headers=glass.headers)
        assert problem(refused, 404) | {"instance": None} == missing | {"instance": None}
    assert glass.ledger.get_case(UUID(glass.case_id)).version == version

    clock.now = expires - timedelta(seconds=1)
    assert glass.read() == 200
    clock.now = expires
    assert [glass.read(suffix) for suffix in READS] == [404] * len(READS)
    after = problem(client.get(f"/cases/{glass.case_id}", headers=glass.headers), 404)
    assert {k: v for k, v in after.items() if k != "instance"} == {
        k: v for k, v in missing.items() if k != "instance"
    }


def test_every_read_under_a_grant_is_recorded_as_one_and_others_are_not(
    client: TestClient, tokens: Tokens, clock: Clock
) -> None:
    glass = Glass.on_a_north_case(client, tokens)
    granted = glass.grant()
    assert [glass.read(suffix) for suffix in READS] == [200] * len(READS)
    assert Api(client, tokens("caseworker", user="cw-north")).view(glass.case_id)
    clock.now = datetime.fromisoformat(granted["expires_at"])
    assert glass.read() == 404

    log = client.get(
        "/dpo/disclosures",
        params={"case": glass.case_id, "min_position": glass.ledger.recorder.max_notification_id()},
        headers=tokens("dpo"),
    )
    assert log.status_code == 200, log.text
    reads = [e for e in log.json()["items"] if e["kind"] == "access"]
    marked = [e for e in reads if e["break_glass_grant"] is not None]
    assert sorted(e["view"] for e in marked) == sorted(
        ["case.detail", "case.events", "case.timeline", "case.as_of", "case.risk", "case.links"]
    )
    assert {
        (e["break_glass_grant"], e["purpose"], e["actor_id"], e["outcome"]) for e in marked
    } == {(granted["grant_id"], "break_glass", "sv-south", "granted")}
    others = [e for e in reads if e["break_glass_grant"] is None]
    assert {(e["actor_id"], e["outcome"]) for e in others} >= {
        ("cw-north", "granted"),
        ("sv-south", "not_found"),
    }
    assert all(e["purpose"] != "break_glass" for e in others)


ROLES = ("caseworker", "partner", "auditor", "dpo", "analyst", "admin")


@pytest.mark.parametrize("role", ROLES)
def test_only_a_supervisor_breaks_the_glass_and_no_one_else_learns_a_case_exists(
    client: TestClient, tokens: Tokens, role: str
) -> None:
    glass = Glass.on_a_north_case(client, tokens)
    headers = tokens(role, team="south")
    answers = [
        client.post(
            f"/cases/{case}/break-glass",
            json={"reason": REASON, "rationale": RATIONALE},
            headers=headers,
        )
        for case in (glass.case_id, uuid4(), "ASB-2026-999999")
    ]
    bodies = [problem(answer, 403) for answer in answers]
    assert len({repr({k: v for k, v in b.items() if k != "instance"}) for b in bodies}) == 1
    granted = glass.ledger.recorder.select_notifications(
        1, 10_000, topics=[type_name(BreakGlassGranted)]
    )
    assert granted == []


def test_a_supervisor_is_refused_a_grant_not_needed_or_already_running(
    client: TestClient, tokens: Tokens
) -> None:
    glass = Glass.on_a_north_case(client, tokens)
    url = f"/cases/{glass.case_id}/break-glass"
    body = {"reason": REASON, "rationale": RATIONALE}
    home = tokens("supervisor", user="sv-north", team="north")
    problem(client.post(url, json=body, headers=home), 422, rule="break_glass.not_needed")
    missing = client.post(f"/cases/{uuid4()}/break-glass", json=body, headers=glass.headers)
    problem(missing, 404)
    blank = client.post(url, json={**body, "rationale": "   "}, headers=glass.headers)
    problem(blank, 422, rule="field.text_required")
    for wrong in ({"rationale": RATIONALE}, {**body, "reason": "curiosity"}, {**body, "x": 1}):
        problem(client.post(url, json=wrong, headers=glass.headers), 422)
    glass.grant()
    again = client.post(url, json=body, headers=glass.headers)
    problem(again, 409, rule="break_glass.already_granted")
    other = glass.client.post(url, json=body, headers=outsider(tokens, "sv-west"))
    assert other.status_code == 201, "another supervisor's grant is their own"
