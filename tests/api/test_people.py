"""The person register over HTTP (issue 12, §1 and §4), on both stores: the same victim
entered by two officers by name is caught at intake; once the second officer names the
existing person, cumulative harm is seen in both cases; search takes a body and is
recorded; a person is shown as the caller is entitled; a merge joins two records and the
risk view follows; correcting details never blanks the others; and the Pilkington-shaped
scenario: one family, three cases, three officers, one picture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from ledger.enums import AccessOutcome, ErasureReason, Role
from ledger.values import Actor
from tests.api.conftest import Clock, Tokens, complaint
from tests.api.helpers import Api, Scene, problem
from tests.api.test_access_records import accesses

JSON = dict[str, Any]
VIC = {
    "name": "Victoria O'Neill",
    "contact": "07700 900456",
    "address": "3 Example Road, Stafford ST16 2AB",
    "date_of_birth": "1961-04-12",
}


def _officer(tokens: Tokens, n: int, team: str) -> dict[str, str]:
    return tokens(user=f"cw-{n}", team=team)


def _victim(api: Api, scene: Scene, details: JSON, **extra: Any) -> Any:
    return api.post(
        f"/cases/{scene.case_id}/people", {"role": "victim", "details": details, **extra}
    )


def _incident(api: Api, scene: Scene, victim: str, when: datetime, *harms: str) -> JSON:
    return api.ok(
        f"/cases/{scene.case_id}/incidents",
        {
            "incident_type": "harassment_or_intimidation",
            "description": "Stones thrown at the window; shouting.",
            "harms": list(harms),
            "victim_refs": [victim],
            "occurred_at": when.isoformat(),
        },
    )


def _risk(api: Api, case_id: str, position: int) -> JSON:
    response = api.client.get(
        f"/cases/{case_id}/risk", params={"min_position": position}, headers=api.headers
    )
    assert response.status_code == 200, response.text
    risk: JSON = response.json()
    return risk


def _victim_risk(risk: JSON, ref: str) -> JSON:
    (found,) = [v for v in risk["victims"] if v["person_ref"] == ref]
    victim: JSON = found
    return victim


def test_the_same_victim_entered_by_two_officers_is_caught_and_then_seen_in_both_cases(
    client: TestClient, tokens: Tokens
) -> None:
    north = Api(client, _officer(tokens, 1, "north"))
    south = Api(client, _officer(tokens, 2, "south"))
    first = north.open()
    vic = _victim(north, first, VIC).json()["created"]["person_ref"]
    first_incident = _incident(north, first, vic, datetime(2026, 2, 20, 22, tzinfo=UTC))

    second = south.open()
    # Another spelling of the same details: case, apostrophe, spacing, phone format.
    again = {**VIC, "name": "victoria  oneill", "contact": "+44 7700 900456"}
    refused = _victim(south, second, again)
    body = problem(refused, 409, rule="person.possible_duplicate")
    (candidate,) = body["candidates"]
    assert candidate["person_ref"] == vic
    assert candidate["strong"] is True
    assert {"surname_dob", "phone", "full_name", "postcode_house"} <= set(candidate["matched"])
    # South may not see north's case: told that the person exists, not who they are.
    assert candidate["name"] is None
    assert (candidate["cases"], candidate["other_cases"]) == ([], 1)
    assert south.history(second.case_id)[1][-1] != "PersonLinked"

    # North's officer, who can see the case, is told her name and the case.
    searched = client.post(
        "/people/search", json={"name": "VICTORIA O NEILL"}, headers=north.headers
    )
    assert searched.status_code == 200, searched.text
    (seen,) = searched.json()["candidates"]
    assert seen["name"] == "Victoria O'Neill"
    assert [c["case_id"] for c in seen["cases"]] == [first.case_id]

    # South names the existing person: linked without a second record.
    linked = south.ok(f"/cases/{second.case_id}/people", {"role": "victim", "person_ref": vic})
    assert linked["created"] == {"person_ref": vic}
    later = _incident(south, second, vic, datetime(2026, 2, 27, 23, tzinfo=UTC), "targeted")
    third = _incident(south, second, vic, datetime(2026, 3, 1, 21, tzinfo=UTC), "targeted")

    for api, scene in ((north, first), (south, second)):
        risk = _victim_risk(_risk(api, scene.case_id, third["position"]), vic)
        assert risk["cases"] == 2
        counted = {i for f in risk["harm"]["escalations"] for i in f["incident_ids"]}
        assert {first_incident["created"]["incident_id"], later["created"]["incident_id"]} <= (
            counted
        )
        assert risk["judgement"]["derived_level"] == "high"


def test_a_different_person_with_a_matching_name_is_confirmed_new(
    client: TestClient, tokens: Tokens
) -> None:
    api = Api(client, tokens())
    scene = api.open()
    assert _victim(api, scene, VIC).status_code == 201
    other = api.open()
    problem(_victim(api, other, VIC), 409, rule="person.possible_duplicate")
    made = _victim(api, other, VIC, confirm_new_person=True)
    assert made.status_code == 201, made.text
    # A name alone is not strong: many people share one.
    third = api.open()
    assert _victim(api, third, {"name": VIC["name"]}).status_code == 201


def test_opening_by_name_is_caught_too_and_resent_naming_the_person(
    client: TestClient, tokens: Tokens
) -> None:
    api = Api(client, tokens())
    cathy = {"name": "Cathy Complainant", "contact": "cathy@example.org"}
    first = api.ok("/cases", complaint(complainant=cathy))
    body = problem(api.post("/cases", complaint(complainant=cathy)), 409)
    assert body["rule"] == "person.possible_duplicate"
    ref = body["candidates"][0]["person_ref"]
    assert ref == first["created"]["complainant_ref"]
    again = api.ok("/cases", complaint(complainant=cathy, complainant_ref=ref))
    assert again["created"]["complainant_ref"] == ref
    person = client.get(
        f"/people/{ref}", params={"min_position": again["position"]}, headers=api.headers
    ).json()
    assert [c["roles"] for c in person["cases"]] == [["complainant"], ["complainant"]]


def test_a_person_is_shown_as_the_caller_is_entitled_and_the_read_is_recorded(
    client: TestClient, tokens: Tokens
) -> None:
    north = Api(client, _officer(tokens, 1, "north"))
    scene = north.open()
    made = _victim(north, scene, VIC).json()
    ref = made["created"]["person_ref"]
    url = f"/people/{ref}"
    mine = client.get(url, params={"min_position": made["position"]}, headers=north.headers)
    assert mine.status_code == 200, mine.text
    shown = mine.json()
    assert (shown["name"], shown["address"], shown["date_of_birth"]) == (
        VIC["name"],
        VIC["address"],
        VIC["date_of_birth"],
    )
    assert [(c["case_id"], c["roles"]) for c in shown["cases"]] == [(scene.case_id, ["victim"])]
    assert shown["risk"]["judgement"]["derived_level"] in ("standard", "medium", "high")

    elsewhere = client.get(url, headers=_officer(tokens, 5, "south")).json()
    assert (elsewhere["name"], elsewhere["contact"], elsewhere["cases"]) == (None, None, [])
    assert elsewhere["other_cases"] == 1
    problem(client.get(url, headers=tokens("partner")), 403)
    problem(client.get(url, headers=tokens("analyst", team=None)), 403)
    problem(client.get("/people/00000000-0000-4000-8000-000000000000", headers=north.headers), 404)

    reads = [a for a in accesses(client) if a.view == "people.get"]
    assert [UUID(ref)] in [list(a.subjects) for a in reads]
    assert AccessOutcome.NOT_FOUND in [a.outcome for a in reads]
    searches = client.post("/people/search", json={"contact": "07700900456"}, headers=north.headers)
    assert [c["person_ref"] for c in searches.json()["candidates"]] == [ref]
    assert any(
        a.view == "people.search" and list(a.subjects) == [UUID(ref)] for a in accesses(client)
    )


def test_search_takes_a_body_with_something_to_find(client: TestClient, tokens: Tokens) -> None:
    headers = tokens()
    response = client.post("/people/search", json={}, headers=headers)
    problem(response, 422)
    response = client.post("/people/search", json={"nmae": "x"}, headers=headers)
    problem(response, 422)
    assert client.get("/people/search", headers=headers).status_code in (404, 405, 422)
    problem(client.post("/people/search", json={"name": "x"}, headers=tokens("partner")), 403)
    nobody = client.post("/people/search", json={"name": "Nobody Known"}, headers=headers)
    assert nobody.json() == {"candidates": []}


def test_correcting_a_phone_number_never_blanks_the_address_or_birth_date(
    client: TestClient, tokens: Tokens
) -> None:
    api = Api(client, tokens())
    scene = api.open()
    ref = _victim(api, scene, VIC).json()["created"]["person_ref"]
    witness = {"role": "witness", "person_ref": ref, "details": {"name": VIC["name"]}}
    made = api.ok(
        f"/cases/{scene.case_id}/people",
        {**witness, "details": {**witness["details"], "contact": "07700 900999"}},
    )
    person = client.get(
        f"/people/{ref}", params={"min_position": made["position"]}, headers=api.headers
    ).json()
    assert person["contact"] == "07700 900999"
    assert (person["address"], person["date_of_birth"]) == (VIC["address"], VIC["date_of_birth"])
    view = api.view(scene.case_id)
    (held,) = [p for p in view["people"] if p["person_ref"] == ref]
    assert held["address"] == VIC["address"]
    assert sorted(held["roles"]) == ["victim", "witness"]
    # Another case names her by reference alone: its view shows her as the register has her.
    other = api.open()
    api.ok(f"/cases/{other.case_id}/people", {"role": "victim", "person_ref": ref})
    (there,) = [p for p in api.view(other.case_id)["people"] if p["person_ref"] == ref]
    assert (there["name"], there["contact"], there["address"]) == (
        VIC["name"],
        "07700 900999",
        VIC["address"],
    )
    # The new number finds her.
    found = client.post("/people/search", json={"contact": "07700 900999"}, headers=api.headers)
    assert [c["person_ref"] for c in found.json()["candidates"]] == [ref]


def test_a_merge_joins_two_records_and_the_risk_view_follows(
    client: TestClient, tokens: Tokens, clock: Clock
) -> None:
    api = Api(client, tokens())
    one, two = api.open(), api.open()
    first = _victim(api, one, VIC).json()["created"]["person_ref"]
    second = _victim(api, two, VIC, confirm_new_person=True).json()["created"]["person_ref"]
    _incident(api, one, first, datetime(2026, 2, 25, 20, tzinfo=UTC))
    _incident(api, two, second, datetime(2026, 2, 26, 20, tzinfo=UTC))
    last = _incident(api, two, second, datetime(2026, 2, 28, 20, tzinfo=UTC))
    before = _victim_risk(_risk(api, one.case_id, last["position"]), first)
    assert before["cases"] == 1

    api.view(two.case_id)  # a read of the second record's case, before the merge
    supervisor = tokens("supervisor", user="sup-1")
    url = f"/people/{first}/merge"
    problem(client.post(url, json={"duplicate": second}, headers=api.headers), 403)
    merged = client.post(url, json={"duplicate": second}, headers=supervisor)
    assert merged.status_code == 201, merged.text
    position = max(merged.json()["positions"])
    after = _risk(api, one.case_id, position)
    (victim,) = after["victims"]
    assert victim["person_ref"] == first
    assert victim["cases"] == 2
    assert (
        victim["harm"]["windows"][0]["incidents"] >= 3
        or victim["judgement"]["derived_level"] == "high"
    )
    assert _risk(api, two.case_id, position)["victims"][0]["person_ref"] == first

    shown = client.get(f"/people/{second}", headers=api.headers).json()
    assert (shown["person_ref"], shown["asked_for"]) == (first, second)
    assert shown["also_known_as"] == [second]
    assert len(shown["cases"]) == 2
    # Merged once: a second merge, or a merge into a merged record, is refused.
    problem(client.post(url, json={"duplicate": second}, headers=supervisor), 422)
    refused = client.post(f"/people/{second}/merge", json={"duplicate": first}, headers=supervisor)
    problem(refused, 422, rule="person.merge_refused")
    unknown = client.post(
        url, json={"duplicate": "00000000-0000-4000-8000-000000000000"}, headers=supervisor
    )
    problem(unknown, 422, rule="person.unknown")
    # The disclosure log asked about the person answers for both records.
    dpo = tokens("dpo", team=None)
    log = client.get(
        "/dpo/disclosures",
        params={"subject": first, "min_position": position, "limit": 500},
        headers=dpo,
    )
    assert log.status_code == 200, log.text
    named = {s for item in log.json()["items"] for s in item["subjects"]}
    assert {first, second} <= named
    # Search finds the merged record as the survivor.
    found = client.post("/people/search", json=VIC, headers=api.headers).json()["candidates"]
    assert [c["person_ref"] for c in found] == [first]

    # Erasing the person erases both records' keys and their index tokens.
    ledger = api.ledger
    scopes = ledger.erase_person(
        UUID(second),
        actor=Actor(user_id="dpo-1", display_name="DPO", role=Role.DPO, organisation="council"),
        occurred_at=clock() + timedelta(minutes=1),
        reason=ErasureReason.SUBJECT_REQUEST,
    )
    assert sorted(scopes) == sorted([f"person:{first}", f"person:{second}"])
    assert ledger.keys.table.count_tokens(first) == ledger.keys.table.count_tokens(second) == 0
    assert client.post("/people/search", json=VIC, headers=api.headers).json() == {"candidates": []}
    gone = client.get(f"/people/{first}", headers=api.headers).json()
    assert gone["name"] is None


def test_pilkington_one_family_three_cases_three_officers_one_picture(
    client: TestClient, tokens: Tokens
) -> None:
    """A mother and her disabled daughter report over three months; each report is opened
    as a new case by a different officer, by name. Intake finds them each time, the
    officers name the family's records, and the derived level rises to high with reasons
    naming incidents from all three cases, though no case on its own is high."""
    mother = {
        "name": "Fiona Example",
        "contact": "07700 900321",
        "address": "12 Barwell Close, Stafford ST17 4AA",
        "date_of_birth": "1960-03-05",
    }
    daughter = {**mother, "name": "Frankie Example", "date_of_birth": "1989-07-19"}
    officers = [
        Api(client, _officer(tokens, n, team))
        for n, team in ((1, "north"), (2, "south"), (3, "east"))
    ]
    months = [
        datetime(2026, 1, 5, 21, tzinfo=UTC),
        datetime(2026, 2, 2, 22, tzinfo=UTC),
        datetime(2026, 2, 27, 20, tzinfo=UTC),
    ]
    harms = [("targeted",), ("targeted", "hate_motivated"), ("targeted", "violence_or_threat")]
    refs: dict[str, str] = {}
    incidents: list[str] = []
    scenes: list[Scene] = []
    last: JSON = {}
    for api, when, harm in zip(officers, months, harms, strict=True):
        scene = api.open()
        scenes.append(scene)
        for who, details, extra in (
            ("mother", mother, {}),
            ("daughter", daughter, {"vulnerabilities": ["disability"]}),
        ):
            answer = _victim(api, scene, details, **extra)
            if who in refs:
                body = problem(answer, 409, rule="person.possible_duplicate")
                assert refs[who] in [c["person_ref"] for c in body["candidates"]]
                api.ok(
                    f"/cases/{scene.case_id}/people",
                    {"role": "victim", "person_ref": refs[who], **extra},
                )
            else:
                assert answer.status_code == 201, answer.text
                refs[who] = answer.json()["created"]["person_ref"]
        last = api.ok(
            f"/cases/{scene.case_id}/incidents",
            {
                "incident_type": "harassment_or_intimidation",
                "description": "Stones at the windows; abuse shouted at the daughter.",
                "harms": list(harm),
                "victim_refs": [refs["mother"], refs["daughter"]],
                "occurred_at": when.isoformat(),
            },
        )
        incidents.append(last["created"]["incident_id"])

    for api, scene in zip(officers, scenes, strict=True):
        risk = _risk(api, scene.case_id, last["position"])
        assert risk["harm"]["escalations"] == [] or all(
            e["level"] != "high" or len(e["incident_ids"]) == 1 for e in risk["harm"]["escalations"]
        ), "no case on its own holds the pattern"
        for who in ("mother", "daughter"):
            victim = _victim_risk(risk, refs[who])
            assert victim["cases"] == 3
            assert victim["judgement"]["derived_level"] == "high", victim["judgement"]
            high = [e for e in victim["harm"]["escalations"] if e["level"] == "high"]
            named = {i for e in high for i in e["incident_ids"]}
            assert set(incidents) <= named, (high, incidents)
        assert risk["judgement"]["derived_level"] == "high"

    # The caseload shows each case's derived level beside its assessed one, and filters by it.
    supervisor = tokens("supervisor", teams=["north", "south", "east"])
    listed = client.get(
        "/caseload",
        params={"derived_level": "high", "min_position": last["position"]},
        headers=supervisor,
    )
    assert listed.status_code == 200, listed.text
    rows = {item["case_id"]: item for item in listed.json()["items"]}
    assert set(rows) == {scene.case_id for scene in scenes}
    assert {(r["risk_level"], r["derived_level"]) for r in rows.values()} == {(None, "high")}
    calm = client.get("/caseload", params={"derived_level": "standard"}, headers=supervisor)
    assert not {scene.case_id for scene in scenes} & {i["case_id"] for i in calm.json()["items"]}
