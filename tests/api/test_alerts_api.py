"""The DPO's queue of break-glass uses over HTTP, on both stores: listed open first with their
reads, closed by the DPO as justified, corrected or escalated, reconciled by the case's later
assignment to the reader's team; DPOs act, auditors read, nobody else sees them; and the
rationale and the note never show in plaintext in the events, the views or the logs."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from api.settings import ApiSettings
from tests.api.conftest import Clock, Tokens
from tests.api.helpers import Api, problem
from tests.api.scans import logging_restored, stored
from tests.api.test_break_glass_api import Glass


def head(client: TestClient) -> int:
    position: int = client.app.state.ledger.recorder.max_notification_id() or 0  # type: ignore[attr-defined]
    return position


def queue(client: TestClient, tokens: Tokens, role: str = "dpo", **params: Any) -> dict[str, Any]:
    response = client.get(
        "/dpo/alerts", params={"min_position": head(client), **params}, headers=tokens(role)
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def close(
    client: TestClient, tokens: Tokens, grant_id: str, outcome: str, **body: Any
) -> dict[str, Any]:
    response = client.post(
        f"/dpo/alerts/{grant_id}/close", json={"outcome": outcome, **body}, headers=tokens("dpo")
    )
    assert response.status_code == 201, response.text
    closed: dict[str, Any] = response.json()
    return closed


@pytest.mark.parametrize("outcome", ["justified", "corrected", "escalated"])
def test_an_alert_is_listed_with_its_reads_and_closed_each_way(
    client: TestClient, tokens: Tokens, clock: Clock, outcome: str
) -> None:
    glass = Glass.on_a_north_case(client, tokens)
    granted = glass.grant()
    assert (glass.read(), glass.read("/timeline")) == (200, 200)

    (alert,) = queue(client, tokens)["items"]
    assert alert["grant_id"] == granted["grant_id"]
    assert (alert["case_id"], alert["reference"]) == (glass.case_id, granted["reference"])
    assert (alert["supervisor_id"], alert["supervisor_team"], alert["teams"]) == (
        "sv-south",
        "south",
        ["south"],
    )
    assert (alert["reason"], alert["reads"], alert["status"], alert["active"]) == (
        "safeguarding_emergency",
        2,
        "open",
        True,
    )
    assert alert["expires_at"] == alert["ends_at"] == granted["expires_at"]
    assert (alert["outcome"], alert["reconciled"]) == (None, False)

    closed = close(
        client, tokens, granted["grant_id"], outcome, follow_up="advice_given", note="Fictional"
    )
    assert (closed["outcome"], closed["follow_up"]) == (outcome, "advice_given")
    (after,) = queue(client, tokens)["items"]
    ends = outcome != "justified"
    assert (after["status"], after["outcome"], after["closed_by"]) == ("closed", outcome, "dpo-1")
    assert after["active"] is not ends
    assert glass.read() == (404 if ends else 200)
    assert after["ends_at"] == (closed["closed_at"] if ends else granted["expires_at"])

    again = client.post(
        f"/dpo/alerts/{granted['grant_id']}/close",
        json={"outcome": "justified"},
        headers=tokens("dpo"),
    )
    problem(again, 409, rule="break_glass.alert_closed")
    unknown = client.post(
        f"/dpo/alerts/{uuid.uuid4()}/close", json={"outcome": "justified"}, headers=tokens("dpo")
    )
    problem(unknown, 404)


def test_open_alerts_come_first_a_page_at_a_time(client: TestClient, tokens: Tokens) -> None:
    grants = [Glass.on_a_north_case(client, tokens).grant()["grant_id"] for _ in range(3)]
    close(client, tokens, grants[2], "justified")
    expected = [grants[1], grants[0], grants[2]]  # open (newest first), then closed
    assert [a["grant_id"] for a in queue(client, tokens)["items"]] == expected
    paged, cursor = [], None
    while True:
        page = queue(client, tokens, limit=1, **({"cursor": cursor} if cursor else {}))
        paged += [a["grant_id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert paged == expected
    assert [a["grant_id"] for a in queue(client, tokens, status="closed")["items"]] == grants[2:]
    assert len(queue(client, tokens, status="open", supervisor="sv-south")["items"]) == 2
    assert queue(client, tokens, supervisor="sv-east")["items"] == []


def test_a_use_followed_by_assignment_to_the_readers_team_is_reconciled(
    client: TestClient, tokens: Tokens
) -> None:
    ours, elsewhere = (Glass.on_a_north_case(client, tokens) for _ in range(2))
    ours_grant, elsewhere_grant = ours.grant()["grant_id"], elsewhere.grant()["grant_id"]
    boss = Api(client, tokens("supervisor", user="sv-north", team="north"))
    boss.ok(f"/cases/{ours.case_id}/assign", {"team": "south"})
    boss.ok(f"/cases/{elsewhere.case_id}/assign", {"team": "east"})

    (reconciled,) = queue(client, tokens, "auditor", reconciled=True)["items"]
    assert (reconciled["grant_id"], reconciled["reconciled_team"]) == (ours_grant, "south")
    assert reconciled["reconciled_at"] is not None
    (not_yet,) = queue(client, tokens, reconciled=False)["items"]
    assert (not_yet["grant_id"], not_yet["reconciled"]) == (elsewhere_grant, False)
    assert queue(client, tokens, case=ours.case_id)["items"] == [reconciled]


@pytest.mark.parametrize(
    "role", ["caseworker", "supervisor", "partner", "auditor", "dpo", "analyst", "admin"]
)
def test_dpos_close_alerts_auditors_read_them_and_nobody_else_sees_them(
    client: TestClient, tokens: Tokens, role: str
) -> None:
    grant_id = Glass.on_a_north_case(client, tokens).grant()["grant_id"]
    headers = tokens(role)
    listed = client.get("/dpo/alerts", headers=headers)
    one = client.get(f"/dpo/alerts/{grant_id}", headers=headers)
    closing = client.post(
        f"/dpo/alerts/{grant_id}/close", json={"outcome": "justified"}, headers=headers
    )
    reads = 200 if role in ("auditor", "dpo") else 403
    assert (listed.status_code, one.status_code) == (reads, reads)
    assert closing.status_code == (201 if role == "dpo" else 403)


def test_the_rationale_and_note_never_show_in_plaintext(
    client: TestClient,
    tokens: Tokens,
    store: str,
    api_settings: ApiSettings,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    rationale = f"CNRY-rationale-{uuid.uuid4().hex[:12]}"
    note = f"CNRY-note-{uuid.uuid4().hex[:12]}"
    with logging_restored(), capture_logs() as logs:
        glass = Glass.on_a_north_case(client, tokens)
        granted = glass.client.post(
            f"/cases/{glass.case_id}/break-glass",
            json={"reason": "police_request", "rationale": rationale},
            headers=glass.headers,
        )
        assert granted.status_code == 201, granted.text
        grant_id = granted.json()["grant_id"]
        assert glass.read() == 200
        closed = close(client, tokens, grant_id, "escalated", note=note)
        shown = [
            granted.text,
            str(closed),
            str(queue(client, tokens)),
            client.get("/dpo/disclosures", headers=tokens("dpo")).text,
            client.get(f"/cases/{glass.case_id}/events", headers=tokens("auditor")).text,
        ]
        detail = client.get(
            f"/dpo/alerts/{grant_id}", params={"min_position": head(client)}, headers=tokens("dpo")
        )
    assert detail.status_code == 200, detail.text
    assert (detail.json()["rationale"], detail.json()["note"]) == (rationale, note)  # control

    raw = stored(store, api_settings)
    assert b"police_request" in b"\n".join(raw.values()), "control: the scan sees the grant"
    output = capsys.readouterr()
    for canary in (rationale, note):
        for where, text in (
            *((f"response {i}", t) for i, t in enumerate(shown)),
            ("structlog events", repr(logs)),
            ("stderr", output.err),
            ("stdlib logs", caplog.text),
        ):
            assert canary not in text, where
        for name, data in raw.items():
            assert canary.lower().encode() not in data.lower(), name
