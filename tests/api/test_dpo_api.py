"""GET /dpo/disclosures: the disclosure log for the DPO and auditors only; every query (and
every refusal) is itself recorded as an access; filters, pages and read-your-writes."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from ledger.access import Accessed
from ledger.enums import AccessOutcome, AccessPurpose
from tests.api.conftest import Tokens
from tests.api.helpers import Api, Scene, problem, stall_read_models
from tests.api.test_access_records import accesses
from tests.api.test_canaries import Story, write

JSON = dict[str, Any]
POLICE = "staffordshire-police"


class Told:
    """A case with a victim, an incident against them, a share of it with the police and a
    police officer's read of it; and the ledger's head after all that."""

    def __init__(self, client: TestClient, tokens: Tokens) -> None:
        self.api = Api(client, tokens())
        self.scene: Scene = self.api.open()
        self.api.do("link_person", self.scene)
        self.victim = self.scene.ids["person_ref"]
        incident = self.api.ok(
            f"/cases/{self.scene.case_id}/incidents",
            {"incident_type": "noise", "description": "Shouting.", "victim_refs": [self.victim]},
        )["created"]["incident_id"]
        self.share_position = self.api.ok(
            f"/cases/{self.scene.case_id}/shares",
            {
                "recipient": {"agency": "police", "organisation": POLICE},
                "items": [f"incident:{incident}", f"person:{self.victim}"],
                "purpose": "prevent_crime_and_disorder",
                "justification": "The police need the incident.",
                "lawful_basis": "public_task",
                "gateway": "crime_and_disorder_act_1998_s115",
                "condition": "dpa2018_sch1_preventing_or_detecting_unlawful_acts",
                "consent": "not_sought",
                "consent_note": "It would prejudice the prevention of crime.",
            },
        )["position"]
        police = tokens("partner", user="pc-7", org=POLICE, team=None)
        seen = client.get(f"/cases/{self.scene.case_id}", headers=police)
        assert seen.status_code == 200, seen.text
        self.head = self.api.head()


def ask(client: TestClient, headers: dict[str, str], **params: Any) -> Any:
    return client.get("/dpo/disclosures", params=params, headers=headers)


def ok(client: TestClient, headers: dict[str, str], **params: Any) -> JSON:
    response = ask(client, headers, **params)
    assert response.status_code == 200, response.text
    body: JSON = response.json()
    return body


@pytest.mark.parametrize(
    ("role", "purpose"), [("dpo", AccessPurpose.DATA_PROTECTION), ("auditor", AccessPurpose.AUDIT)]
)
def test_the_dpo_and_auditor_see_who_saw_or_received_data_about_a_person(
    client: TestClient, tokens: Tokens, role: str, purpose: AccessPurpose
) -> None:
    told = Told(client, tokens)
    headers = tokens(role, user=f"{role}-1", team=None)
    before = len(accesses(client))
    body = ok(client, headers, subject=told.victim, min_position=told.head)

    share, read = sorted(body["items"], key=lambda item: item["position"])
    assert body["next_cursor"] is None
    assert (share["kind"], share["position"]) == ("share", told.share_position)
    assert (share["recipient_organisation"], share["recipient_agency"]) == (POLICE, "police")
    assert (share["purpose"], share["lawful_basis"]) == (
        "prevent_crime_and_disorder",
        "public_task",
    )
    assert share["subjects"] == [told.victim]
    assert share["actor_id"] == "caseworker-1"
    assert share["case_id"] == told.scene.case_id
    assert share["case_version"] == 5
    assert (read["kind"], read["view"], read["actor_id"], read["outcome"]) == (
        "access",
        "case.detail",
        "pc-7",
        "granted",
    )
    assert told.victim in read["subjects"]
    assert read["purpose"] == "partnership"
    for item in body["items"]:
        assert item["subjects"]
        assert all(UUID(ref) for ref in item["subjects"])

    (record,) = accesses(client)[before:]
    assert (record.view, record.outcome, record.purpose) == (
        "dpo.disclosures",
        AccessOutcome.GRANTED,
        purpose,
    )
    assert list(record.subjects) == [UUID(told.victim)]
    assert (record.actor.user_id, record.case_id, record.case_version) == (f"{role}-1", None, None)

    # The query itself is now in the log, about the same person.
    again = ok(client, headers, subject=told.victim, min_position=told.api.head())
    newest = again["items"][0]
    assert (newest["view"], newest["actor_id"], newest["actor_role"]) == (
        "dpo.disclosures",
        f"{role}-1",
        role,
    )
    assert newest["purpose"] == purpose.value
    assert newest["subjects"] == [told.victim]


def test_no_one_else_may_read_the_log_and_each_refusal_is_recorded(
    client: TestClient, tokens: Tokens
) -> None:
    told = Told(client, tokens)
    for role in ("caseworker", "supervisor", "partner", "analyst", "admin"):
        headers = tokens(role, team=None if role in {"partner", "analyst", "admin"} else "north")
        before = len(accesses(client))
        response = ask(client, headers, subject=told.victim)
        problem(response, 403)
        assert told.victim not in response.text
        assert POLICE not in response.text
        (record,) = accesses(client)[before:]
        assert isinstance(record, Accessed)
        assert (record.view, record.outcome, record.actor.role.value) == (
            "dpo.disclosures",
            AccessOutcome.DENIED,
            role,
        )
        assert not record.subjects


def test_no_token_no_log(client: TestClient) -> None:
    problem(client.get("/dpo/disclosures"), 401)


def test_filters_by_case_actor_and_time_and_pages(client: TestClient, tokens: Tokens) -> None:
    told = Told(client, tokens)
    other = Told(client, tokens)
    dpo = tokens("dpo", user="dpo-1", team=None)
    head = other.head

    by_case = ok(client, dpo, case=told.scene.case_id, min_position=head)["items"]
    assert {item["case_id"] for item in by_case} == {told.scene.case_id}
    assert {item["kind"] for item in by_case} == {"share", "access"}
    by_actor = ok(client, dpo, actor="pc-7", min_position=head)["items"]
    assert [item["case_id"] for item in by_actor] == [other.scene.case_id, told.scene.case_id]
    both = ok(client, dpo, actor="pc-7", case=other.scene.case_id)["items"]
    assert [item["case_id"] for item in both] == [other.scene.case_id]
    # Everything so far happened at the app clock's one instant. The DPO's own queries
    # about the case are logged too, and may or may not be projected yet: leave them out.
    at = "2026-03-02T09:00:00+00:00"
    since = ok(client, dpo, case=told.scene.case_id, **{"from": at})["items"]
    assert not_by(since, "dpo-1") == not_by(by_case, "dpo-1") != []
    assert ok(client, dpo, case=told.scene.case_id, to=at)["items"] == []
    assert ok(client, dpo, subject=str(uuid4()))["items"] == []

    everything = ok(client, dpo, min_position=told.api.head())["items"]
    positions = [item["position"] for item in everything]
    assert positions == sorted(positions, reverse=True)
    assert len(positions) >= 7
    walked: list[int] = []
    cursor = None
    for _ in range(20):
        page = ok(client, dpo, limit=2, **({"cursor": cursor} if cursor else {}))
        walked += [item["position"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Each page is a query, recorded (and so logged) as it goes: the walk sees the first
    # listing's entries, in order, and only the walk's own queries besides.
    assert [p for p in walked if p in positions] == positions
    assert len(walked) == len(set(walked))


def not_by(items: list[dict[str, Any]], actor: str) -> list[int]:
    return [item["position"] for item in items if item["actor_id"] != actor]


BAD_QUERIES: list[tuple[dict[str, Any], str]] = [
    ({"cursor": "not-a-cursor"}, "query.cursor"),
    ({"from": "2026-03-02T10:00:00+00:00", "to": "2026-03-02T09:00:00+00:00"}, "query.from"),
    ({"from": "2026-03-02T10:00:00"}, "query.from"),
    ({"subject": "someone"}, "query.subject"),
    ({"case": "ASB-2026-000001"}, "query.case"),
    ({"limit": 0}, "query.limit"),
    ({"limit": 501}, "query.limit"),
]


def test_bad_queries_are_422_name_the_parameter_and_record_nothing(
    client: TestClient, tokens: Tokens
) -> None:
    dpo = tokens("dpo", team=None)
    for params, field in BAD_QUERIES:
        before = len(accesses(client))
        body = problem(ask(client, dpo, **params), 422)
        assert field in [error["field"] for error in body["errors"]], params
        assert accesses(client)[before:] == [], "nothing was shown, so nothing is recorded"
    assert len(accesses(client)) == 0


def test_a_log_behind_min_position_answers_503(client: TestClient, tokens: Tokens) -> None:
    """A position the ledger has issued and the log has not reached (its runner is
    stopped); one not issued at all is a 422 (``tests/api/test_min_position.py``)."""
    told = Told(client, tokens)
    stall_read_models(client)
    issued = told.api.do("record_incident", told.scene)["position"]
    response = ask(client, tokens("dpo", team=None), min_position=issued)
    problem(response, 503)
    assert response.headers["Retry-After"] == "1"


def test_the_log_holds_and_shows_no_personal_data(client: TestClient, tokens: Tokens) -> None:
    story = Story()
    write(client, tokens, story)
    dpo = tokens("dpo", team=None)
    head = Api(client, dpo).head()
    body = ok(client, dpo, case=story.case_id, min_position=head)
    shares = [item for item in body["items"] if item["kind"] == "share"]
    assert {item["recipient_organisation"] for item in shares} == {"example-homes", POLICE}
    police = next(item for item in shares if item["recipient_organisation"] == POLICE)
    assert story.victim in police["subjects"]
    lowered = str(body).lower()
    found = sorted(c for c in story.canaries.values() if c.lower() in lowered)
    assert not found, f"personal data in the disclosure log: {found}"
