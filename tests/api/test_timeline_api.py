"""GET /cases/{id}/timeline: a readable line for every event type, who and when, the version
and hash; the same callers as the raw events; recorded as an access; no personal data."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from ledger.access import Accessed
from ledger.application import CaseLedger
from ledger.enums import AccessOutcome, AccessPurpose
from ledger.errors import IntegrityFailure
from ledger.events import CASE_EVENT_TYPES
from ledger.type_names import kind_of
from replay.timeline import timeline
from tests.api.conftest import Tokens, complaint
from tests.api.helpers import ALL_COMMANDS, Api, reader, staged
from tests.api.test_access_records import accesses
from tests.api.test_canaries import Story, write
from tests.integration.test_tamper import RawEvents

JSON = dict[str, Any]
NOON = "2026-03-02T09:00:00+00:00"

EXPECTED: dict[str, str] = {
    "open_case": "Assigned to team north, officer caseworker-1",
    "link_person": "Person linked as victim (vulnerable: disability)",
    "record_incident": "Incident recorded (noise; targeted)",
    "assess_risk": "Risk assessed with asb-vra v1: score 12, level medium; assessor caseworker-1",
    "plan_action": "Action visit-1 planned: owner council (officer-17), due 2026-03-16",
    "complete_action": "Action visit-1 completed",
    "cancel_action": "Action visit-1 cancelled",
    "agree_timescales": "Timescales agreed: first contact by 2026-03-03, next review by"
    " 2026-03-16, target resolution by 2026-04-30, with police (staffordshire-police)",
    "record_contact": "Contact outbound by phone: reached",
    "refer_for_support": "Referred for support to victims-gateway (victims_gateway), consent given",
    "share_information": "Information shared with example-homes (housing_provider) for"
    " prevent_crime_and_disorder under public_task: items case_summary; gateway"
    " crime_and_disorder_act_1998_s115; consent not_sought; authorised by supervisor-3;"
    " protocol One Staffordshire ISP; no onward use",
    "refer_to_police": "Referred to the police (staffordshire-police)"
    f" (reference SP-2026-0001234): 1 incident, disseminated {NOON}",
    "add_agency": "staffordshire-police (police) joined the case",
    "take_enforcement_action": "Enforcement action: warning_letter (non-statutory)",
    "review_case": "Case reviewed: continue; next review by 2026-03-30",
    "request_case_review": f"ASB Case Review requested (received {NOON})",
    "acknowledge_case_review": "ASB Case Review request acknowledged",
    "decide_case_review": "ASB Case Review decided: threshold_met",
    "conclude_case_review": "ASB Case Review concluded: outcome recorded",
    "close_case": f"Case closed: resolved; feedback by phone on {NOON}",
    "reopen_case": "Case reopened",
    "assign_case": "Assigned to team south, officer officer-9",
}
"""The line of the last event each command appends, on a case prepared for it."""


def get_timeline(api: Api, case_id: str) -> JSON:
    response = api.client.get(f"/cases/{case_id}/timeline", headers=api.headers)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'
    body: JSON = response.json()
    return body


def test_every_event_type_has_its_own_line(client: TestClient, tokens: Tokens) -> None:
    everyone = reader(client, tokens)
    seen: dict[str, set[str]] = {}
    assert {c.name for c in ALL_COMMANDS} == set(EXPECTED)
    for command in ALL_COMMANDS:
        api, scene = staged(client, tokens, command)
        receipt = api.do(command.name, scene)
        body = get_timeline(everyone, receipt["case_id"])
        lines = body["lines"]
        assert lines[-1]["what"] == EXPECTED[command.name], command.name
        assert lines[-1]["type"] == command.events[-1]
        assert lines[-1]["version"] == receipt["version"] == body["version"] == len(lines)
        assert lines[0]["what"] == (
            f"Case {body['reference']} opened: personal complaint by phone, lead"
            " community_safety, ward Forebridge; complainant prefers phone"
        )
        for line in lines:
            seen.setdefault(line["type"], set()).add(line["what"])
    migrated = {"OrganisationIdentified"}  # by the command line: test_organisation_migration
    assert set(seen) | migrated == {kind_of(cls) for cls in CASE_EVENT_TYPES}, "every type"
    for kind, whats in seen.items():
        assert not any(w == f"{kind} recorded" for w in whats), f"{kind} has no line of its own"
    assert "Incident recorded (noise; violence_or_threat, criminal)" in seen["IncidentRecorded"]
    assert "Person linked as alleged_perpetrator" in seen["PersonLinked"]


def test_each_line_says_who_when_and_its_place_in_the_chain(
    client: TestClient, tokens: Tokens
) -> None:
    api = Api(client, tokens())
    scene = api.open()
    for name in ("link_person", "record_incident", "share_information"):
        api.do(name, scene)
    supervisor = reader(client, tokens)
    supervisor.do("assign_case", scene)
    auditor = tokens("auditor", team=None)
    body = get_timeline(api.as_(auditor), scene.case_id)
    events = client.get(f"/cases/{scene.case_id}/events", headers=auditor).json()["events"]
    assert [line["version"] for line in body["lines"]] == [1, 2, 3, 4, 5, 6]
    assert body["reference"].startswith("ASB-2026-")
    assert body["case_id"] == scene.case_id
    previous = "0" * 64
    for line, event in zip(body["lines"], events, strict=True):
        assert (line["event_hash"], line["prev_hash"]) == (event["event_hash"], event["prev_hash"])
        assert line["prev_hash"] == previous
        previous = line["event_hash"]
        assert (line["type"], line["occurred_at"], line["recorded_at"]) == (
            event["type"],
            event["occurred_at"],
            event["recorded_at"],
        )
    caseworker = body["lines"][0]["actor"]
    assert caseworker == {
        "user_id": "caseworker-1",
        "name": "caseworker-1",
        "role": "caseworker",
        "organisation": "council",
        "team": "north",
    }
    assert body["lines"][-1]["actor"]["user_id"] == "reader"
    assert body["lines"][-1]["actor"]["role"] == "supervisor"
    incident = body["lines"][3]
    assert incident["occurred_at"] == "2026-02-27T23:00:00Z"  # when it happened ...
    assert incident["recorded_at"] != incident["occurred_at"]  # ... not when it was told
    assert incident["refs"] == [f"incident:{scene.ids['incident_id']}"]
    share = body["lines"][4]
    assert share["refs"] == [f"share:{scene.ids['share_id']}"]
    assert body["lines"][2]["refs"] == [f"person:{scene.ids['person_ref']}"]


CALLERS = [
    ("caseworker", 200),
    ("auditor", 200),
    ("dpo", 200),
    ("other_team", 404),
    ("partner", 403),
    ("analyst", 403),
    ("admin", 403),
]


def test_the_same_callers_as_the_events_and_every_read_is_recorded(
    client: TestClient, tokens: Tokens
) -> None:
    api = Api(client, tokens())
    scene = api.open()
    api.do("link_person", scene)
    api.do("share_information", scene)  # with Example Homes
    callers = {
        "caseworker": tokens(),
        "other_team": tokens(user="cw-south", team="south"),
        "partner": tokens("partner", org="example-homes", team=None),
    }
    for role, status in CALLERS:
        headers = callers.get(role) or tokens(role, team=None)
        before = len(accesses(client))
        response = client.get(f"/cases/{scene.case_id}/timeline", headers=headers)
        events = client.get(f"/cases/{scene.case_id}/events", headers=headers)
        assert (response.status_code, events.status_code) == (status, status), role
        (record, _) = accesses(client)[before:]
        assert isinstance(record, Accessed)
        assert record.case_id == UUID(scene.case_id)
        assert record.view == "case.timeline"
        if status == 200:
            assert (record.outcome, record.case_version) == (AccessOutcome.GRANTED, 4)
            people = {UUID(scene.complainant), UUID(scene.ids["person_ref"])}
            assert set(record.subjects) == people
            purpose = {"auditor": AccessPurpose.AUDIT, "dpo": AccessPurpose.DATA_PROTECTION}
            assert record.purpose is purpose.get(role, AccessPurpose.CASE_MANAGEMENT)
        else:
            assert not record.subjects
            assert record.outcome in {AccessOutcome.DENIED, AccessOutcome.NOT_FOUND}
            assert "Vic Victim" not in response.text
            assert "incident" not in response.text


def test_a_missing_case_is_404_and_recorded(client: TestClient, tokens: Tokens) -> None:
    missing = "8d0e9a4c-0000-4000-8000-000000000000"
    before = len(accesses(client))
    response = client.get(f"/cases/{missing}/timeline", headers=tokens("auditor", team=None))
    assert response.status_code == 404
    (record,) = accesses(client)[before:]
    assert (record.view, record.outcome) == ("case.timeline", AccessOutcome.NOT_FOUND)


def test_the_timeline_holds_no_personal_data(client: TestClient, tokens: Tokens) -> None:
    story = Story()
    write(client, tokens, story)
    for headers in (
        tokens("caseworker", user="cw-north"),
        tokens("auditor", team=None),
        tokens("dpo", team=None),
    ):
        response = client.get(f"/cases/{story.case_id}/timeline", headers=headers)
        assert response.status_code == 200, response.text
        lowered = response.text.lower()
        found = sorted(c for c in story.canaries.values() if c.lower() in lowered)
        assert not found, f"personal data in the timeline: {found}"
        # Control: the ward (not personal) and the shares' organisations are in the clear.
        assert story.ward in response.text
        assert "staffordshire-police (police)" in response.text
    own = client.get(f"/cases/{story.case_id}", headers=tokens("caseworker", user="cw-north"))
    assert story.c("case.description") in own.text  # the canaries were there to be found


def test_a_tampered_event_is_not_shown_with_its_old_hash(
    client: TestClient, tokens: Tokens
) -> None:
    api = Api(client, tokens())
    scene = api.open(ward="Forebridge")
    api.do("add_agency", scene)
    ledger: CaseLedger = api.ledger
    case_id = UUID(scene.case_id)
    raw = RawEvents(ledger)
    _topic, state = raw.row(case_id, 3)
    assert b"staffordshire-police" in state
    raw.set_state(case_id, 3, state.replace(b"staffordshire-police", b"staffordshire-pelice"))
    with pytest.raises(IntegrityFailure) as failure:
        timeline(ledger, case_id)
    assert failure.value.version == 3
    assert [line.version for line in timeline(ledger, case_id, upto=2)] == [1, 2]
    response = client.get(f"/cases/{scene.case_id}/timeline", headers=api.headers)
    assert response.status_code == 500, response.text
    assert "pelice" not in response.text
    assert complaint()["ward"] == "Forebridge"


def test_a_page_of_lines_checks_each_hash_and_its_link_from_the_anchor(
    client: TestClient, tokens: Tokens
) -> None:
    api = Api(client, tokens())
    scene = api.open(ward="Forebridge")
    api.do("add_agency", scene)
    ledger: CaseLedger = api.ledger
    case_id = UUID(scene.case_id)
    whole = timeline(ledger, case_id)
    assert [line.version for line in timeline(ledger, case_id, after=1)] == [2, 3]
    assert timeline(ledger, case_id, after=1, upto=2) == whole[1:2]
    raw = RawEvents(ledger)
    _topic, state = raw.row(case_id, 3)
    raw.set_state(case_id, 3, state.replace(b"staffordshire-police", b"staffordshire-pelice"))
    with pytest.raises(IntegrityFailure) as failure:
        timeline(ledger, case_id, after=3)  # version 3 is the anchor: its own hash is checked
    assert failure.value.version == 3
    assert [line.version for line in timeline(ledger, case_id, after=1, upto=2)] == [2]
