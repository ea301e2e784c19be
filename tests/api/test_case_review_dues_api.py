"""The ASB Case Review's steps over HTTP, on both stores: each step recorded and shown on
the case, and the caseload's due kinds at the app's clock, a closed case included."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.api.conftest import Clock, Tokens
from tests.api.helpers import Api, problem
from tests.api.test_caseload_api import ok


def test_a_review_on_a_closed_case_is_on_the_caseload_until_its_outcome(
    client: TestClient, tokens: Tokens, clock: Clock
) -> None:
    caseworker, supervisor = Api(client, tokens()), Api(client, tokens("supervisor"))
    scene = caseworker.open()
    supervisor.do("close_case", scene)
    requested = caseworker.do("request_case_review", scene)  # Monday 2 March, 09:00
    request = scene.ids["request_id"]
    steps = f"/cases/{scene.case_id}/case-review-requests/{request}"

    clock.now += timedelta(days=4)  # Friday 6 March: the acknowledgement was due Thursday
    body = ok(
        client,
        supervisor.headers,
        "/caseload",
        overdue="case_review_acknowledgement",
        min_position=requested["position"],
    )
    (item,) = body["items"]
    assert (item["case_id"], item["closed"]) == (scene.case_id, True)
    assert item["overdue"] == ["case_review_acknowledgement"]
    assert [(d["kind"], d["due"], d["ref"]) for d in item["due"]] == [
        ("case_review_acknowledgement", "2026-03-05", request),
        ("case_review_decision", "2026-03-23", request),
        ("case_review_outcome", "2026-04-08", request),  # Good Friday, Easter Monday skipped
    ]
    (group,) = ok(client, supervisor.headers, "/caseload/summary")["groups"]
    assert (group["open"], group["closed_case_reviews"], group["overdue_cases"]) == (0, 1, 1)
    assert group["overdue"]["case_review_acknowledgement"] == 1

    position = caseworker.ok(f"{steps}/acknowledgement", {})["position"]
    body = ok(client, supervisor.headers, "/caseload", min_position=position)
    (item,) = body["items"]
    assert item["overdue"] == []
    assert [d["kind"] for d in item["due"]] == ["case_review_decision", "case_review_outcome"]
    problem(caseworker.post(f"{steps}/outcome", {"recommendations": "Too soon."}), 422,
            rule="case_review.not_decided")  # fmt: skip

    caseworker.ok(f"{steps}/decision", {"decision": "threshold_met", "outcome": "Three reports."})
    position = caseworker.ok(f"{steps}/outcome", {"recommendations": "Joint visit."})["position"]
    assert ok(client, supervisor.headers, "/caseload", min_position=position)["items"] == []
    (review,) = caseworker.view(scene.case_id)["case_reviews"]
    assert (review["decision"], review["outcome"], review["recommendations"]) == (
        "threshold_met",
        "Three reports.",
        "Joint visit.",
    )
    assert review["acknowledged_at"] is not None
    assert review["concluded_at"] is not None


def test_the_overdue_filter_names_the_new_kinds_and_refuses_others(
    client: TestClient, tokens: Tokens
) -> None:
    headers = tokens()
    for kind in ("case_review_decision", "case_review_outcome"):
        assert client.get("/caseload", params={"overdue": kind}, headers=headers).status_code == 200
    response = client.get("/caseload", params={"overdue": "case_review"}, headers=headers)
    assert response.status_code == 422
