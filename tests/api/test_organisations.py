"""The organisation register (issue 12, §2): admins register and retire the protocol's
signatories; shares, support referrals and agencies name one by id, and the recipient's
agency type and protocol come from the register; a partner's token carries the id, and
what a partner sees is decided by id, never by comparing names. Both stores."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from ledger.enums import AccessOutcome, Role
from tests.api.conftest import PARTNERS, Clock, Tokens
from tests.api.helpers import COMMANDS, Api, named_fields, problem
from tests.api.test_access_records import accesses

JSON = dict[str, Any]


def _admin(tokens: Tokens) -> dict[str, str]:
    return tokens("admin", user="admin-7", team=None)


def _register(client: TestClient, tokens: Tokens, **body: Any) -> JSON:
    sent = {"id": "new-homes", "name": "New Homes", "agency": "housing_provider", **body}
    response = client.post("/organisations", json=sent, headers=_admin(tokens))
    assert response.status_code == 201, response.text
    created: JSON = response.json()
    return created


def test_an_admin_registers_and_every_role_lists_the_signatories(
    client: TestClient, tokens: Tokens, clock: Clock
) -> None:
    made = _register(client, tokens, joined="2025-04-01")
    assert made["id"] == "new-homes"
    assert (made["agency"], made["protocol_reference"]) == (
        "housing_provider",
        "One Staffordshire ISP",
    )
    assert (made["active"], made["left"]) == (True, None)
    assert made["position"] >= 1
    for role in Role:
        if role is Role.SYSTEM:
            continue
        listed = client.get("/organisations", headers=tokens(role.value)).json()["items"]
        assert {o["id"] for o in listed} == {*PARTNERS, "former-partner", "new-homes"}
    one = client.get("/organisations/new-homes", headers=tokens()).json()
    assert (one["name"], one["joined"], one["version"]) == ("New Homes", "2025-04-01", 1)
    active = client.get("/organisations?active=false", headers=tokens()).json()["items"]
    assert [o["id"] for o in active] == ["former-partner"]
    problem(client.get("/organisations/no-such-org", headers=tokens()), 404)


@pytest.mark.parametrize("role", ["caseworker", "supervisor", "dpo", "auditor", "partner"])
def test_only_an_admin_keeps_the_register(client: TestClient, tokens: Tokens, role: str) -> None:
    body = {"id": "x-homes", "name": "X Homes", "agency": "housing_provider"}
    problem(client.post("/organisations", json=body, headers=tokens(role)), 403)
    problem(client.post("/organisations/example-homes/retire", json={}, headers=tokens(role)), 403)
    assert client.get("/organisations/x-homes", headers=tokens()).status_code == 404


def test_an_id_is_registered_once_and_is_a_slug(client: TestClient, tokens: Tokens) -> None:
    again = {"id": "example-homes", "name": "Example Homes Again", "agency": "housing_provider"}
    answer = problem(client.post("/organisations", json=again, headers=_admin(tokens)), 409)
    assert answer["rule"] == "organisation.already_registered"
    for bad in ("Example Homes", "example--homes", "-homes", "", "x" * 65):
        body = {**again, "id": bad}
        response = client.post("/organisations", json=body, headers=_admin(tokens))
        problem(response, 422)
        assert named_fields(response) == ["body.id"]


def test_the_recipients_agency_and_protocol_come_from_the_register(
    client: TestClient, tokens: Tokens
) -> None:
    api = Api(client, tokens())
    scene = api.open()
    share = COMMANDS["share_information"]
    body = {**share.body(scene), "recipient": {"organisation": "example-homes"}}
    body.pop("protocol_reference", None)
    api.ok(share.url(scene), body)
    (shared,) = api.view(scene.case_id)["shares"]
    assert (shared["agency"], shared["organisation"]) == ("housing_provider", "example-homes")
    assert shared["protocol_reference"] == "One Staffordshire ISP"
    # The case: a share whose agency is housing but whose organisation is the police.
    before = api.head()
    mixed = {
        **body,
        "recipient": {"agency": "housing_provider", "organisation": "staffordshire-police"},
    }
    answer = problem(api.post(share.url(scene), mixed), 422)
    assert answer["rule"] == "organisation.agency_mismatch"
    assert api.head() == before


def test_a_retired_organisation_is_shared_with_no_more_and_its_tokens_are_refused(
    client: TestClient, tokens: Tokens, clock: Clock
) -> None:
    api = Api(client, tokens())
    scene = api.open()
    share = COMMANDS["share_information"]
    body = {**share.body(scene), "recipient": {"organisation": "example-homes"}}
    api.ok(share.url(scene), body)
    landlord = tokens("partner", user="landlord", org="example-homes", team=None)
    assert client.get(f"/cases/{scene.case_id}", headers=landlord).status_code == 200

    retired = client.post(
        "/organisations/example-homes/retire",
        json={"left": clock().date().isoformat()},
        headers=_admin(tokens),
    )
    assert retired.status_code == 201, retired.text
    assert retired.json()["active"] is False

    answer = problem(client.get(f"/cases/{scene.case_id}", headers=landlord), 403)
    assert answer["rule"] == "organisation.not_a_signatory"
    denied = accesses(client)[-1]
    assert (denied.actor.user_id, denied.outcome) == ("landlord", AccessOutcome.DENIED)
    again = problem(api.post(share.url(scene), {**body, "share_id": None}), 422)
    assert again["rule"] == "organisation.not_a_signatory"
    twice = client.post("/organisations/example-homes/retire", json={}, headers=_admin(tokens))
    assert problem(twice, 422)["rule"] == "organisation.not_a_signatory"


@pytest.mark.parametrize(
    ("org", "status"),
    [
        ("example-homes", 200),  # the recipient: sees what was shared
        ("other-housing", 404),  # another signatory: the case is hidden
        ("Example-Homes", 403),  # differs only in case: not a registered id
        ("Example Homes", 403),  # the registered name is not the id
        ("former-partner", 403),  # retired
        ("nobody-registered", 403),  # unknown
    ],
)
def test_a_partner_sees_a_share_by_its_organisations_id_and_nothing_else(
    client: TestClient, tokens: Tokens, org: str, status: int
) -> None:
    api = Api(client, tokens())
    scene = api.open()
    share = COMMANDS["share_information"]
    api.ok(share.url(scene), {**share.body(scene), "recipient": {"organisation": "example-homes"}})
    partner = tokens("partner", user="p-1", org=org, team=None)
    before = len(accesses(client))
    response = client.get(f"/cases/{scene.case_id}", headers=partner)
    assert response.status_code == status, response.text
    if status == 200:
        assert [s["organisation"] for s in response.json()["shares"]] == ["example-homes"]
        assert "Cathy Complainant" not in response.text  # only the case summary was shared
    else:
        assert "Loud music" not in response.text
    (recorded,) = accesses(client)[before:]
    assert recorded.actor.user_id == "p-1"
    expected = {200: AccessOutcome.GRANTED, 404: AccessOutcome.NOT_FOUND, 403: AccessOutcome.DENIED}
    assert recorded.outcome is expected[status]


def test_a_police_referral_goes_to_the_only_police_signatory_unless_named(
    bare_client: TestClient, tokens: Tokens
) -> None:
    client = bare_client
    for org_id, name, agency in (
        ("staffordshire-police", "Staffordshire Police", "police"),
        ("example-homes", "Example Homes", "housing_provider"),
    ):
        _register(client, tokens, id=org_id, name=name, agency=agency, joined="2020-01-01")
    api = Api(client, tokens())
    scene = api.open()
    api.do("record_incident", scene, criminal=True)
    refer = COMMANDS["refer_to_police"]
    body = {**refer.body(scene), "organisation": None}
    receipt = api.ok(refer.url(scene), body)
    (referral,) = api.view(scene.case_id)["police_referrals"]
    assert referral["organisation"] == "staffordshire-police"
    timeline = client.get(f"/cases/{scene.case_id}/timeline", headers=api.headers).text
    assert "Referred to the police (staffordshire-police) (reference SP-2026-0001234)" in timeline
    dpo = tokens("dpo", team=None)
    at = f"/dpo/disclosures?case={scene.case_id}&min_position={receipt['position']}"
    log = client.get(at, headers=dpo).json()["items"]
    (sent,) = [entry for entry in log if entry["kind"] == "police_referral"]
    assert (sent["recipient_agency"], sent["recipient_organisation"]) == (
        "police",
        "staffordshire-police",
    )
    _register(client, tokens, id="west-mercia-police", name="West Mercia", agency="police")
    api.do("record_incident", scene, criminal=True)
    answer = problem(api.post(refer.url(scene), body), 422)
    assert answer["rule"] == "police_referral.force_required"


@pytest.mark.parametrize(
    "name", ["share_information", "add_agency", "refer_for_support", "record_incident"]
)
def test_a_command_on_no_case_makes_no_key_for_it(
    client: TestClient, tokens: Tokens, name: str
) -> None:
    """Organisations are looked up before the case is loaded; what is sealed is sealed only
    once it is: a command on a case that does not exist leaves no data key behind."""
    api = Api(client, tokens())
    scene = api.open()
    command = COMMANDS[name]
    body = command.body(scene)
    missing = uuid4()
    response = api.post(command.path.replace("{case_id}", str(missing)), body)
    problem(response, 404)
    assert api.ledger.keys.table.load_key(f"case:{missing}") == (False, None)
