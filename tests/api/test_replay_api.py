"""Replay over HTTP, on both stores: ``GET /cases/{id}?as_of_version=N``, ``?as_of=T``
(recorded time, or ``&time=occurred`` for world time) and ``GET /cases/{id}/diff``. Each is
authorised like the plain read, recorded as an access with the version shown, and shows a
partner only what was shared with them (an analyst nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient
from httpx import Response

from ledger.access import Accessed, AccessRecord
from ledger.enums import AccessOutcome, ErasureReason
from ledger.sealing import person_scope
from tests.api.conftest import Clock, Tokens
from tests.api.helpers import JSON, Api, Scene, named_fields, problem
from tests.api.test_access_records import accesses
from tests.builders import SUPERVISOR

ORG = "example-homes"
HIDDEN_FROM_PARTNER = (
    "Cathy Complainant",  # the complainant was not shared
    "Music and shouting from 23:00 to 02:00.",  # nor the incidents
    "Visit the alleged perpetrator with a warning.",  # nor the action plan
    "Warning delivered in person.",
)
LATE = "2026-03-02T10:15:00+00:00"


@dataclass
class Story:
    """A case on team north, one version per step, the clock an hour on each time:

    v1, v2 opened and assigned (09:00); v3 a victim linked (10:00); v4 an incident from
    27 February recorded (11:00); v5 the case summary and the victim shared with ORG
    (12:00); v6 an incident at 10:15 reported late (13:00); v7 an action planned (14:00);
    v8 it is done (15:00). ``views`` holds what the caseworker's plain read showed at each
    version, ``partner_views`` the partner's (from the share on)."""

    client: TestClient
    tokens: Tokens
    api: Api
    scene: Scene
    victim: str = ""
    views: dict[int, JSON] = field(default_factory=dict)
    partner_views: dict[int, JSON] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"/cases/{self.scene.case_id}"

    @property
    def partner(self) -> dict[str, str]:
        return self.tokens("partner", user="landlord-1", org=ORG, team=None)

    def get(
        self, path: str, headers: dict[str, str] | None = None, /, **params: Any
    ) -> tuple[Response, Accessed | None]:
        """The response, and the one access record it left (None if none)."""
        before = len(accesses(self.client))
        response = self.client.get(
            self.url + path, params=params, headers=self.api.headers if headers is None else headers
        )
        after = accesses(self.client)[before:]
        assert len(after) <= 1
        return response, (after[0] if after else None)

    def recorded_at(self) -> dict[int, str]:
        events = self.client.get(f"{self.url}/events", headers=self.api.headers).json()
        return {event["version"]: event["recorded_at"] for event in events["events"]}


@pytest.fixture
def story(client: TestClient, tokens: Tokens, clock: Clock) -> Story:
    api = Api(client, tokens())
    story = Story(client, tokens, api, api.open())
    scene = story.scene
    story.views[2] = plain(api.view(scene.case_id))

    def then(name: str, **changes: Any) -> JSON:
        clock.now += timedelta(hours=1)
        receipt = api.do(name, scene, **changes)
        story.views[receipt["version"]] = plain(api.view(scene.case_id))
        if receipt["version"] >= 5:
            story.partner_views[receipt["version"]] = plain(
                Api(client, story.partner).view(scene.case_id)
            )
        return receipt

    story.victim = then("link_person")["created"]["person_ref"]
    then("record_incident")
    then(
        "share_information",
        items=["case_summary", f"person:{story.victim}"],
        recipient={"agency": "housing_provider", "organisation": ORG},
        condition="dpa2018_sch1_safeguarding",
    )
    then(
        "record_incident",
        incident_id=str(uuid4()),
        occurred_at=LATE,
        description="Shouting in the stairwell.",
    )
    then("plan_action")
    then("complete_action")
    assert sorted(story.views) == list(range(2, 9))
    return story


def as_of_body(response: Response) -> tuple[JSON, JSON]:
    """The view without its ``as_of`` block, and the block."""
    assert response.status_code == 200, response.text
    body: JSON = response.json()
    block = body.pop("as_of")
    assert body.pop("case_review") is None  # a judgement of now, not of the case then
    return body, block


def plain(view: JSON) -> JSON:
    """A plain read without its ASB Case Review flag: judged now, by a view that may lag."""
    return {key: value for key, value in view.items() if key != "case_review"}


# ------------------------------------------------------------------ as of a version


def test_each_version_shows_what_the_plain_read_showed_then(story: Story) -> None:
    recorded = story.recorded_at()
    for version, then in story.views.items():
        response, record = story.get("", as_of_version=version)
        view, block = as_of_body(response)
        assert view == then
        assert block == {
            "basis": "version",
            "at": None,
            "version": version,
            "recorded_at": recorded[version],
            "current_version": 8,
            "left_out": [],
        }
        assert response.headers["ETag"] == f'"{version}"'
        assert response.headers["Content-Location"] == f"{story.url}?as_of_version={version}"
        assert record is not None
        assert (record.view, record.case_version) == ("case.as_of", version)
        assert record.outcome is AccessOutcome.GRANTED
        assert record.request_id == response.headers["x-request-id"]
        people = {UUID(person["person_ref"]) for person in view["people"]}
        assert set(record.subjects) == people
    opened, _ = as_of_body(story.get("", as_of_version=1)[0])
    assert (opened["version"], opened["team"], opened["officer"]) == (1, None, None)
    assert opened["description"] == story.views[2]["description"]


def test_the_plain_read_is_unchanged_and_still_recorded_as_the_detail(story: Story) -> None:
    response, record = story.get("")
    assert response.status_code == 200
    assert plain(response.json()) == story.views[8]
    assert "as_of" not in response.json()
    assert response.headers["ETag"] == '"8"'
    assert record is not None
    assert (record.view, record.case_version) == ("case.detail", 8)


def test_a_version_the_case_has_not_reached_is_a_422_with_a_code(story: Story) -> None:
    response, record = story.get("", as_of_version=9)
    body = problem(response, 422, rule="replay.version_beyond_case")
    assert [e["field"] for e in body["errors"]] == ["query.as_of_version"]
    assert "version 9" in body["detail"]
    assert "version 8" in body["detail"]
    assert "etag" not in response.headers
    assert record is None


# -------------------------------------------------------------- as of a moment


def test_recorded_time_shows_every_version_recorded_by_then(story: Story) -> None:
    recorded = story.recorded_at()
    for version, at in recorded.items():
        moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
        elsewhere = moment.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()
        for given in (at, elsewhere):
            response, record = story.get("", as_of=given)
            view, block = as_of_body(response)
            assert (block["basis"], block["version"], view["version"]) == (
                "recorded",
                version,
                version,
            )
            assert datetime.fromisoformat(block["at"].replace("Z", "+00:00")) == moment
            assert response.headers["ETag"] == f'"{version}"'
            assert record is not None
            assert (record.view, record.case_version) == ("case.as_of", version)
        if version >= 2:
            assert view == story.views[version]
    explicit, _ = story.get("", as_of=recorded[5], time="recorded")
    assert as_of_body(explicit)[0] == story.views[5]


def test_a_time_before_the_case_was_recorded_is_a_422_with_a_code(story: Story) -> None:
    first = datetime.fromisoformat(story.recorded_at()[1].replace("Z", "+00:00"))
    before = (first - timedelta(microseconds=1)).isoformat()
    response, record = story.get("", as_of=before)
    body = problem(response, 422, rule="replay.before_case_existed")
    assert [e["field"] for e in body["errors"]] == ["query.as_of"]
    assert record is None


def test_world_time_shows_the_versions_that_had_all_happened_by_then(story: Story) -> None:
    cases = [
        ("2026-03-02T09:30:00+00:00", 2, [4]),  # v4's incident had happened; v3 had not
        ("2026-03-02T10:30:00+00:00", 4, [6]),  # v5 (12:00) had not; v6 (10:15) had
        ("2026-03-02T12:30:00+01:00", 4, [6]),  # 11:30 UTC
        ("2026-03-02T12:00:00Z", 6, []),
        ("2026-03-02T15:00:00Z", 8, []),
        ("2027-01-01T00:00:00Z", 8, []),
    ]
    for at, version, left_out in cases:
        response, record = story.get("", as_of=at, time="occurred")
        view, block = as_of_body(response)
        assert (block["basis"], block["version"], block["left_out"]) == (
            "occurred",
            version,
            left_out,
        ), at
        assert view == story.views[version]
        assert record is not None
        assert record.case_version == version


def test_world_time_before_the_case_was_opened_is_a_422_though_an_incident_was(
    story: Story,
) -> None:
    # The first incident happened on 27 February; the case was opened on 2 March.
    response, record = story.get("", as_of="2026-02-28T00:00:00Z", time="occurred")
    body = problem(response, 422, rule="replay.before_case_existed")
    assert [e["field"] for e in body["errors"]] == ["query.as_of"]
    assert "2026-03-02T09:00:00+00:00" in body["detail"]
    assert record is None


# ------------------------------------------------------------------ bad parameters


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"as_of_version": "0"}, ["query.as_of_version"]),
        ({"as_of_version": "two"}, ["query.as_of_version"]),
        ({"as_of_version": str(10**10)}, ["query.as_of_version"]),
        ({"as_of": "2026-03-02T09:00:00"}, ["query.as_of"]),  # no timezone
        ({"as_of": "yesterday"}, ["query.as_of"]),
        (
            {"as_of_version": "2", "as_of": "2026-03-02T09:00:00Z"},
            ["query.as_of_version", "query.as_of"],
        ),
        ({"time": "occurred"}, ["query.time"]),  # a basis without a time
        ({"as_of": "2026-03-02T09:00:00Z", "time": "told"}, ["query.time"]),
    ],
)
def test_bad_parameters_are_a_422_naming_them_and_record_nothing(
    story: Story, params: dict[str, str], fields: list[str]
) -> None:
    response, record = story.get("", **params)
    assert named_fields(response) == fields
    assert record is None


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({}, ["query.from"]),
        ({"from": "0"}, ["query.from"]),
        ({"from": "x"}, ["query.from"]),
        ({"from": "3", "to": "0"}, ["query.to"]),
        ({"from": "5", "to": "3"}, ["query.from"]),
    ],
)
def test_bad_diff_parameters_are_a_422_naming_them(
    story: Story, params: dict[str, str], fields: list[str]
) -> None:
    response, record = story.get("/diff", **params)
    assert named_fields(response) == fields
    assert record is None


def test_a_diff_beyond_the_case_is_a_422_naming_the_version(story: Story) -> None:
    for params, named in (({"from": 9}, "query.from"), ({"from": 2, "to": 9}, "query.to")):
        response, record = story.get("/diff", **params)
        body = problem(response, 422, rule="replay.version_beyond_case")
        assert [e["field"] for e in body["errors"]] == [named]
        assert record is None


# ---------------------------------------------------------------------------- diff


def changes(response: Response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.text
    return [(c["path"], c["op"]) for c in response.json()["changes"]]


def test_a_diff_names_each_changed_field_by_its_path(story: Story) -> None:
    incident = story.views[4]["incidents"][0]["incident_id"]
    response, record = story.get("/diff", **{"from": 3, "to": 4})
    assert changes(response) == [(f"incidents.{incident}", "added")]
    body = response.json()
    assert (body["from_version"], body["to_version"]) == (3, 4)
    assert body["reference"] == story.views[2]["reference"]
    assert body["changes"][0]["after"] == story.views[4]["incidents"][0]
    assert body["changes"][0]["segments"] == ["incidents", incident]
    assert record is not None
    assert (record.view, record.case_version) == ("case.diff", 4)

    done, _ = story.get("/diff", **{"from": 7, "to": 8})
    assert done.json()["changes"] == [
        {
            "path": "actions.visit-1.status",
            "segments": ["actions", "visit-1", "status"],
            "op": "changed",
            "before": "open",
            "after": "completed",
        },
        {
            "path": "actions.visit-1.outcome",
            "segments": ["actions", "visit-1", "outcome"],
            "op": "added",
            "before": None,
            "after": "Warning delivered in person.",
        },
    ]
    assigned, _ = story.get("/diff", **{"from": 1, "to": 2})
    assert changes(assigned) == [("team", "added"), ("officer", "added")]
    same, _ = story.get("/diff", **{"from": 5, "to": 5})
    assert changes(same) == []


def test_a_diff_to_the_current_version_by_default_names_everyone_in_either(
    story: Story,
) -> None:
    response, record = story.get("/diff", **{"from": 2})
    paths = changes(response)
    assert response.json()["to_version"] == 8
    assert (f"people.{story.victim}", "added") in paths
    assert ("actions.visit-1", "added") in paths
    assert record is not None
    assert record.case_version == 8
    assert {str(s) for s in record.subjects} == {story.scene.complainant, story.victim}


# ------------------------------------------------------- who may, and what they see


def test_a_partner_sees_only_what_was_shared_then_and_now(story: Story) -> None:
    partner = story.partner
    for version, then in story.partner_views.items():
        response, record = story.get("", partner, as_of_version=version)
        view, _ = as_of_body(response)
        assert view == then
        assert record is not None
        assert list(record.subjects) == [UUID(story.victim)]
    before_share, record = story.get("", partner, as_of_version=4)
    view, _ = as_of_body(before_share)
    assert view["sections"] == []
    assert view["people"] == []
    assert view["team"] is None
    assert record is not None
    assert list(record.subjects) == []
    for text in HIDDEN_FROM_PARTNER:
        assert text not in before_share.text


def test_a_partners_diff_holds_nothing_their_reads_hide(story: Story) -> None:
    partner = story.partner
    response, record = story.get("/diff", partner, **{"from": 1})
    paths = changes(response)
    assert ("team", "added") in paths  # the case summary: shared at v5
    assert (f"people.{story.victim}", "added") in paths
    assert {path.split(".")[0] for path, _ in paths} <= {
        "sections",
        "team",
        "officer",
        "channel",
        "category",
        "lead_department",
        "ward",
        "received_at",
        "description",
        "location",
        "preferred_contact",
        "people",
        "shares",
    }
    for text in HIDDEN_FROM_PARTNER:
        assert text not in response.text
    assert record is not None
    assert list(record.subjects) == [UUID(story.victim)]
    nothing, _ = story.get("/diff", partner, **{"from": 6, "to": 8})  # the action plan
    assert changes(nothing) == []


def test_an_analyst_is_refused_and_the_refusal_recorded(story: Story) -> None:
    analyst = story.tokens("analyst", user="analyst-1")
    for path, params in (("", {"as_of_version": 3}), ("/diff", {"from": 1, "to": 3})):
        response, record = story.get(path, analyst, **params)
        problem(response, 403)
        assert record is not None
        assert record.outcome is AccessOutcome.DENIED
        assert record.actor.user_id == "analyst-1"
        assert list(record.subjects) == []


def test_no_token_is_401(story: Story) -> None:
    for path, params in (("", {"as_of_version": 3}), ("/diff", {"from": 1})):
        response, record = story.get(path, {}, **params)
        problem(response, 401)
        assert record is None


def test_a_case_hidden_or_missing_is_404_and_recorded(story: Story) -> None:
    south = story.tokens("caseworker", user="cw-south", team="south")
    for headers, url in ((south, story.url), (story.api.headers, f"/cases/{uuid4()}")):
        for path, params, view, missing_view in (
            ("", {"as_of_version": 3}, "case.detail", "case.as_of"),
            ("/diff", {"from": 1, "to": 3}, "case.diff", "case.diff"),
        ):
            before = len(accesses(story.client))
            response = story.client.get(url + path, params=params, headers=headers)
            problem(response, 404)
            (record,) = accesses(story.client)[before:]
            assert record.outcome is AccessOutcome.NOT_FOUND
            assert str(record.case_id) == url.split("/")[2]
            # a refusal names the route; a missing case, the view that was asked for
            assert record.view == (view if url == story.url else missing_view)
            for text in HIDDEN_FROM_PARTNER:
                assert text not in response.text


def test_an_auditor_replays_any_case(story: Story) -> None:
    auditor = story.tokens("auditor", user="aud-1")
    response, record = story.get("", auditor, as_of="2026-03-02T10:30:00Z", time="occurred")
    view, block = as_of_body(response)
    assert view == story.views[4]
    assert block["left_out"] == [6]
    assert record is not None
    assert record.actor.user_id == "aud-1"


# ------------------------------------------------------------------------ erasure


def test_replay_never_unseals_what_was_erased(story: Story) -> None:
    story.api.ledger.destroy_key(
        person_scope(UUID(story.victim)),
        actor=SUPERVISOR,
        occurred_at=datetime(2026, 3, 3, tzinfo=UTC),
        reason=ErasureReason.SUBJECT_REQUEST,
    )
    response, _ = story.get("", as_of_version=3)
    view, _ = as_of_body(response)
    (victim,) = [p for p in view["people"] if p["person_ref"] == story.victim]
    assert victim["name"] == {"erased": True}
    assert "Vic Victim" not in response.text
    diff, _ = story.get("/diff", **{"from": 2, "to": 3})
    assert "Vic Victim" not in diff.text
    assert diff.json()["changes"][0]["after"]["name"] == {"erased": True}


def test_if_the_access_cannot_be_recorded_nothing_is_shown(
    story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(record: AccessRecord) -> int:
        raise OperationalError("the store went away")

    monkeypatch.setattr(story.api.ledger, "record_access", fail)
    for path, params in (("", {"as_of_version": 3}), ("/diff", {"from": 1, "to": 8})):
        response = story.client.get(story.url + path, params=params, headers=story.api.headers)
        problem(response, 503)
        assert "etag" not in response.headers
        for text in ("Cathy Complainant", "Vic Victim", story.victim):
            assert text not in response.text
