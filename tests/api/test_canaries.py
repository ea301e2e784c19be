"""Personal data posted through the API never shows in plaintext where it should not.

Every personal field of a whole case (complainant, victim and alleged perpetrator details,
descriptions, notes, summaries, justifications, closure texts) carries its own unique
canary string. The canaries must not appear:
- in the raw store: every file in the data directory (SQLite database, -wal and -shm,
  keys) as bytes, or every row of every table in the test's PostgreSQL schema (as text,
  and bytea columns as bytes) plus the data directory's files;
- in the logs: structlog events (``capture_logs``), what the configured renderer wrote to
  stderr, and stdlib log records at DEBUG;
- in any response to a caller not entitled to them: another team's caseworker, an analyst,
  an admin, a partner whose organisation got no share, a partner whose organisation got
  only ``case_summary`` (sees the case's description and location and its own share, none
  of the rest), the case list for every caller, the raw events for an auditor (sealed
  fields only as digests), error bodies for rejected requests, and ``/metrics``.

Controls, so the test can fail: the entitled caseworker sees every canary the case view
renders; a partner sees exactly what was shared with it; a non-personal marker (the
ward) is found in plaintext in the store by the same scan; the request
log lines are found in the same logs.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from structlog.testing import capture_logs

from api.settings import ApiSettings
from ledger.risk import ASB_VRA_V1
from tests.api.conftest import Tokens
from tests.api.helpers import authorised_by
from tests.api.scans import absent, leaks, logging_restored, present, stored

SUMMARY_ORG = "example-homes"
POLICE_ORG = "staffordshire-police"


@pytest.fixture(autouse=True)
def _structlog_put_back() -> Iterator[None]:
    with logging_restored():
        yield


def _canary(name: str) -> str:
    return f"CNRY-{name}-{uuid.uuid4().hex[:12]}"


PERSON_FIELDS = ("name", "contact", "address", "dob", "vulnerability_note")
_SHARE_FIELDS = ("justification", "consent_note", "recipient_person")
NOT_RENDERED = {"support.consent_note", "share_summary.consent_note", "share_police.consent_note"}
"""Stored (sealed) but never part of any case view."""


@dataclass
class Story:
    """One case walked through every command that takes personal data."""

    canaries: dict[str, str] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)
    ward: str = "Highfields and Western Downs"
    """One of the council's wards: in the clear by design, so the store scan's control."""
    case_id: str = ""
    incident_id: str = ""
    victim: str = ""

    def __post_init__(self) -> None:
        names = [
            "case.description",
            "case.location",
            *(f"complainant.{f}" for f in PERSON_FIELDS[:4]),
            *(f"victim.{f}" for f in PERSON_FIELDS),
            *(f"perpetrator.{f}" for f in PERSON_FIELDS),
            "incident.description",
            "incident.location",
            "risk.rationale",
            "risk.override_rationale",
            "action.description",
            "action.outcome",
            "contact.summary",
            "support.needs",
            "support.consent_note",
            "agency.role",
            "agency.contact",
            "review.notes",
            "case_review.outcome",
            "case_review.recommendations",
            "enforcement.outcome",
            *(f"share_{s}.{f}" for s in ("summary", "police") for f in _SHARE_FIELDS),
            "closure.full_reasons",
            "closure.why_not_preferred",
            "closure.explanation",
            "closure.advice",
        ]
        self.canaries = {name: _canary(name) for name in names}
        self.rejected = {
            name: _canary(name)
            for name in (
                "rejected.extra_field",
                "rejected.too_long",
                "rejected.rule",
                "rejected.stale",
                "rejected.outsider",
            )
        }

    def c(self, name: str) -> str:
        return self.canaries[name]

    def person(self, who: str) -> dict[str, str]:
        return {
            "name": self.c(f"{who}.name"),
            "contact": self.c(f"{who}.contact"),
            "address": self.c(f"{who}.address"),
            "date_of_birth": self.c(f"{who}.dob"),
        }

    @property
    def all(self) -> dict[str, str]:
        return {**self.canaries, **self.rejected}

    def only(self, *names: str) -> set[str]:
        return {self.canaries[n] for n in names}


def _created(response: Response, kind: str | None = None) -> str:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return str(body["case_id"] if kind is None else body["created"][kind])


def _share(
    story: Story, which: str, agency: str, organisation: str, items: list[str]
) -> dict[str, Any]:
    return {
        "recipient": {
            "agency": agency,
            "organisation": organisation,
            "person": story.c(f"share_{which}.recipient_person"),
        },
        "items": items,
        "purpose": "prevent_crime_and_disorder",
        "justification": story.c(f"share_{which}.justification"),
        "lawful_basis": "public_task",
        "gateway": "crime_and_disorder_act_1998_s115",
        "condition": "dpa2018_sch1_preventing_or_detecting_unlawful_acts",
        "consent": "not_sought",
        "consent_note": story.c(f"share_{which}.consent_note"),
    }


def write(client: TestClient, tokens: Tokens, story: Story) -> None:
    """Every command that takes personal data, each with its canaries; then closure."""
    cw = tokens("caseworker", user="cw-north")
    story.case_id = _created(
        client.post(
            "/cases",
            json={
                "channel": "phone",
                "category": "personal",
                "description": story.c("case.description"),
                "location": story.c("case.location"),
                "lead_department": "community_safety",
                "complainant": story.person("complainant"),
                "preferred_contact": "phone",
                "ward": story.ward,
            },
            headers=cw,
        )
    )
    at = f"/cases/{story.case_id}"

    def post(path: str, body: dict[str, Any], kind: str | None = None) -> str:
        sent = {**authorised_by(client), **cw} if path == "/shares" else cw
        answer = client.post(f"{at}{path}", json=body, headers=sent)
        assert answer.status_code == 201, (path, answer.text)
        return str(answer.json()["created"][kind]) if kind else ""

    story.victim = post(
        "/people",
        {
            "role": "victim",
            "details": story.person("victim"),
            "vulnerabilities": ["living_alone"],
            "vulnerability_note": story.c("victim.vulnerability_note"),
        },
        "person_ref",
    )
    perpetrator = post(
        "/people",
        {
            "role": "alleged_perpetrator",
            "details": story.person("perpetrator"),
            "vulnerability_note": story.c("perpetrator.vulnerability_note"),
        },
        "person_ref",
    )
    story.incident_id = post(
        "/incidents",
        {
            "incident_type": "noise",
            "description": story.c("incident.description"),
            "location": story.c("incident.location"),
            "victim_refs": [story.victim],
        },
        "incident_id",
    )
    post(
        "/risk-assessments",
        {
            "answers": {q.key: 0 for q in ASB_VRA_V1.questions},
            "victim_ref": story.victim,
            "rationale": story.c("risk.rationale"),
            "override_level": "medium",
            "override_rationale": story.c("risk.override_rationale"),
        },
    )
    action = post(
        "/actions",
        {
            "description": story.c("action.description"),
            "owner_agency": "council",
            "owner_officer": "cw-north",
            "due": "2026-04-01",
        },
        "action_id",
    )
    post(f"/actions/{action}/complete", {"outcome": story.c("action.outcome")})
    post(
        "/contacts",
        {
            "person_ref": story.victim,
            "method": "phone",
            "direction": "outbound",
            "outcome": "reached",
            "summary": story.c("contact.summary"),
        },
    )
    post(
        "/support-referrals",
        {
            "person_ref": story.victim,
            "service": "victims_gateway",
            "organisation": "victims-gateway",
            "needs": story.c("support.needs"),
            "consent": "given",
            "consent_note": story.c("support.consent_note"),
        },
    )
    post(
        "/agencies",
        {
            "agency": "housing_provider",
            "organisation": SUMMARY_ORG,
            "role": story.c("agency.role"),
            "contact": story.c("agency.contact"),
        },
    )
    post(
        "/reviews",
        {"outcome": "continue", "notes": story.c("review.notes"), "next_review_due": "2026-05-01"},
    )
    request_id = post("/case-review-requests", {"applicant_ref": story.victim}, "request_id")
    post(
        f"/case-review-requests/{request_id}/decision",
        {"decision": "threshold_met", "outcome": story.c("case_review.outcome")},
    )
    post(
        f"/case-review-requests/{request_id}/outcome",
        {"recommendations": story.c("case_review.recommendations")},
    )
    post(
        "/enforcement-actions",
        {
            "tool": "warning_letter",
            "subject_ref": perpetrator,
            "legislation": "Non-statutory",
            "outcome": story.c("enforcement.outcome"),
        },
    )
    post("/shares", _share(story, "summary", "housing_provider", SUMMARY_ORG, ["case_summary"]))
    post(
        "/shares",
        _share(
            story,
            "police",
            "police",
            POLICE_ORG,
            [f"incident:{story.incident_id}", f"person:{story.victim}"],
        ),
    )
    post(
        "/close",
        {
            "reason": "no_further_action",
            "full_reasons": story.c("closure.full_reasons"),
            "feedback": {
                "method": "letter",
                "why_not_preferred": story.c("closure.why_not_preferred"),
            },
            "explanation": story.c("closure.explanation"),
            "advice": story.c("closure.advice"),
        },
    )


def reject(client: TestClient, tokens: Tokens, story: Story) -> None:
    """Requests refused for their content: the refusal names the field, never the value."""
    cw = tokens("caseworker", user="cw-north")
    complaint = {
        "channel": "phone",
        "category": "personal",
        "description": "d",
        "location": "l",
        "lead_department": "community_safety",
        "complainant": {"name": "n", "nickname": story.rejected["rejected.extra_field"]},
        "preferred_contact": "phone",
    }
    answers = [
        client.post("/cases", json=complaint, headers=cw),
        client.post(
            "/cases",
            json={
                **complaint,
                "complainant": {"name": "n"},
                "description": story.rejected["rejected.too_long"] + "x" * 20_001,
            },
            headers=cw,
        ),
        client.post(
            f"/cases/{story.case_id}/reopen",
            json={"reason": story.rejected["rejected.stale"]},
            headers={**cw, "If-Match": '"1"'},
        ),
        client.post(
            "/cases",
            json={
                **complaint,
                "complainant": {"name": " "},
                "location": story.rejected["rejected.rule"],
            },
            headers=cw,
        ),
    ]
    assert [a.status_code for a in answers] == [422, 422, 412, 422], [a.text for a in answers]
    for answer in answers:
        absent(story.all.values(), _text(answer), "a refusal")


def _text(response: Response) -> str:
    return f"{response.status_code}\n{response.headers}\n{response.text}"


def read(client: TestClient, tokens: Tokens, story: Story) -> None:
    """Who sees what; every refusal and every list is free of personal data."""
    at = f"/cases/{story.case_id}"
    everything = set(story.all.values())
    rendered = {v for k, v in story.canaries.items() if k not in NOT_RENDERED}

    own = client.get(at, headers=tokens("caseworker", user="cw-north"))
    assert own.status_code == 200, own.text
    present(rendered, own.text, "the entitled caseworker's case view")
    absent(everything - rendered, own.text, "the entitled caseworker's case view")

    outsiders = {
        "another team's caseworker": (tokens("caseworker", user="cw-south", team="south"), 404),
        "an analyst": (tokens("analyst", team=None), 403),
        "an admin": (tokens("admin", team=None), 403),
        "a partner with no share": (tokens("partner", org="unshared-trust", team=None), 404),
    }
    for who, (headers, status) in outsiders.items():
        for path in (at, f"{at}/events", f"{at}/events/1"):
            answer = client.get(path, headers=headers)
            expected = 403 if who == "a partner with no share" and "/events" in path else status
            assert answer.status_code == expected, (who, path, answer.text)
            absent(everything, _text(answer), f"GET {path} by {who}")
        refused = client.post(
            f"{at}/contacts",
            json={
                "person_ref": story.victim,
                "method": "phone",
                "direction": "inbound",
                "outcome": "reached",
                "summary": story.rejected["rejected.outsider"],
            },
            headers=headers,
        )
        assert refused.status_code in (403, 404), (who, refused.text)
        absent(everything, _text(refused), f"a command refused to {who}")

    summary_partner = tokens("partner", user="p-homes", org=SUMMARY_ORG, team=None)
    seen = client.get(at, headers=summary_partner)
    assert seen.status_code == 200, seen.text
    assert seen.json()["sections"] == ["case_summary"]
    allowed = story.only(
        "case.description",
        "case.location",
        "share_summary.justification",
        "share_summary.recipient_person",
    )
    present(allowed, seen.text, "the case_summary partner's view")
    absent(everything - allowed, seen.text, "the case_summary partner's view")

    police = tokens("partner", user="p-police", org=POLICE_ORG, team=None)
    seen = client.get(at, headers=police)
    assert seen.status_code == 200, seen.text
    allowed = story.only(
        "incident.description",
        "incident.location",
        *(f"victim.{f}" for f in PERSON_FIELDS),
        "share_police.justification",
        "share_police.recipient_person",
    )
    present(allowed, seen.text, "the police partner's view (incident and victim shared)")
    absent(everything - allowed, seen.text, "the police partner's view")

    auditor = tokens("auditor", team=None)
    events = client.get(f"{at}/events", headers=auditor)
    assert events.status_code == 200, events.text
    assert len(events.json()["events"]) == 19  # opened, assigned and 17 commands
    absent(everything, _text(events), "the raw events an auditor reads")
    one = client.get(f"{at}/events/2", headers=auditor)
    assert one.status_code == 200, one.text
    absent(everything, _text(one), "one raw event an auditor reads")

    callers = {
        "the caseworker": tokens("caseworker", user="cw-north"),
        "a supervisor": tokens("supervisor"),
        "an auditor": auditor,
        "a dpo": tokens("dpo", team=None),
        "the case_summary partner": summary_partner,
        "the police partner": police,
        **{who: headers for who, (headers, _) in outsiders.items()},
    }
    listed_by_someone = False
    for who, headers in callers.items():
        listed = client.get("/cases", params={"limit": 200}, headers=headers)
        assert listed.status_code in (200, 403), (who, listed.text)
        if listed.status_code == 200:
            listed_by_someone |= story.case_id in listed.text
        absent(everything, _text(listed), f"the case list for {who}")
    assert listed_by_someone, "the case list should include the case for its own caseworker"

    # The person register: found by a search (a body, never a URL) through blind tokens.
    ledger = client.app.state.ledger  # type: ignore[attr-defined]
    assert ledger.keys.table.count_tokens(story.victim) > 0, "control: the victim is indexed"
    victim = story.person("victim")
    search = {"name": victim["name"], "address": victim["address"]}
    found = client.post(
        "/people/search", json=search, headers=tokens("caseworker", user="cw-north")
    )
    assert found.status_code == 200, found.text
    assert story.victim in found.text
    present({victim["name"]}, found.text, "the entitled caseworker's search")
    hidden = client.post(
        "/people/search", json=search, headers=tokens("caseworker", user="cw-south", team="south")
    )
    assert hidden.status_code == 200, hidden.text
    absent(everything, _text(hidden), "a search by another team's caseworker")
    for who, (headers, _) in outsiders.items():
        refused = client.post("/people/search", json=search, headers=headers)
        assert refused.status_code == (200 if "caseworker" in who else 403), (who, refused.text)
        absent(everything, _text(refused), f"a search refused to {who}")
        answer = client.get(f"/people/{story.victim}", headers=headers)
        assert answer.status_code in (200, 403), (who, answer.text)
        absent(everything, _text(answer), f"GET /people by {who}")

    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert "/cases/{case_id}" in metrics.text
    absent(everything, _text(metrics), "/metrics")


def _check_store(store: str, settings: ApiSettings, story: Story) -> None:
    raw = stored(store, settings)
    everything = b"\n".join(raw.values()).lower()
    assert story.ward.lower().encode() in everything, "control: the scan must see event payloads"
    assert not (found := leaks(story.all.values(), raw)), f"plaintext personal data: {found}"


def test_personal_data_shows_only_to_those_entitled(
    client: TestClient,
    tokens: Tokens,
    store: str,
    api_settings: ApiSettings,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    rendered_story = Story()
    write(client, tokens, rendered_story)
    reject(client, tokens, rendered_story)
    read(client, tokens, rendered_story)
    with capture_logs() as logs:
        captured_story = Story()
        write(client, tokens, captured_story)
        reject(client, tokens, captured_story)
        read(client, tokens, captured_story)

    output = capsys.readouterr()
    stderr = output.err
    assert rendered_story.case_id in stderr, "control: request lines are rendered to stderr"
    assert any(e.get("case_id") == captured_story.case_id for e in logs), "control: captured"
    for story in (rendered_story, captured_story):
        canaries = story.all.values()
        absent(canaries, stderr, "stderr (the rendered logs)")
        absent(canaries, output.out, "stdout")
        absent(canaries, repr(logs), "the structlog events")
        absent(canaries, caplog.text, "stdlib log records")
        absent(canaries, repr([r.__dict__ for r in caplog.records]), "stdlib log record fields")
        _check_store(store, api_settings, story)
