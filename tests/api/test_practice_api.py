"""The practice rules over HTTP, on both stores (issue 11): a back-dated complaint replayed in
world time, the review interval from the assessment that set it, opening within one's own
teams, a share's authoriser as an authenticated supervisor, a crime the police recorded,
and every broken rule of a closure at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from ledger.enums import RiskLevel, Role
from ledger.risk import ASB_VRA_V1
from ledger.thresholds import Timescales
from tests.api.conftest import Clock, Tokens, complaint
from tests.api.helpers import Api, authorised_by, problem


def test_a_back_dated_complaint_is_replayed_in_world_time_from_its_receipt(
    client: TestClient, tokens: Tokens, clock: Clock
) -> None:
    api = Api(client, tokens())
    received = clock.now - timedelta(days=48)
    scene = api.open(received_at=received.isoformat())
    asked = (received + timedelta(days=31)).isoformat()
    then = client.get(
        f"/cases/{scene.case_id}", params={"as_of": asked, "time": "occurred"}, headers=api.headers
    )
    assert then.status_code == 200, then.text
    assert then.json()["as_of"]["version"] == 1
    before = client.get(
        f"/cases/{scene.case_id}",
        params={"as_of": (received - timedelta(days=1)).isoformat(), "time": "occurred"},
        headers=api.headers,
    )
    problem(before, 422, rule="replay.before_case_existed")


def test_the_default_review_runs_from_the_assessment_that_set_the_level(
    client: TestClient, tokens: Tokens, clock: Clock
) -> None:
    api = Api(client, tokens())
    received = clock.now - timedelta(days=40)
    scene = api.open(received_at=received.isoformat())
    receipt = api.ok(
        f"/cases/{scene.case_id}/risk-assessments",
        {"answers": {q.key: 2 for q in ASB_VRA_V1.questions}, "rationale": "High."},
    )
    listed = client.get(
        "/caseload", params={"min_position": receipt["position"]}, headers=api.headers
    )
    (entry,) = listed.json()["items"]
    (review,) = [item for item in entry["due"] if item["kind"] == "review"]
    timescales = Timescales()
    expected = timescales.local_date(clock.now) + timescales.review_interval(RiskLevel.HIGH)
    assert review["due"] == expected.isoformat()
    assert review["overdue"] is False


def test_a_case_is_opened_only_into_the_openers_own_teams(
    client: TestClient, tokens: Tokens
) -> None:
    supervisor = tokens("supervisor", teams=["north"])
    refused = client.post("/cases", json=complaint(team="south"), headers=supervisor)
    body = problem(refused, 422)
    assert body["errors"][0]["field"] == "body.team"
    assert (
        client.post("/cases", json=complaint(team="north"), headers=supervisor).status_code == 201
    )


def share_body() -> dict[str, Any]:
    return {
        "recipient": {"agency": "housing_provider", "organisation": "example-homes"},
        "items": ["case_summary"],
        "purpose": "prevent_crime_and_disorder",
        "justification": "The landlord needs the dates.",
        "lawful_basis": "public_task",
        "gateway": "crime_and_disorder_act_1998_s115",
        "consent": "given",
    }


def test_a_share_is_authorised_by_a_supervisors_token_not_by_a_name(
    client: TestClient, tokens: Tokens
) -> None:
    caseworker = tokens()
    scene = Api(client, caseworker).open()
    url = f"/cases/{scene.case_id}/shares"
    unsigned = client.post(url, json={**share_body(), "authorised_by": "boss"}, headers=caseworker)
    problem(unsigned, 422)
    named = client.post(url, json=share_body(), headers=caseworker)
    problem(named, 422, rule="share.authoriser_required")
    by_caseworker = {**caseworker, **authorised_by(client, user="cw-9", role=Role.CASEWORKER)}
    problem(
        client.post(url, json=share_body(), headers=by_caseworker),
        422,
        rule="share.authoriser_required",
    )
    signed = client.post(
        url, json=share_body(), headers={**caseworker, **authorised_by(client, user="sv-boss")}
    )
    assert signed.status_code == 201, signed.text
    view = client.get(f"/cases/{scene.case_id}", headers=caseworker).json()
    assert [s["authorised_by"] for s in view["shares"]] == ["sv-boss"]


def test_a_crime_the_police_recorded_is_not_flagged_for_referral(
    client: TestClient, tokens: Tokens
) -> None:
    staff = Api(client, tokens())
    scene = staff.open()
    staff.ok(
        f"/cases/{scene.case_id}/shares",
        {**share_body(), "recipient": {"agency": "police", "organisation": "test-police"}},
    )
    police = tokens("partner", user="pc-1", org="test-police", team=None)
    receipt = client.post(
        f"/cases/{scene.case_id}/incidents",
        json={
            "incident_type": "criminal_damage_or_vandalism",
            "description": "A window.",
            "criminal": True,
        },
        headers=police,
    )
    assert receipt.status_code == 201, receipt.text
    listed = client.get(
        "/caseload", params={"min_position": receipt.json()["position"]}, headers=staff.headers
    )
    (entry,) = listed.json()["items"]
    assert [item for item in entry["due"] if item["kind"] == "police_referral"] == []


def test_a_closure_missing_several_things_names_every_rule(
    client: TestClient, tokens: Tokens
) -> None:
    api = Api(client, tokens())
    scene = api.open()
    closing = client.post(
        f"/cases/{scene.case_id}/close",
        json={"reason": "no_further_action", "full_reasons": "Nothing more.", "feedback": None},
        headers=api.headers,
    )
    body = problem(closing, 422)
    rules = [r["rule"] for r in body["rules"]]
    assert body["rule"] == rules[0]
    assert {"closure.feedback_required", "closure.explanation_and_advice_required"} <= set(rules)


def test_a_case_is_found_by_its_reference_wherever_its_id_is_accepted(
    client: TestClient, tokens: Tokens
) -> None:
    api = Api(client, tokens())
    scene = api.open()
    reference = api.view(scene.case_id)["reference"]
    by_reference = client.get(f"/cases/{reference}", headers=api.headers)
    assert by_reference.status_code == 200, by_reference.text
    assert by_reference.json()["case_id"] == scene.case_id
    receipt = api.ok(
        f"/cases/{reference}/incidents", {"incident_type": "noise", "description": "Again."}
    )
    assert receipt["case_id"] == scene.case_id
    listed = client.get(
        "/cases",
        params={"reference": reference, "min_position": receipt["position"]},
        headers=api.headers,
    )
    assert [item["case_id"] for item in listed.json()["items"]] == [scene.case_id]
    dpo = tokens("dpo", team=None)
    log = client.get(
        "/dpo/disclosures",
        params={"case": reference, "min_position": receipt["position"]},
        headers=dpo,
    )
    assert log.status_code == 200, log.text
    assert {item["case_id"] for item in log.json()["items"]} == {scene.case_id}
    problem(client.get("/cases/ASB-1999-000001", headers=api.headers), 404)
    problem(client.get("/cases/not-a-case", headers=api.headers), 422)


def test_a_case_review_is_requested_and_decided_on_a_closed_case(
    client: TestClient, tokens: Tokens
) -> None:
    """Issue 12 §5: a request often follows a closure the victim disputes."""
    api = Api(client, tokens("supervisor", team="north"))
    scene = api.open()
    api.do("close_case", scene)
    assert api.view(scene.case_id)["status"] == "closed"
    api.do("request_case_review", scene)
    api.do("decide_case_review", scene)
    view = api.view(scene.case_id)
    assert view["status"] == "closed"
    (review,) = view["case_reviews"]
    assert review["decision"] == "threshold_met"
    refused = problem(api.post(f"/cases/{scene.case_id}/incidents", {"incident_type": "noise",
                      "description": "More noise."}), 422)  # fmt: skip
    assert refused["rule"] == "case.closed", "the case itself stays closed"
