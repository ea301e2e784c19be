"""Subject access requests over HTTP, on both stores (issue 13 §1): person A across three
cases, with B a witness in the same incidents. The issued report holds every one of A's
canaries and none of B's, names the police and the housing provider with their bases, lists
every consultation's date and purpose and each withheld item's ground; its bundle verifies
offline, and a one-byte edit of the report or the bundle is caught. An open request holds A's
data: erasure is refused. Only DPOs act on requests; auditors read them; nobody else sees them.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from replay.offline import run as verify_offline
from tests.api.conftest import Clock, Tokens
from tests.api.helpers import Api, Scene, authorised_by, problem
from tests.api.test_ledger_api import settle

JSON = dict[str, Any]
A = {
    "name": "Augusta Quillfeather",
    "contact": "07700 900111",
    "address": "1 Canary Row, ST16 1AA",
    "date_of_birth": "1961-04-02",
}
B = {
    "name": "Barnaby Thistlewood",
    "contact": "07700 900222",
    "address": "9 Lark Lane, ST16 2BB",
    "date_of_birth": "1970-01-09",
}
A_CANARIES = ("Augusta Quillfeather", "07700 900111", "1 Canary Row", "1961-04-02")
B_CANARIES = ("Barnaby", "Thistlewood", "07700 900222", "9 Lark Lane", "1970-01-09")


@pytest.fixture
def api_settings(api_settings: ApiSettings) -> ApiSettings:
    """Sign a checkpoint after every page of events, so one covers the cases promptly."""
    return api_settings.model_copy(update={"checkpoint_every": 1})


def dpo(tokens: Tokens) -> dict[str, str]:
    return tokens("dpo", user="dpo-1", team=None)


def three_cases(api: Api) -> tuple[str, str, list[Scene]]:
    """A complains on case 1 and 2 and is a victim on case 3; B witnesses cases 1 and 2."""
    first = api.ok("/cases", {**_complaint(), "complainant": A})
    a_ref = first["created"]["complainant_ref"]
    one = Scene(first["case_id"], a_ref)
    b_ref = api.ok(f"/cases/{one.case_id}/people", {"role": "witness", "details": B})["created"][
        "person_ref"
    ]
    second = api.ok("/cases", {**_complaint(), "complainant": A, "complainant_ref": a_ref})
    two = Scene(second["case_id"], a_ref)
    api.ok(f"/cases/{two.case_id}/people", {"role": "witness", "person_ref": b_ref})
    three = api.open()
    api.ok(f"/cases/{three.case_id}/people", {"role": "victim", "person_ref": a_ref})
    for scene in (one, two):
        api.do(
            "record_incident",
            scene,
            description="Barnaby Thistlewood saw two men kick the door at 1 Canary Row.",
            criminal=True,
            harms=["violence_or_threat"],
            victim_refs=[a_ref],
        )
    api.do("refer_to_police", one)
    share = {"items": ["case_summary", f"person:{a_ref}"]}
    api.as_({**api.headers, **authorised_by(api.client)}).do("share_information", one, **share)
    api.view(one.case_id)  # a consultation of A's data
    return a_ref, b_ref, [one, two, three]


def _complaint() -> JSON:
    from tests.api.conftest import complaint

    return complaint(description="Door kicked in the night.")


def _issue(client: TestClient, tokens: Tokens, sar_id: str) -> Any:
    ledger = client.app.state.ledger  # type: ignore[attr-defined]
    settle(client, ledger.recorder.max_notification_id())
    return client.post(f"/dpo/sars/{sar_id}/issue", headers=dpo(tokens))


def test_a_response_holds_the_persons_data_and_none_of_the_witness(
    client: TestClient, tokens: Tokens, clock: Clock, api_settings: ApiSettings, tmp_path: Path
) -> None:
    api = Api(client, tokens())
    a_ref, b_ref, scenes = three_cases(api)
    today = clock().date().isoformat()
    made = client.post(
        "/dpo/sars",
        json={"person_ref": a_ref, "received_on": today, "identity_checked_on": today},
        headers=dpo(tokens),
    )
    assert made.status_code == 201, made.text
    sar = made.json()
    assert (sar["status"], sar["due_on"] is not None) == ("open", True)

    # while it is open, A's data is held
    erased = client.post(
        "/dpo/erasures",
        json={"person_ref": a_ref, "ground": "subject_request"},
        headers=dpo(tokens),
    )
    problem(erased, 409, rule="erasure.open_sar")

    draft = client.get(f"/dpo/sars/{sar['sar_id']}", headers=dpo(tokens))
    assert draft.status_code == 200, draft.text
    body = draft.json()
    assert {c["case_id"] for c in body["cases"]} == {s.case_id for s in scenes}
    assert body["details"] == A
    items = {i["item"]: i for i in body["items"]}
    b_items = [i for i in items.values() if i["item"].startswith("third_party:")]
    assert b_items
    assert all(i["decision"] == "withhold" for i in b_items)
    assert all(i["ground"] == "third_party" for i in b_items)
    b_name = items[f"third_party:{b_ref}:name"]
    assert b_name["value"] == B["name"]
    assert b_name["context"]
    lines = " ".join(line["text"] for r in body["records"] for line in r["lines"])
    assert "blob" not in " ".join(line["label"] for r in body["records"] for line in r["lines"])
    assert not any(canary in lines for canary in B_CANARIES)
    assert all(canary in lines for canary in A_CANARIES)

    # a decision needs a ground to withhold, and names a real item
    record = next(i["item"] for i in items.values() if i["item"].startswith("record:"))
    url = f"/dpo/sars/{sar['sar_id']}/items/{record}/decision"
    problem(
        client.post(url, json={"decision": "withhold"}, headers=dpo(tokens)), 422, rule="sar.ground"
    )
    bogus = f"/dpo/sars/{sar['sar_id']}/items/record:{scenes[0].case_id}:999/decision"
    problem(
        client.post(bogus, json={"decision": "release"}, headers=dpo(tokens)),
        422,
        rule="sar.item_unknown",
    )
    withheld = client.post(
        url, json={"decision": "withhold", "ground": "s45_4_b"}, headers=dpo(tokens)
    )
    assert withheld.status_code == 201, withheld.text

    issued = _issue(client, tokens, sar["sar_id"])
    assert issued.status_code == 201, issued.text
    out = issued.json()
    assert out["sar"]["status"] == "issued"
    folder = Path(out["folder"])
    report = (folder / "report.html").read_text(encoding="utf-8")
    for canary in A_CANARIES:
        assert canary in report, canary
    for canary in B_CANARIES:
        assert canary not in report, canary
    for expected in (
        "Staffordshire Police",
        "Example Homes",
        "public task",
        "to manage the case",
        "Schedule 2, paragraph 16",
        "section 45(4)(b)",
        "ico.org.uk",
    ):
        assert expected in report, expected
    assert client.get(f"/dpo/sars/{sar['sar_id']}/report", headers=dpo(tokens)).text == report

    key = api_settings.data_dir / "notary.pub"
    assert verify_offline(folder / "bundle.json", key, out=io.StringIO(), err=io.StringIO()) == 0
    for name in ("report.html", "bundle.json"):
        copy = tmp_path / name.split(".")[0]
        copy.mkdir()
        for other in ("report.html", "bundle.json"):
            (copy / other).write_bytes((folder / other).read_bytes())
        data = bytearray((copy / name).read_bytes())
        data[len(data) // 2] ^= 0x01
        (copy / name).write_bytes(bytes(data))
        said = io.StringIO()
        assert verify_offline(copy / "bundle.json", key, out=said, err=io.StringIO()) == 1, name
        assert said.getvalue().startswith("FAILED"), said.getvalue()

    # issued, the request no longer holds A's data
    again = client.post(url, json={"decision": "release"}, headers=dpo(tokens))
    problem(again, 422, rule="sar.closed")


def test_only_dpos_act_and_auditors_read(client: TestClient, tokens: Tokens, clock: Clock) -> None:
    api = Api(client, tokens())
    scene = api.open()
    today = clock().date().isoformat()
    body = {"person_ref": scene.complainant, "received_on": today}
    for role in ("caseworker", "supervisor", "partner", "analyst", "admin", "auditor"):
        problem(client.post("/dpo/sars", json=body, headers=tokens(role, team=None)), 403)
    made = client.post("/dpo/sars", json=body, headers=dpo(tokens))
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "awaiting_identity"
    sar_id = made.json()["sar_id"]
    for role in ("caseworker", "supervisor", "partner", "analyst", "admin"):
        problem(client.get("/dpo/sars", headers=tokens(role, team=None)), 403)
        problem(client.get(f"/dpo/sars/{sar_id}", headers=tokens(role, team=None)), 403)
    listed = client.get("/dpo/sars", headers=tokens("auditor", team=None))
    assert [s["sar_id"] for s in listed.json()["items"]] == [sar_id]
    assert (
        client.get(f"/dpo/sars/{sar_id}", headers=tokens("auditor", team=None)).status_code == 200
    )
    problem(client.get(f"/dpo/sars/{scene.case_id}", headers=dpo(tokens)), 404)
    unknown = {**body, "person_ref": "00000000-0000-4000-8000-000000000000"}
    problem(client.post("/dpo/sars", json=unknown, headers=dpo(tokens)), 422, rule="person.unknown")
