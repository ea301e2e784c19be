"""Cases linked by a person or a place, and the cases at an address (issue 12 §3), on both
stores: each link gives its reasons; merges join people; a witness links nothing; only
cases the caller may see are shown (the rest counted); an address is matched by a keyed
hash, never kept or echoed; every read is recorded."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from ledger.enums import AccessOutcome
from tests.api.conftest import Tokens
from tests.api.helpers import Api, Scene, problem
from tests.api.test_access_records import accesses

JSON = dict[str, Any]
ADDRESS = "14 Canal Side, Stafford ST16 3XY"


def _link(api: Api, scene: Scene, role: str, **body: Any) -> JSON:
    return api.ok(f"/cases/{scene.case_id}/people", {"role": role, **body})


def _links(api: Api, scene: Scene, position: int) -> JSON:
    response = api.client.get(
        f"/cases/{scene.case_id}/links", params={"min_position": position}, headers=api.headers
    )
    assert response.status_code == 200, response.text
    links: JSON = response.json()
    return links


def test_cases_link_by_victim_perpetrator_and_place_with_their_reasons(
    client: TestClient, tokens: Tokens
) -> None:
    api = Api(client, tokens())
    first, second, third, unrelated = api.open(), api.open(), api.open(), api.open()
    victim = _link(api, first, "victim", details={"name": "Una Linked"})["created"]["person_ref"]
    _link(api, second, "complainant", person_ref=victim)
    perpetrator = _link(api, first, "alleged_perpetrator", details={"name": "Perry Same"})
    _link(api, third, "alleged_perpetrator", person_ref=perpetrator["created"]["person_ref"])
    witness = _link(api, unrelated, "witness", details={"name": "Wendy Witness"})
    _link(api, first, "witness", person_ref=witness["created"]["person_ref"])
    api.ok(
        f"/cases/{first.case_id}/incidents",
        {"incident_type": "noise", "description": "Music.", "place": {"address": ADDRESS}},
    )
    last = api.ok(
        f"/cases/{third.case_id}/incidents",
        {"incident_type": "noise", "description": "Music.", "location": "14 canal side ST163XY"},
    )

    found = _links(api, first, last["position"])
    by_case = {link["case_id"]: link["reasons"] for link in found["links"]}
    assert set(by_case) == {second.case_id, third.case_id}  # the witness links nothing
    ((person,),) = [by_case[second.case_id]]
    assert (person["kind"], person["person_ref"], person["role_here"], person["role_there"]) == (
        "person",
        victim,
        "victim",
        "complainant",
    )
    kinds = sorted((r["kind"], r["role_here"]) for r in by_case[third.case_id])
    assert kinds == [("person", "alleged_perpetrator"), ("place", None)]
    (place,) = [r["place"] for r in by_case[third.case_id] if r["kind"] == "place"]
    assert place.startswith("addr:")
    assert "CANAL" not in found.__repr__().upper()
    assert found["other_links"] == 0
    back = _links(api, second, last["position"])
    assert [link["case_id"] for link in back["links"]] == [first.case_id]

    recorded = [a for a in accesses(client) if a.view == "case.links"]
    assert recorded
    assert recorded[0].outcome is AccessOutcome.GRANTED
    assert victim in [str(s) for s in recorded[0].subjects]


def test_links_show_only_cases_the_caller_may_see(client: TestClient, tokens: Tokens) -> None:
    north = Api(client, tokens(user="cw-1", team="north"))
    south = Api(client, tokens(user="cw-2", team="south"))
    mine, theirs = north.open(), south.open()
    ref = _link(north, mine, "victim", details={"name": "Vi Across"})["created"]["person_ref"]
    last = _link(south, theirs, "victim", person_ref=ref)
    found = _links(north, mine, last["position"])
    assert (found["links"], found["other_links"]) == ([], 1)
    supervisor = north.as_(tokens("supervisor", teams=["north", "south"]))
    assert [c["case_id"] for c in _links(supervisor, mine, 0)["links"]] == [theirs.case_id]
    problem(client.get(f"/cases/{mine.case_id}/links", headers=tokens("partner")), 403)
    problem(client.get(f"/cases/{theirs.case_id}/links", headers=north.headers), 404)


def test_the_cases_at_an_address_by_uprn_or_by_any_spelling(
    client: TestClient, tokens: Tokens
) -> None:
    api = Api(client, tokens())
    by_location = api.ok("/cases", _complaint(location=ADDRESS))
    by_uprn = api.ok("/cases", _complaint(place={"uprn": "100031234567"}))
    elsewhere = api.ok("/cases", _complaint(location="15 Canal Side, Stafford ST16 3XY"))
    position = elsewhere["position"]

    def search(body: JSON, headers: dict[str, str] | None = None) -> Any:
        return client.post(
            "/places/search",
            params={"min_position": position},
            json=body,
            headers=headers or api.headers,
        )

    found = search({"address": "14, canal side  st163xy"})
    assert found.status_code == 200, found.text
    assert [c["case_id"] for c in found.json()["cases"]] == [by_location["case_id"]]
    assert "CANAL" not in found.text.upper()
    uprn = search({"uprn": "100031234567"}).json()
    assert (uprn["place"], [c["case_id"] for c in uprn["cases"]]) == (
        "uprn:100031234567",
        [by_uprn["case_id"]],
    )
    problem(search({}), 422)
    problem(search({"address": "Canal Side"}), 422, rule="place.unrecognised")
    problem(search({"address": ADDRESS}, tokens("partner")), 403)
    problem(search({"address": ADDRESS}, tokens("auditor", team=None)), 403)
    other_team = search({"address": ADDRESS}, tokens(user="cw-9", team="south")).json()
    assert (other_team["cases"], other_team["other_cases"]) == ([], 1)
    assert "places.search" in [a.view for a in accesses(client)]


def _complaint(**overrides: Any) -> JSON:
    from tests.api.conftest import complaint

    return complaint(**overrides)
