"""Driving the command routes in tests: a caller, and a table of every route with a valid
body for a case made ready for it, the events it appends and the effect it must show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from api.auth import mint_token
from ledger.application import CaseLedger
from ledger.enums import Role
from ledger.risk import ASB_VRA_V1
from tests.api.conftest import Tokens, complaint

JSON = dict[str, Any]
PROBLEM = "application/problem+json"
MISSING = object()
"""As a ``Command.broken`` value: leave the field out."""


@dataclass
class Scene:
    """A case made ready for one command: the ids its path and body name."""

    case_id: str = ""
    complainant: str = ""
    ids: dict[str, str] = field(default_factory=dict)


AUTHORISER = "supervisor-3"
"""The supervisor whose token authorises the shares tests make (``X-Authorised-By``)."""


def authorised_by(
    client: TestClient, user: str = AUTHORISER, role: Role = Role.SUPERVISOR
) -> dict[str, str]:
    """The header by which a supervisor authorises a caseworker's share."""
    settings = client.app.state.settings  # type: ignore[attr-defined]
    token = mint_token(settings, user=user, role=role, org="council", team="north")
    return {"X-Authorised-By": f"Bearer {token}"}


@dataclass
class Api:
    """A caller of the app: posts with their bearer headers, reads back what happened."""

    client: TestClient
    headers: dict[str, str]

    @property
    def ledger(self) -> CaseLedger:
        ledger: CaseLedger = self.client.app.state.ledger  # type: ignore[attr-defined]
        return ledger

    def as_(self, headers: dict[str, str]) -> Api:
        return Api(self.client, headers)

    def post(self, path: str, body: JSON, headers: dict[str, str] | None = None) -> Response:
        sent = {**self.headers, **(headers or {})}
        if path.endswith("/shares") and "X-Authorised-By" not in sent:
            sent = {**authorised_by(self.client), **sent}
        response: Response = self.client.post(path, json=body, headers=sent)
        return response

    def ok(self, path: str, body: JSON, headers: dict[str, str] | None = None) -> JSON:
        response = self.post(path, body, headers)
        assert response.status_code == 201, response.text
        receipt: JSON = response.json()
        return receipt

    def do(self, name: str, scene: Scene, **changes: Any) -> JSON:
        """Runs a command of the table with its valid body (and changes); keeps what it made."""
        command = COMMANDS[name]
        body = {**command.body(scene), **changes}
        receipt = self.ok(command.url(scene), body)
        scene.ids.update({k: v for k, v in body.items() if k.endswith("_id") and v})
        scene.ids.update(receipt["created"])
        return receipt

    def open(self, **overrides: Any) -> Scene:
        receipt = self.ok("/cases", complaint(**overrides))
        case_id = receipt["case_id"]
        return Scene(case_id, receipt["created"]["complainant_ref"])

    def view(self, case_id: str) -> JSON:
        response = self.client.get(f"/cases/{case_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        assert response.headers["ETag"] == f'"{response.json()["version"]}"'
        view: JSON = response.json()
        return view

    def history(self, case_id: str) -> tuple[int, list[str]]:
        """The case's version and the types of its events, in order."""
        response = self.client.get(f"/cases/{case_id}/events", headers=self.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        return body["version"], [event["type"] for event in body["events"]]

    def head(self) -> int:
        """The ledger's last notification position (every append, of any stream)."""
        return self.ledger.recorder.max_notification_id() or 0


def problem(response: Response, status: int, **expected: Any) -> JSON:
    """Checks a problem+json answer and returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: JSON = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    for name, value in expected.items():
        assert body[name] == value, body
    return body


def stall_read_models(client: TestClient) -> None:
    """Stops the app's projection runner and makes its read models wait 50 ms at most: from
    here on, a position the ledger issues is one no view reaches (a 503 ``view-behind``)."""
    models: Any = client.app.state.read_models  # type: ignore[attr-defined]
    models.runner.stop()
    for view in [*models.views.values(), models.notary]:
        view.read_timeout = 0.05


def named_fields(response: Response) -> list[str]:
    """The fields a 422 validation problem names."""
    body = problem(response, 422)
    assert "rule" not in body
    return [error["field"] for error in body["errors"]]


# ----------------------------------------------------------------- the command table


def _nothing(api: Api, scene: Scene) -> None:
    """No preparation beyond the open case."""


def _plan(api: Api, scene: Scene) -> None:
    api.do("plan_action", scene)


def _criminal_incident(api: Api, scene: Scene) -> None:
    api.do("record_incident", scene, criminal=True, harms=["violence_or_threat"])


def _perpetrator(api: Api, scene: Scene) -> None:
    receipt = api.ok(
        f"/cases/{scene.case_id}/people",
        {"role": "alleged_perpetrator", "details": {"name": "Pat Perpetrator"}},
    )
    scene.ids["perpetrator"] = receipt["created"]["person_ref"]


def _request_review(api: Api, scene: Scene) -> None:
    api.do("request_case_review", scene)


def _decide_met(api: Api, scene: Scene) -> None:
    api.do("request_case_review", scene)
    api.do("decide_case_review", scene)


def _close(api: Api, scene: Scene) -> None:
    api.do("close_case", scene)


def _only(items: list[JSON], key: str, value: str) -> JSON:
    (found,) = [item for item in items if item[key] == value]
    return found


@dataclass(frozen=True)
class Command:
    """One command route: a valid body for a prepared case, what it appends, what it shows."""

    name: str
    path: str
    events: tuple[str, ...]
    body: Callable[[Scene], JSON]
    broken: tuple[str, Any, str]
    """Set this body field to this value (or leave it out, ``MISSING``): 422 names this."""
    effect: Callable[[JSON, Scene, JSON], None]
    """Checks the case view after the command, given the scene and the receipt."""
    prepare: Callable[[Api, Scene], None] = _nothing
    role: str = "caseworker"

    def url(self, scene: Scene) -> str:
        return self.path.format(case_id=scene.case_id, **scene.ids)

    @property
    def on_case(self) -> bool:
        return "{case_id}" in self.path

    def broken_body(self, scene: Scene) -> tuple[JSON, str]:
        key, value, named = self.broken
        body = self.body(scene)
        if value is MISSING:
            del body[key]
        else:
            body[key] = value
        return body, named


def _opened(view: JSON, scene: Scene, receipt: JSON) -> None:
    assert receipt["created"]["case_id"] == receipt["case_id"] == view["case_id"]
    assert view["reference"].startswith("ASB-2026-")
    assert (view["status"], view["team"], view["officer"]) == ("open", "north", "caseworker-1")
    assert view["description"] == complaint()["description"]
    assert view["received_at"] == "2026-03-02T09:00:00Z"
    (person,) = view["people"]
    assert person["person_ref"] == view["complainant_ref"] == receipt["created"]["complainant_ref"]
    assert (person["name"], person["roles"]) == ("Cathy Complainant", ["complainant"])


def _linked(view: JSON, scene: Scene, receipt: JSON) -> None:
    person = _only(view["people"], "person_ref", receipt["created"]["person_ref"])
    assert person["roles"] == ["victim"]
    assert (person["name"], person["address"]) == ("Vic Victim", "3 Example Road")
    assert person["vulnerabilities"] == ["disability"]
    assert person["vulnerability_note"] == "Uses a wheelchair."


def _incident(view: JSON, scene: Scene, receipt: JSON) -> None:
    (incident,) = view["incidents"]
    assert incident["incident_id"] == receipt["created"]["incident_id"]
    assert incident["description"] == "Music and shouting from 23:00 to 02:00."
    assert incident["location"] == "The stairwell"
    assert incident["occurred_at"] == "2026-02-27T23:00:00Z"
    assert (incident["incident_type"], incident["harms"]) == ("noise", ["targeted"])
    assert (incident["criminal"], incident["police_referred"]) == (False, False)


def _assessed(view: JSON, scene: Scene, receipt: JSON) -> None:
    (assessment,) = view["assessments"]
    assert (assessment["score"], assessment["computed_level"]) == (12, "medium")
    assert assessment["rationale"] == "Repeat incidents; feels targeted."
    assert assessment["assessor"] == "caseworker-1"
    assert view["risk_level"] == "medium"


def _planned(view: JSON, scene: Scene, receipt: JSON) -> None:
    assert view["actions"] == [
        {
            "action_id": "visit-1",
            "description": "Visit the alleged perpetrator with a warning.",
            "owner_agency": "council",
            "owner_officer": "officer-17",
            "due": "2026-03-16",
            "status": "open",
            "outcome": None,
        }
    ]


def _finished(status: str) -> Callable[[JSON, Scene, JSON], None]:
    def check(view: JSON, scene: Scene, receipt: JSON) -> None:
        (action,) = view["actions"]
        assert (action["status"], action["outcome"]) == (status, "Warning delivered in person.")

    return check


def _timescales(view: JSON, scene: Scene, receipt: JSON) -> None:
    assert view["timescales"] == {
        "first_contact_due": "2026-03-03",
        "next_review_due": "2026-03-16",
        "target_resolution": "2026-04-30",
        "agreed_with": ["police"],
        "organisations": ["staffordshire-police"],
    }
    assert view["next_review_due"] == "2026-03-16"


def _contact(view: JSON, scene: Scene, receipt: JSON) -> None:
    (contact,) = view["contacts"]
    assert contact["person_ref"] == scene.complainant
    assert contact["summary"] == "Discussed the diary sheets."
    assert (contact["method"], contact["preferred_method_used"]) == ("phone", True)


def _support(view: JSON, scene: Scene, receipt: JSON) -> None:
    (referral,) = view["support_referrals"]
    assert referral["person_ref"] == scene.complainant
    assert (referral["service"], referral["consent"]) == ("victims_gateway", "given")
    assert referral["needs"] == "Emotional support; help with a safety plan."


def _shared(view: JSON, scene: Scene, receipt: JSON) -> None:
    (share,) = view["shares"]
    assert share["share_id"] == receipt["created"]["share_id"]
    assert (share["organisation"], share["items"]) == ("example-homes", ["case_summary"])
    assert share["recipient_person"] == "Tenancy officer J. Smith"
    assert share["justification"] == "The landlord needs the incident dates."
    assert (share["lawful_basis"], share["authorised_by"]) == ("public_task", "supervisor-3")


def _referred(view: JSON, scene: Scene, receipt: JSON) -> None:
    (referral,) = view["police_referrals"]
    assert referral["incident_ids"] == [scene.ids["incident_id"]]
    assert referral["police_reference"] == "SP-2026-0001234"
    (incident,) = view["incidents"]
    assert incident["police_referred"] is True


def _agency(view: JSON, scene: Scene, receipt: JSON) -> None:
    (agency,) = view["agencies"]
    assert (agency["agency"], agency["organisation"]) == ("police", "staffordshire-police")
    assert (agency["role"], agency["contact"]) == ("Neighbourhood policing lead", "PC 1234")


def _enforced(view: JSON, scene: Scene, receipt: JSON) -> None:
    (action,) = view["enforcement"]
    assert (action["tool"], action["subject_ref"]) == ("warning_letter", scene.ids["perpetrator"])
    assert action["outcome"] == "Warning letter hand-delivered."


def _reviewed(view: JSON, scene: Scene, receipt: JSON) -> None:
    (review,) = view["reviews"]
    assert (review["outcome"], review["notes"]) == ("continue", "Incidents reducing.")
    assert view["next_review_due"] == review["next_review_due"] == "2026-03-30"


def _review_requested(view: JSON, scene: Scene, receipt: JSON) -> None:
    (request,) = view["case_reviews"]
    assert request["request_id"] == receipt["created"]["request_id"]
    assert (request["applicant_ref"], request["decision"]) == (scene.complainant, "pending")


def _review_decided(view: JSON, scene: Scene, receipt: JSON) -> None:
    (request,) = view["case_reviews"]
    assert request["request_id"] == scene.ids["request_id"]
    assert (request["decision"], request["outcome"]) == ("threshold_met", "Panel on 3 December.")


def _review_acknowledged(view: JSON, scene: Scene, receipt: JSON) -> None:
    (request,) = view["case_reviews"]
    assert request["request_id"] == scene.ids["request_id"]
    assert (request["acknowledged_at"], request["decision"]) == (
        "2026-03-02T09:00:00+00:00",
        "pending",
    )


def _review_concluded(view: JSON, scene: Scene, receipt: JSON) -> None:
    (request,) = view["case_reviews"]
    assert request["request_id"] == scene.ids["request_id"]
    assert request["decision"] == "threshold_met"
    assert request["recommendations"] == "Joint visit; acoustic monitoring."
    assert request["concluded_at"] == "2026-03-02T09:00:00+00:00"


def _closed(view: JSON, scene: Scene, receipt: JSON) -> None:
    assert view["status"] == "closed"
    closure = view["closure"]
    assert (closure["reason"], closure["full_reasons"]) == ("resolved", "Mediation worked.")
    assert (closure["feedback_method"], closure["preferred_method_used"]) == ("phone", True)
    assert closure["feedback_given_at"] == closure["closed_at"] == "2026-03-02T09:00:00Z"
    assert closure["closed_by"] == "caseworker-1"


def _reopened(view: JSON, scene: Scene, receipt: JSON) -> None:
    assert (view["status"], view["reopen_count"], view["closure"]) == ("open", 1, None)


def _assigned(view: JSON, scene: Scene, receipt: JSON) -> None:
    assert (view["team"], view["officer"]) == ("south", "officer-9")


CASE = "/cases/{case_id}"
ALL_COMMANDS = [
    Command(
        name="open_case",
        path="/cases",
        events=("CaseOpened", "CaseAssigned"),
        body=lambda s: complaint(),
        broken=("channel", "pigeon", "body.channel"),
        effect=_opened,
    ),
    Command(
        name="link_person",
        path=CASE + "/people",
        events=("PersonLinked",),
        body=lambda s: {
            "role": "victim",
            "details": {"name": "Vic Victim", "address": "3 Example Road"},
            "vulnerabilities": ["disability"],
            "vulnerability_note": "Uses a wheelchair.",
        },
        broken=("role", "bystander", "body.role"),
        effect=_linked,
    ),
    Command(
        name="record_incident",
        path=CASE + "/incidents",
        events=("IncidentRecorded",),
        body=lambda s: {
            "incident_type": "noise",
            "description": "Music and shouting from 23:00 to 02:00.",
            "harms": ["targeted"],
            "occurred_at": "2026-02-27T23:00:00+00:00",
            "location": "The stairwell",
        },
        broken=("incident_type", "loud", "body.incident_type"),
        effect=_incident,
    ),
    Command(
        name="assess_risk",
        path=CASE + "/risk-assessments",
        events=("RiskAssessed",),
        body=lambda s: {
            "answers": {q.key: 1 for q in ASB_VRA_V1.questions},
            "rationale": "Repeat incidents; feels targeted.",
        },
        broken=("instrument_version", 0, "body.instrument_version"),
        effect=_assessed,
    ),
    Command(
        name="plan_action",
        path=CASE + "/actions",
        events=("ActionPlanned",),
        body=lambda s: {
            "action_id": "visit-1",
            "description": "Visit the alleged perpetrator with a warning.",
            "owner_agency": "council",
            "owner_officer": "officer-17",
            "due": "2026-03-16",
        },
        broken=("due", "next week", "body.due"),
        effect=_planned,
    ),
    Command(
        name="complete_action",
        path=CASE + "/actions/{action_id}/complete",
        events=("ActionCompleted",),
        body=lambda s: {"outcome": "Warning delivered in person."},
        broken=("outcome", MISSING, "body.outcome"),
        effect=_finished("completed"),
        prepare=_plan,
    ),
    Command(
        name="cancel_action",
        path=CASE + "/actions/{action_id}/cancel",
        events=("ActionCancelled",),
        body=lambda s: {"outcome": "Warning delivered in person."},
        broken=("outcome", 42, "body.outcome"),
        effect=_finished("cancelled"),
        prepare=_plan,
    ),
    Command(
        name="agree_timescales",
        path=CASE + "/timescales",
        events=("TimescalesAgreed",),
        body=lambda s: {
            "first_contact_due": "2026-03-03",
            "next_review_due": "2026-03-16",
            "target_resolution": "2026-04-30",
            "organisations": ["staffordshire-police"],
        },
        broken=("agreed_with", ["martians"], "body.agreed_with.0"),
        effect=_timescales,
    ),
    Command(
        name="record_contact",
        path=CASE + "/contacts",
        events=("ContactRecorded",),
        body=lambda s: {
            "person_ref": s.complainant,
            "method": "phone",
            "direction": "outbound",
            "outcome": "reached",
            "summary": "Discussed the diary sheets.",
        },
        broken=("direction", "sideways", "body.direction"),
        effect=_contact,
    ),
    Command(
        name="refer_for_support",
        path=CASE + "/support-referrals",
        events=("SupportReferralMade",),
        body=lambda s: {
            "person_ref": s.complainant,
            "service": "victims_gateway",
            "organisation": "victims-gateway",
            "needs": "Emotional support; help with a safety plan.",
            "consent": "given",
        },
        broken=("consent", "maybe", "body.consent"),
        effect=_support,
    ),
    Command(
        name="share_information",
        path=CASE + "/shares",
        events=("InformationShared",),
        body=lambda s: {
            "recipient": {
                "agency": "housing_provider",
                "organisation": "example-homes",
                "person": "Tenancy officer J. Smith",
            },
            "items": ["case_summary"],
            "purpose": "prevent_crime_and_disorder",
            "justification": "The landlord needs the incident dates.",
            "lawful_basis": "public_task",
            "gateway": "crime_and_disorder_act_1998_s115",
            "consent": "not_sought",
            "consent_note": "Seeking consent would prejudice the prevention of crime.",
        },
        broken=("lawful_basis", "because", "body.lawful_basis"),
        effect=_shared,
    ),
    Command(
        name="refer_to_police",
        path=CASE + "/police-referrals",
        events=("PoliceReferralMade",),
        body=lambda s: {
            "incident_ids": [s.ids["incident_id"]],
            "police_reference": "SP-2026-0001234",
            "organisation": "staffordshire-police",
        },
        broken=("incident_ids", ["not-a-uuid"], "body.incident_ids.0"),
        effect=_referred,
        prepare=_criminal_incident,
    ),
    Command(
        name="add_agency",
        path=CASE + "/agencies",
        events=("AgencyJoined",),
        body=lambda s: {
            "agency": "police",
            "organisation": "staffordshire-police",
            "role": "Neighbourhood policing lead",
            "contact": "PC 1234",
        },
        broken=("agency", "army", "body.agency"),
        effect=_agency,
    ),
    Command(
        name="take_enforcement_action",
        path=CASE + "/enforcement-actions",
        events=("EnforcementActionTaken",),
        body=lambda s: {
            "tool": "warning_letter",
            "subject_ref": s.ids["perpetrator"],
            "legislation": "Non-statutory",
            "outcome": "Warning letter hand-delivered.",
        },
        broken=("tool", "stern_look", "body.tool"),
        effect=_enforced,
        prepare=_perpetrator,
    ),
    Command(
        name="review_case",
        path=CASE + "/reviews",
        events=("CaseReviewed",),
        body=lambda s: {
            "outcome": "continue",
            "notes": "Incidents reducing.",
            "next_review_due": "2026-03-30",
        },
        broken=("next_review_due", MISSING, "body.next_review_due"),
        effect=_reviewed,
    ),
    Command(
        name="request_case_review",
        path=CASE + "/case-review-requests",
        events=("CaseReviewRequested",),
        body=lambda s: {"applicant_ref": s.complainant},
        broken=("applicant_ref", "someone", "body.applicant_ref"),
        effect=_review_requested,
    ),
    Command(
        name="acknowledge_case_review",
        path=CASE + "/case-review-requests/{request_id}/acknowledgement",
        events=("CaseReviewAcknowledged",),
        body=lambda s: {},
        broken=("occurred_at", "yesterday", "body.occurred_at"),
        effect=_review_acknowledged,
        prepare=_request_review,
    ),
    Command(
        name="decide_case_review",
        path=CASE + "/case-review-requests/{request_id}/decision",
        events=("CaseReviewDecided",),
        body=lambda s: {"decision": "threshold_met", "outcome": "Panel on 3 December."},
        broken=("decision", "maybe", "body.decision"),
        effect=_review_decided,
        prepare=_request_review,
    ),
    Command(
        name="conclude_case_review",
        path=CASE + "/case-review-requests/{request_id}/outcome",
        events=("CaseReviewConcluded",),
        body=lambda s: {"recommendations": "Joint visit; acoustic monitoring."},
        broken=("recommendations", MISSING, "body.recommendations"),
        effect=_review_concluded,
        prepare=_decide_met,
    ),
    Command(
        name="close_case",
        path=CASE + "/close",
        events=("CaseClosed",),
        body=lambda s: {
            "reason": "resolved",
            "full_reasons": "Mediation worked.",
            "feedback": {"method": "phone"},
        },
        broken=("feedback", {"method": "carrier_pigeon"}, "body.feedback.method"),
        effect=_closed,
    ),
    Command(
        name="reopen_case",
        path=CASE + "/reopen",
        events=("CaseReopened",),
        body=lambda s: {"reason": "A further incident was reported."},
        broken=("reason", MISSING, "body.reason"),
        effect=_reopened,
        prepare=_close,
    ),
    Command(
        name="assign_case",
        path=CASE + "/assign",
        events=("CaseAssigned",),
        body=lambda s: {"team": "south", "officer": "officer-9"},
        broken=("team", MISSING, "body.team"),
        effect=_assigned,
        role="supervisor",
    ),
]
COMMANDS = {command.name: command for command in ALL_COMMANDS}
ON_CASE = [command for command in ALL_COMMANDS if command.on_case]


def staged(client: TestClient, tokens: Tokens, command: Command) -> tuple[Api, Scene]:
    """A caller in the command's role (team north) and a case prepared for the command
    (none for opening one): opened by a north caseworker, who is its officer."""
    scene = Scene()
    if command.on_case:
        opener = Api(client, tokens())
        scene = opener.open()
        command.prepare(opener, scene)
    return Api(client, tokens(command.role)), scene


def reader(client: TestClient, tokens: Tokens) -> Api:
    """A supervisor of both teams the tests use: sees every case before and after."""
    return Api(client, tokens("supervisor", user="reader", teams=["north", "south"]))
