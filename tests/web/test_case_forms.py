"""A case command's form: drawn with the case's version and a key, carried out through the
API's own command path, refused with errors by field and rule, and refused when stale with
the case as it is now."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from ledger.application import CaseLedger
from ledger.case import Case
from tests.web.complaints import last_position
from tests.web.test_frame import page_client, sign_in


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from page_client(ApiSettings(data_dir=tmp_path), demo=True)


def open_case(client: TestClient) -> Case:
    ledger: CaseLedger = client.app.state.ledger  # type: ignore[attr-defined]
    cases = [ledger.get_case(UUID(str(i))) for i in ledger.case_ids()]
    return next(c for c in cases if c.team == "asb-north" and c.closure is None)


def hidden(text: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', text)
    assert found is not None, name
    return found.group(1)


def draw(client: TestClient, case: Case) -> dict[str, str]:
    form = client.get(f"/app/cases/{case.id}/incidents")
    assert form.status_code == 200, form.text
    assert hidden(form.text, "version") == str(case.version)
    return {
        "csrf_token": hidden(form.text, "csrf_token"),
        "version": hidden(form.text, "version"),
        "idempotency_key": hidden(form.text, "idempotency_key"),
    }


def incidents(client: TestClient, case: Case) -> int:
    ledger: CaseLedger = client.app.state.ledger  # type: ignore[attr-defined]
    return len(ledger.get_case(case.id).incidents)


def test_an_incident_recorded_through_its_form_is_on_the_case(client: TestClient) -> None:
    sign_in(client)
    case = open_case(client)
    before = incidents(client, case)
    sent = client.post(
        f"/app/cases/{case.id}/incidents",
        data={
            **draw(client, case),
            "occurred_at": "2026-12-01T23:30",
            "incident_type": "noise",
            "description": "Music until 2am.",
            "harms": ["targeted", "impact_on_health"],
            "criminal": "no",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    ledger: CaseLedger = client.app.state.ledger  # type: ignore[attr-defined]
    # the case page waits, briefly, for its views to reach what was recorded
    assert sent.headers["location"] == (
        f"/app/cases/{case.id}?done=IncidentRecorded&min_position={last_position(ledger, case.id)}"
    )
    assert incidents(client, case) == before + 1
    recorded = list(ledger.get_case(case.id).incidents.values())[-1]
    assert recorded.occurred_at == datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # GMT in December


def test_a_form_sent_twice_records_once(client: TestClient) -> None:
    sign_in(client)
    case = open_case(client)
    before = incidents(client, case)
    data = {**draw(client, case), "incident_type": "noise", "description": "Shouting."}
    for _ in range(2):
        sent = client.post(f"/app/cases/{case.id}/incidents", data=data, follow_redirects=False)
        assert sent.status_code == 303
    assert incidents(client, case) == before + 1


def test_a_missing_field_is_named_beside_it_and_nothing_is_recorded(client: TestClient) -> None:
    sign_in(client)
    case = open_case(client)
    before = incidents(client, case)
    sent = client.post(
        f"/app/cases/{case.id}/incidents",
        data={**draw(client, case), "description": "No kind given."},
    )
    assert sent.status_code == 422
    assert 'href="#incident_type"' in sent.text  # the error summary links to the field
    assert 'id="incident_type-error"' in sent.text
    assert "No kind given." in sent.text  # what was typed is kept
    assert incidents(client, case) == before


def test_a_stale_form_is_refused_clearly_with_the_case_as_it_is_now(client: TestClient) -> None:
    sign_in(client)
    case = open_case(client)
    first = draw(client, case)
    second = draw(client, case)
    ok = client.post(
        f"/app/cases/{case.id}/incidents",
        data={**first, "incident_type": "noise", "description": "First."},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    stale = client.post(
        f"/app/cases/{case.id}/incidents",
        data={**second, "incident_type": "graffiti", "description": "Second."},
    )
    assert stale.status_code == 412
    assert "Someone else changed this case while you had this form open" in stale.text
    assert 'id="current-state"' in stale.text
    assert hidden(stale.text, "version") == str(case.version + 1)  # drawn on the case now
    assert "Second." in stale.text
    assert incidents(client, case) == len(case.incidents) + 1


def test_a_broken_rule_is_shown_in_plain_words_with_its_code(client: TestClient) -> None:
    sign_in(client)
    case = open_case(client)
    sent = client.post(
        f"/app/cases/{case.id}/incidents",
        data={
            **draw(client, case),
            "incident_type": "noise",
            "description": "In the future.",
            "occurred_at": "2099-01-01T10:00",
        },
    )
    assert sent.status_code == 422
    assert "The date cannot be in the future" in sent.text
    assert "date.in_future" in sent.text


def test_a_partner_cannot_reach_the_form_of_a_case_not_shared_with_them(
    client: TestClient,
) -> None:
    sign_in(client, "demo-housing-officer")
    case = open_case(client)
    assert client.get(f"/app/cases/{case.id}/incidents").status_code == 404
