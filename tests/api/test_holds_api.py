"""Legal holds over HTTP on both stores (issue 13 §2 and §3): the DPO places and lifts them,
auditors read them, nobody else sees them; erasure is refused under a hold; and after a
retention sweep an erased case reads as erased and every chain still verifies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from api.retention import RetentionSweep
from ledger.enums import Role
from ledger.values import Actor
from projections.caseload.projection import Caseload
from projections.service import ReadModels
from tests.api.conftest import Clock, Tokens
from tests.api.helpers import Api, Scene, problem

JSON = dict[str, Any]
DPO = Actor(user_id="dpo-1", display_name="Dee Pio", role=Role.DPO, organisation="council")
VICTIM = {"name": "Vera Victim", "contact": "07700 900777"}


def dpo(client: TestClient, tokens: Tokens) -> Api:
    return Api(client, tokens("dpo", user="dpo-1", team=None))


def place(api: Api, **body: Any) -> Any:
    return api.post("/dpo/holds", {"reason": "litigation", "reference": "KB-2026-000123", **body})


def closed_case_with_a_victim(api: Api, supervisor: Api) -> tuple[Scene, str]:
    scene = api.open()
    made = api.ok(f"/cases/{scene.case_id}/people", {"role": "victim", "details": VICTIM})
    supervisor.do("close_case", scene)
    victim: str = made["created"]["person_ref"]
    return scene, victim


def test_a_dpo_places_lists_and_lifts_holds(client: TestClient, tokens: Tokens) -> None:
    api = Api(client, tokens())
    scene = api.open()
    reference = api.view(scene.case_id)["reference"]
    officer = dpo(client, tokens)

    on_case = place(officer, case=reference)
    assert on_case.status_code == 201, on_case.text
    held = on_case.json()
    assert on_case.headers["Location"] == f"/dpo/holds/{held['hold_id']}"
    assert held["scope"] == {
        "kind": "case",
        "case_id": scene.case_id,
        "person_ref": None,
        "category": None,
    }
    assert (held["active"], held["placed_by"], held["position"] > 0) == (True, "dpo-1", True)
    on_person = place(officer, person_ref=scene.complainant, reason="complaint")
    on_category = place(officer, category="nuisance", reason="public_inquiry")
    assert on_person.status_code == on_category.status_code == 201

    lifted = officer.post(f"/dpo/holds/{held['hold_id']}/lift", {"reason": "concluded"})
    assert lifted.status_code == 201, lifted.text
    assert (lifted.json()["active"], lifted.json()["lift_reason"]) == (False, "concluded")
    listed = client.get("/dpo/holds", headers=officer.headers).json()["items"]
    assert [h["hold_id"] for h in listed] == [
        on_category.json()["hold_id"],
        on_person.json()["hold_id"],
        held["hold_id"],
    ]
    assert [h["active"] for h in listed] == [True, True, False]

    again = officer.post(f"/dpo/holds/{held['hold_id']}/lift", {"reason": "concluded"})
    problem(again, 409, rule="hold.already_lifted")
    problem(officer.post(f"/dpo/holds/{uuid4()}/lift", {"reason": "concluded"}), 404)


@pytest.mark.parametrize(
    ("body", "status", "named"),
    [
        ({"case": "ASB-2020-999999"}, 422, "body.case"),
        ({"case": str(uuid4())}, 422, "hold.scope_unknown"),
        ({"person_ref": str(uuid4())}, 422, "hold.scope_unknown"),
        ({"category": "personal", "person_ref": str(uuid4())}, 422, "body.category"),
        ({}, 422, "body.case"),
        ({"category": "personal", "reference": "Jane Doe"}, 422, "body.reference"),
        ({"category": "personal", "reason": "because"}, 422, "body.reason"),
    ],
)
def test_a_hold_that_names_nothing_known_is_refused(
    client: TestClient, tokens: Tokens, body: JSON, status: int, named: str
) -> None:
    officer = dpo(client, tokens)
    head = officer.head()
    found = problem(place(officer, **body), status)
    assert named in (found.get("rule"), *(e["field"] for e in found.get("errors", [])))
    assert officer.head() == head
    assert "Jane" not in str(found)


def test_only_dpos_place_and_lift_holds_and_auditors_read_them(
    client: TestClient, tokens: Tokens
) -> None:
    officer = dpo(client, tokens)
    hold = place(officer, category="personal").json()["hold_id"]
    for role in ("caseworker", "supervisor", "partner", "analyst", "admin", "auditor"):
        caller = Api(client, tokens(role, team="north" if role != "partner" else None))
        problem(place(caller, category="nuisance"), 403)
        problem(caller.post(f"/dpo/holds/{hold}/lift", {"reason": "withdrawn"}), 403)
        listed = client.get("/dpo/holds", headers=caller.headers)
        if role == "auditor":
            assert [h["hold_id"] for h in listed.json()["items"]] == [hold]
        else:
            problem(listed, 403)
    assert client.get("/dpo/holds", headers=officer.headers).json()["items"][0]["active"]


def _erase(client: TestClient, tokens: Tokens, ref: str) -> Any:
    return client.post(
        "/dpo/erasures",
        json={"person_ref": ref, "ground": "subject_request"},
        headers=tokens("dpo", user="dpo-1", team=None),
    )


@pytest.mark.parametrize("scope", ["person", "case", "category"])
def test_erasure_is_refused_while_a_hold_covers_the_person(
    client: TestClient, tokens: Tokens, scope: str
) -> None:
    api = Api(client, tokens())
    scene, victim = closed_case_with_a_victim(api, api.as_(tokens("supervisor")))
    officer = dpo(client, tokens)
    target = {"person": {"person_ref": victim}, "case": {"case": scene.case_id}}.get(
        scope, {"category": "personal"}
    )
    hold = place(officer, **target).json()["hold_id"]
    head = officer.head()

    refused = problem(_erase(client, tokens, victim), 409, rule="erasure.legal_hold")
    assert hold in refused["detail"]
    assert "Vera" not in str(refused)
    assert officer.head() == head  # nothing destroyed, nothing recorded
    officer.ok(f"/dpo/holds/{hold}/lift", {"reason": "concluded"})
    erased = _erase(client, tokens, victim)
    assert erased.status_code == 201, erased.text


def test_after_a_retention_sweep_the_case_reads_as_erased(
    client: TestClient, tokens: Tokens, clock: Clock
) -> None:
    clock.now = datetime(2018, 1, 10, 9, 0, tzinfo=UTC)
    api = Api(client, tokens())
    gone, victim = closed_case_with_a_victim(api, api.as_(tokens("supervisor")))
    kept = api.open()  # still open: its free text stays
    clock.now = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)

    models: ReadModels = client.app.state.read_models  # type: ignore[attr-defined]
    view = models.get(Caseload)
    assert view.wait_for(api.head(), 5.0)
    sweep = RetentionSweep(api.ledger, view, actor=DPO, now=clock.now)
    outcomes = sweep.apply([due.row for due in sweep.due()])
    assert [(str(o.case_id), o.status) for o in outcomes] == [(gone.case_id, "erased")]

    reader = api.as_(tokens("auditor", team=None))
    shown = reader.view(gone.case_id)
    assert shown["description"] == {"erased": True}
    people = {p["person_ref"]: p for p in shown["people"]}
    assert people[victim]["name"] == {"erased": True}
    assert people[gone.complainant]["name"] == {"erased": True}
    assert "Vera" not in str(shown)
    assert reader.view(kept.case_id)["description"] != {"erased": True}
    assert all(verdict.intact for verdict in api.ledger.verify_all())
