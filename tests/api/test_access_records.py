"""Reads are recorded (DESIGN §4): every response showing personal data, and every refusal,
leaves an ``Accessed`` record in the ledger first; if it cannot, nothing is shown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient
from httpx import Response

from ledger.access import Accessed, AccessRecord
from ledger.enums import AccessOutcome, AccessPurpose
from tests.api.conftest import Tokens, complaint

ACCESSED = "asb.access.Accessed.v1"
ORG = "example-homes"
SECRETS = ("Cathy Complainant", "Vera Victim", "Walter Witness", "Loud music", "Example Road")


def accesses(client: TestClient) -> list[Accessed]:
    """Every access record in the app's ledger, oldest first."""
    ledger = client.app.state.ledger  # type: ignore[attr-defined]
    found = []
    for notification in ledger.recorder.select_notifications(1, 10000):
        if notification.topic == ACCESSED:
            event = ledger.mapper.to_domain_event(notification)
            assert isinstance(event, Accessed)
            found.append(event)
    return found


@dataclass
class Story:
    """A case on team south (officer cw-south) with three people, shared with ORG."""

    client: TestClient
    tokens: Tokens
    case_id: UUID
    complainant: UUID
    victim: UUID
    witness: UUID

    @property
    def version(self) -> int:
        version: int = self.client.app.state.ledger.get_case(self.case_id).version  # type: ignore[attr-defined]
        return version

    @property
    def people(self) -> set[UUID]:
        return {self.complainant, self.victim, self.witness}

    def call(
        self, headers: dict[str, str], method: str, path: str, body: Any = None
    ) -> tuple[Response, Accessed | None]:
        """The response, and the one access record it left (None if it left none)."""
        before = len(accesses(self.client))
        response = self.client.request(method, path, json=body, headers=headers)
        after = accesses(self.client)[before:]
        assert len(after) <= 1, f"{method} {path} left {len(after)} access records"
        return response, (after[0] if after else None)


@pytest.fixture
def story(client: TestClient, tokens: Tokens) -> Story:
    boss = tokens("supervisor", user="boss", teams=["north", "south"])

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(path, json=body, headers=boss)
        assert response.status_code == 201, response.text
        receipt: dict[str, Any] = response.json()
        return receipt

    opened = post("/cases", complaint(team="south", officer="cw-south"))
    case_id = opened["case_id"]
    people = [
        post(
            f"/cases/{case_id}/people",
            {"role": role, "details": {"name": name, "address": "1 Example Road"}},
        )["created"]["person_ref"]
        for role, name in (("victim", "Vera Victim"), ("witness", "Walter Witness"))
    ]
    post(
        f"/cases/{case_id}/shares",
        {
            "recipient": {"agency": "housing_provider", "organisation": ORG},
            "items": ["case_summary", f"person:{people[0]}"],
            "purpose": "safeguarding",
            "justification": "The landlord supports the victim.",
            "lawful_basis": "public_task",
            "gateway": "crime_and_disorder_act_1998_s115",
            "condition": "dpa2018_sch1_safeguarding",
            "consent": "given",
        },
    )
    return Story(
        client,
        tokens,
        UUID(case_id),
        UUID(opened["created"]["complainant_ref"]),
        UUID(people[0]),
        UUID(people[1]),
    )


def appeared(story: Story, response: Response) -> set[UUID]:
    """The story's people whose reference appears anywhere in the response."""
    return {ref for ref in story.people if str(ref) in response.text}


def test_reads_of_personal_data_record_who_what_which_version_and_whose(story: Story) -> None:
    t = story.tokens
    url = f"/cases/{story.case_id}"
    reads = [
        ("cw-south", t("caseworker", user="cw-south", team="south"), url, "case.detail"),
        (
            "sup-south",
            t("supervisor", user="sup-south", team="south"),
            f"{url}/events",
            "case.events",
        ),
        ("aud-1", t("auditor", user="aud-1"), url, "case.detail"),
        ("dpo-1", t("dpo", user="dpo-1"), f"{url}/events/{story.version}", "case.event"),
        ("landlord-1", t("partner", user="landlord-1", org=ORG), url, "case.detail"),
    ]
    for user, headers, path, view in reads:
        response, record = story.call(headers, "GET", path)
        assert response.status_code == 200, path
        assert record is not None, f"{path} left no access record"
        assert record.actor.user_id == user
        assert record.case_id == story.case_id
        assert record.case_version == story.version
        assert record.view == view
        assert record.outcome is AccessOutcome.GRANTED
        assert record.request_id == response.headers["x-request-id"]
        if view != "case.event":  # one event's subjects: see the test below
            assert sorted(record.subjects, key=str) == sorted(appeared(story, response), key=str)
    partner_record = story.call(reads[-1][1], "GET", url)[1]
    assert partner_record is not None
    assert list(partner_record.subjects) == [story.victim]
    assert partner_record.purpose is AccessPurpose.PARTNERSHIP


def test_reading_one_event_names_only_the_people_in_it(story: Story) -> None:
    auditor = story.tokens("auditor", user="aud-1")
    response, record = story.call(auditor, "GET", f"/cases/{story.case_id}/events/1")
    assert response.status_code == 200
    assert appeared(story, response) == {story.complainant}
    assert record is not None
    assert list(record.subjects) == [story.complainant]


Refusal = tuple[str, str, str, int, AccessOutcome]  # (who, method, path, status, outcome)


def refusals(story: Story) -> list[Refusal]:
    url = f"/cases/{story.case_id}"
    missing = f"/cases/{uuid4()}"
    return [
        ("cw-north", "GET", url, 404, AccessOutcome.NOT_FOUND),
        ("cw-north", "GET", f"{url}/events", 404, AccessOutcome.NOT_FOUND),
        ("cw-north", "POST", f"{url}/incidents", 404, AccessOutcome.NOT_FOUND),
        ("elsewhere", "GET", url, 404, AccessOutcome.NOT_FOUND),
        ("landlord", "GET", f"{url}/events", 403, AccessOutcome.DENIED),
        ("landlord", "GET", f"{url}/events/1", 403, AccessOutcome.DENIED),
        ("auditor", "POST", f"{url}/incidents", 403, AccessOutcome.DENIED),
        ("analyst", "GET", url, 403, AccessOutcome.DENIED),
        ("cw-north", "POST", f"{url}/assign", 403, AccessOutcome.DENIED),
        ("cw-south", "GET", missing, 404, AccessOutcome.NOT_FOUND),
        ("cw-south", "POST", f"{missing}/incidents", 404, AccessOutcome.NOT_FOUND),
    ]


def callers(tokens: Tokens) -> dict[str, dict[str, str]]:
    return {
        "cw-north": tokens("caseworker", user="cw-north", team="north"),
        "cw-south": tokens("caseworker", user="cw-south", team="south"),
        "elsewhere": tokens("partner", user="elsewhere", org="other-housing"),
        "landlord": tokens("partner", user="landlord", org=ORG),
        "auditor": tokens("auditor", user="auditor"),
        "analyst": tokens("analyst", user="analyst"),
    }


BODIES = {
    "incidents": {"incident_type": "noise", "description": "Shouting at 2am."},
    "assign": {"team": "east"},
}


def test_every_refusal_is_recorded_before_it_is_sent(story: Story) -> None:
    version = story.version
    headers = callers(story.tokens)
    for who, method, path, status, outcome in refusals(story):
        body = BODIES.get(path.rsplit("/", 1)[-1])
        response, record = story.call(headers[who], method, path, body)
        assert response.status_code == status, (method, path)
        assert record is not None, f"{method} {path} ({status}) left no access record"
        assert record.actor.user_id == who
        assert record.outcome is outcome, (method, path)
        assert str(record.case_id) == path.split("/")[2], (method, path)
        assert record.reason, (method, path)
        assert list(record.subjects) == []
        assert record.request_id == response.headers["x-request-id"]
        exists = record.case_id == story.case_id
        if status == 404:  # hidden: the version it had; missing: none
            assert record.case_version == (version if exists else None), (method, path)
        for secret in SECRETS:
            assert secret not in response.text
    assert story.version == version


def test_a_refused_list_is_recorded(story: Story) -> None:
    response, record = story.call(story.tokens("admin", user="admin-1"), "GET", "/cases")
    assert response.status_code == 403
    assert record is not None
    assert record.outcome is AccessOutcome.DENIED
    assert record.actor.user_id == "admin-1"
    assert record.case_id is None


def test_a_refusal_by_role_names_the_case_version(story: Story) -> None:
    partner = story.tokens("partner", org=ORG)
    response, record = story.call(partner, "GET", f"/cases/{story.case_id}/events")
    assert response.status_code == 403
    assert record is not None
    assert record.case_id == story.case_id
    assert record.case_version == story.version


def test_if_the_access_cannot_be_recorded_nothing_is_shown(
    story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = story.client.app.state.ledger  # type: ignore[attr-defined]

    def fail(record: AccessRecord) -> int:
        raise OperationalError("the store went away")

    monkeypatch.setattr(ledger, "record_access", fail)
    boss = story.tokens("supervisor", user="boss", teams=["north", "south"])
    url = f"/cases/{story.case_id}"
    north = story.tokens("caseworker", user="cw-north", team="north")
    for headers, path in (
        (boss, url),
        (boss, f"{url}/events"),
        (boss, f"{url}/events/1"),
        (story.tokens("partner", org=ORG), url),
        (north, url),  # a refusal that cannot be recorded is not sent either
        (story.tokens("analyst"), url),
    ):
        response = story.client.get(path, headers=headers)
        assert response.status_code == 503, path
        assert response.headers["content-type"] == "application/problem+json"
        assert "etag" not in response.headers
        for secret in (*SECRETS, *(str(ref) for ref in story.people)):
            assert secret not in response.text, path
    monkeypatch.undo()
    assert story.client.get(url, headers=boss).status_code == 200
