"""Erasing a person (issue 13 §2, the part that needs no subject access request yet), on
both stores: the DPO's decision with its ground destroys the keys of every record of the
person and their index tokens; views show their fields as erased; the chains still verify;
it is refused while a case that needs them is open; only a DPO may."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from ledger.erasure import KeyErasure, erasure_id
from tests.api.conftest import Tokens
from tests.api.helpers import Api, Scene, problem

JSON = dict[str, Any]
EVE = {"name": "Eve Erasable", "contact": "07700 900888", "date_of_birth": "1980-05-05"}


def _victim(api: Api, scene: Scene) -> str:
    made = api.ok(f"/cases/{scene.case_id}/people", {"role": "victim", "details": EVE})
    ref: str = made["created"]["person_ref"]
    return ref


def _erase(client: TestClient, tokens: Tokens, ref: str, role: str = "dpo") -> Any:
    return client.post(
        "/dpo/erasures",
        json={"person_ref": ref, "ground": "subject_request"},
        headers=tokens(role, user=f"{role}-1", team=None),
    )


def test_a_dpo_erases_a_person_once_no_open_case_needs_them(
    client: TestClient, tokens: Tokens
) -> None:
    api = Api(client, tokens())
    scene = api.open()
    ref = _victim(api, scene)
    refused = _erase(client, tokens, ref)
    problem(refused, 422, rule="erasure.case_open")
    assert "Eve" not in refused.text
    found = client.post("/people/search", json=EVE, headers=api.headers).json()
    assert [c["person_ref"] for c in found["candidates"]] == [ref]  # nothing was destroyed

    api.as_(tokens("supervisor")).do("close_case", scene)
    for role in ("caseworker", "supervisor", "auditor", "partner", "admin"):
        problem(_erase(client, tokens, ref, role), 403)
    erased = _erase(client, tokens, ref)
    assert erased.status_code == 201, erased.text
    assert erased.json() == {"person_ref": ref, "erased": [f"person:{ref}"]}

    ledger = api.ledger
    record: Any = ledger.repository.get(erasure_id(f"person:{ref}"))
    assert isinstance(record, KeyErasure)
    assert ledger.keys.table.count_tokens(ref) == 0
    assert client.post("/people/search", json=EVE, headers=api.headers).json() == {"candidates": []}
    (victim,) = [p for p in api.view(scene.case_id)["people"] if p["person_ref"] == ref]
    assert victim["name"] == {"erased": True}
    assert all(verdict.intact for verdict in ledger.verify_all())
    again = _erase(client, tokens, ref)  # repeating it is harmless
    assert again.status_code == 201, again.text


def test_a_witness_on_an_open_case_may_be_erased(client: TestClient, tokens: Tokens) -> None:
    api = Api(client, tokens())
    scene = api.open()
    made = api.ok(f"/cases/{scene.case_id}/people", {"role": "witness", "details": EVE})
    erased = _erase(client, tokens, made["created"]["person_ref"])
    assert erased.status_code == 201, erased.text
    problem(
        client.post("/dpo/erasures", json={"person_ref": "x"}, headers=tokens("dpo", team=None)),
        422,
    )
