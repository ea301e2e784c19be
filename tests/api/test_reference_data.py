"""Fields kept in the clear take only the council's values (issue 11, point 12): a ward from
the council's list, legislation from the enumerated provisions, a police reference in the
force's format, a staff id's format for teams and officers. Anything else, a name and an
address above all, is refused naming the field, and nothing is recorded, so that no
personal data can outlive the destruction of its key. ``GET /reference-data`` lists the
values, for every role."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from ledger.enums import Provision, Role
from ledger.vocabulary import DEFAULT_POLICE_REFERENCE_FORMAT, DEFAULT_WARDS
from tests.api.conftest import Tokens, complaint
from tests.api.helpers import Api, named_fields, problem

FREE_TEXT = "Jane Doe, 1 High St"


def test_every_role_reads_the_councils_reference_data(client: TestClient, tokens: Tokens) -> None:
    for role in Role:
        if role is Role.SYSTEM:
            continue
        response = client.get("/reference-data", headers=tokens(role.value))
        assert response.status_code == 200, (role, response.text)
        body = response.json()
        assert body["wards"] == list(DEFAULT_WARDS)
        assert body["legislation"] == [p.value for p in Provision]
        assert body["police_reference_format"] == DEFAULT_POLICE_REFERENCE_FORMAT
    assert client.get("/reference-data").status_code == 401


def test_a_council_sets_its_own_wards_and_force_format(api_settings: ApiSettings) -> None:
    own = api_settings.model_copy(
        update={"wards": ("Upper Ward", "Lower Ward"), "police_reference_format": r"[0-9]{8}"}
    )
    with TestClient(create_app(own), raise_server_exceptions=False) as client:
        api = Api(client, Tokens(own)())
        assert client.get("/reference-data", headers=api.headers).json()["wards"] == [
            "Upper Ward",
            "Lower Ward",
        ]
        problem(api.post("/cases", complaint(ward="Forebridge")), 422, rule="ward.unknown")
        scene = api.open(ward="upper  ward")
        assert api.view(scene.case_id)["ward"] == "Upper Ward"


def test_a_ward_is_stored_in_the_councils_spelling(client: TestClient, tokens: Tokens) -> None:
    api = Api(client, tokens())
    scene = api.open(ward="  highfields AND western downs ")
    assert api.view(scene.case_id)["ward"] == "Highfields and Western Downs"


def _refused(api: Api, path: str, body: dict[str, Any], field: str, rule: str | None) -> None:
    before = api.head()
    response = api.post(path, body)
    answer = problem(response, 422)
    if rule is None:
        assert named_fields(response) == [f"body.{field}"]
    else:
        assert answer["rule"] == rule
        assert field in answer["detail"]
    assert FREE_TEXT not in response.text, "a refused value may be personal: never echoed"
    assert api.head() == before, "nothing recorded"


def test_a_name_and_address_cannot_be_recorded_in_a_plain_field(
    client: TestClient, tokens: Tokens
) -> None:
    api = Api(client, tokens("supervisor", team="north"))
    scene = api.open()
    case = f"/cases/{scene.case_id}"
    api.do("record_incident", scene, criminal=True)
    incident = scene.ids["incident_id"]
    perpetrator = api.ok(
        f"{case}/people",
        {"role": "alleged_perpetrator", "details": {"name": "Pat Perpetrator"}},
    )["created"]["person_ref"]

    _refused(api, "/cases", complaint(ward=FREE_TEXT), "ward", "ward.unknown")
    _refused(api, "/cases", complaint(team=FREE_TEXT), "team", None)
    _refused(api, "/cases", complaint(officer=FREE_TEXT), "officer", None)
    _refused(api, f"{case}/assign", {"team": "north", "officer": FREE_TEXT}, "officer", None)
    _refused(
        api,
        f"{case}/police-referrals",
        {
            "incident_ids": [incident],
            "police_reference": FREE_TEXT,
            "organisation": "staffordshire-police",
        },
        "police_reference",
        "police_referral.reference_format",
    )
    _refused(
        api,
        f"{case}/enforcement-actions",
        {
            "tool": "warning_letter",
            "subject_ref": perpetrator,
            "legislation": FREE_TEXT,
            "outcome": "Letter delivered.",
        },
        "legislation",
        None,
    )
    _refused(
        api,
        f"{case}/actions",
        {
            "description": "Visit",
            "owner_agency": "council",
            "owner_officer": FREE_TEXT,
            "due": "2026-03-16",
        },
        "owner_officer",
        None,
    )


@pytest.mark.parametrize("provision", [Provision.NON_STATUTORY, Provision.ASBCPA_2014_S43])
def test_enforcement_names_its_legislation_from_the_list(
    client: TestClient, tokens: Tokens, provision: Provision
) -> None:
    api = Api(client, tokens())
    scene = api.open()
    perpetrator = api.ok(
        f"/cases/{scene.case_id}/people",
        {"role": "alleged_perpetrator", "details": {"name": "Pat Perpetrator"}},
    )["created"]["person_ref"]
    api.ok(
        f"/cases/{scene.case_id}/enforcement-actions",
        {
            "tool": "community_protection_warning",
            "subject_ref": perpetrator,
            "legislation": provision.value,
            "outcome": "Warning served.",
        },
    )
    (action,) = api.view(scene.case_id)["enforcement"]
    assert action["legislation"] == provision.value
