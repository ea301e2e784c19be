"""Driving the complaint and people pages in tests without a browser: the form as a
person fills it in, sent with the CSRF token and idempotency key the page drew."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient
from httpx import Response

from api.auth import mint_token
from ledger.access import Accessed
from ledger.application import CaseLedger
from ledger.enums import Role
from tests.api.test_access_records import accesses

CATHY = {
    "complainant-name": "Cathy Complainant",
    "complainant-contact": "07700 900123",
    "complainant-date_of_birth-day": "12",
    "complainant-date_of_birth-month": "4",
    "complainant-date_of_birth-year": "1961",
}


def complaint(**changes: Any) -> dict[str, Any]:
    """Every field of the form filled in as a caseworker would (``key=None`` drops one)."""
    form: dict[str, Any] = {
        "channel": "phone",
        "category": "personal",
        "description": "Loud music most nights after midnight.",
        "location": "Flat 2, 10 Example Road, Stafford ST16 2AB",
        "ward": "Forebridge",
        "lead_department": "community_safety",
        **CATHY,
        "same_address": "yes",
        "preferred_contact": "phone",
        "victim": "no",
    }
    for name, value in changes.items():
        name = name.replace("__", "-")
        if value is None:
            form.pop(name, None)
        else:
            form[name] = value
    return form


def drawn(client: TestClient, path: str) -> dict[str, str]:
    """The hidden fields of the page's main form: its CSRF token and idempotency key."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    return {k: v for k, v in fields.items() if k in ("csrf_token", "idempotency_key")}


def send(client: TestClient, form: dict[str, Any], **hidden: str) -> Response:
    """The complaint form drawn afresh, filled in with ``form`` and sent."""
    fields = {**drawn(client, "/app/complaints/new"), **hidden}
    answer: Response = client.post(
        "/app/complaints/new", data={**fields, **form}, follow_redirects=False
    )
    return answer


def opened(answer: Response) -> UUID:
    """The case a sent complaint opened (the page it went to)."""
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(
        r"/app/cases/([0-9a-f-]{36})\?done=CaseOpened&min_position=\d+", answer.headers["location"]
    )
    assert found is not None, answer.headers["location"]
    return UUID(found.group(1))


def ledger_of(client: TestClient) -> CaseLedger:
    ledger: CaseLedger = client.app.state.ledger  # type: ignore[attr-defined]
    return ledger


def last_position(ledger: CaseLedger, case_id: UUID) -> int:
    """The ledger position of the case's latest event."""
    found = ledger.recorder.select_notifications(1, 100_000)
    return max(n.id for n in found if n.originator_id == case_id)


def bearer(
    client: TestClient, user: str, team: str, role: Role = Role.CASEWORKER
) -> dict[str, str]:
    """An API caller's headers, for what a test sets up through the API."""
    settings = client.app.state.settings  # type: ignore[attr-defined]
    token = mint_token(settings, user=user, role=role, org="council", team=team)
    return {"Authorization": f"Bearer {token}"}


def recorded(client: TestClient, view: str) -> list[Accessed]:
    """The access records of one view, oldest first."""
    return [a for a in accesses(client) if a.view == view]


def text_of(html: str) -> str:
    """A page's text, its tags and spacing folded, for what a person reads on it."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
