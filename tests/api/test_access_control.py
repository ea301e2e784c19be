"""Who may do what: role x relationship x endpoint, what a partner sees, every route
guarded by the one policy, and the policy's default deny."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple
from uuid import UUID, uuid4

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.responses import PlainTextResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from api import policy
from api.app import create_app
from api.policy import Action, CaseFacts, decide
from api.principal import Principal
from api.settings import ApiSettings
from ledger.enums import Role
from ledger.risk import instrument
from tests.api.conftest import Tokens, complaint
from tests.api.helpers import authorised_by

ORG = "example-homes"
OTHER_ORG = "other-housing"
ANSWERS = {q.key: 0 for q in instrument("asb-vra", 1).questions}


class Staff:
    """A supervisor of every team, who builds the cases through the API."""

    def __init__(self, client: TestClient, tokens: Tokens) -> None:
        self.client = client
        self.headers = tokens("supervisor", user="boss", team="north", teams=["north", "south"])
        self.position = 0

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        sent = (
            {**authorised_by(self.client), **self.headers}
            if path.endswith("/shares")
            else self.headers
        )
        response = self.client.post(path, json=body, headers=sent)
        assert response.status_code == 201, response.text
        receipt: dict[str, Any] = response.json()
        self.position = max(self.position, receipt["position"])
        return receipt

    def open(self, *, team: str = "south", officer: str = "someone-else", **body: Any) -> UUID:
        receipt = self.post("/cases", complaint(team=team, officer=officer, **body))
        return UUID(receipt["case_id"])

    def share(self, case_id: UUID, organisation: str, items: list[str]) -> None:
        self.post(f"/cases/{case_id}/shares", share_body(organisation, items))

    def incident(self, case_id: UUID, description: str) -> UUID:
        receipt = self.post(
            f"/cases/{case_id}/incidents", {"incident_type": "noise", "description": description}
        )
        return UUID(receipt["created"]["incident_id"])

    def person(self, case_id: UUID, role: str, name: str) -> UUID:
        body = {"role": role, "details": {"name": name, "address": f"{name}'s address"}}
        return UUID(self.post(f"/cases/{case_id}/people", body)["created"]["person_ref"])


def share_body(organisation: str, items: list[str]) -> dict[str, Any]:
    return {
        "recipient": {"agency": "housing_provider", "organisation": organisation},
        "items": items,
        "purpose": "prevent_crime_and_disorder",
        "justification": "The landlord needs the incident dates.",
        "lawful_basis": "public_task",
        "gateway": "crime_and_disorder_act_1998_s115",
        "consent": "not_sought",
        "consent_note": "It would prejudice the prevention of crime.",
    }


def caller(tokens: Tokens, role: str) -> dict[str, str]:
    """Every caller is on team north and named ``<role>-me``; partners work for ORG."""
    return tokens(role, user=f"{role}-me", org=ORG if role == "partner" else "council")


def problem(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    return {k: v for k, v in body.items() if k != "instance"}


# ------------------------------------------------------- role x relationship x endpoint


class Cell(NamedTuple):
    """One caller on one case: listed by GET /cases ("yes", "no" or the list's status),
    and the status of each endpoint, in the order the test calls them."""

    listed: str | int
    read: int
    events: int
    incident: int
    risk: int
    assign: int


RELATIONSHIPS = ("own_team", "assigned", "other_team", "shared", "shared_elsewhere")
SEES = Cell("yes", 200, 200, 201, 201, 403)
HIDDEN = Cell("no", 404, 404, 404, 404, 403)
READER = Cell("yes", 200, 200, 403, 403, 403)
NOTHING = Cell(403, 403, 403, 403, 403, 403)
PARTNER_HIDDEN = Cell("no", 404, 403, 404, 403, 403)

EXPECTED: dict[str, dict[str, Cell]] = {
    "caseworker": {
        "own_team": SEES,
        "assigned": SEES,
        "other_team": HIDDEN,
        "shared": HIDDEN,
        "shared_elsewhere": HIDDEN,
    },
    "supervisor": {
        "own_team": SEES._replace(assign=201),
        "assigned": SEES._replace(assign=201),
        "other_team": HIDDEN._replace(assign=404),
        "shared": HIDDEN._replace(assign=404),
        "shared_elsewhere": HIDDEN._replace(assign=404),
    },
    "partner": {
        "own_team": PARTNER_HIDDEN,
        "assigned": PARTNER_HIDDEN,
        "other_team": PARTNER_HIDDEN,
        "shared": Cell("yes", 200, 403, 201, 403, 403),
        "shared_elsewhere": PARTNER_HIDDEN,
    },
    "auditor": dict.fromkeys(RELATIONSHIPS, READER),
    "dpo": dict.fromkeys(RELATIONSHIPS, READER),
    "analyst": dict.fromkeys(RELATIONSHIPS, NOTHING),
    "admin": dict.fromkeys(RELATIONSHIPS, NOTHING),
}


def build_relationships(staff: Staff, me: str) -> dict[str, UUID]:
    """One case per relationship to the caller ``me`` (team north, organisation ORG)."""
    cases = {
        "own_team": staff.open(team="north", officer="colleague"),
        "assigned": staff.open(team="south", officer=me),
        "other_team": staff.open(team="south"),
        "shared": staff.open(team="south"),
        "shared_elsewhere": staff.open(team="south"),
    }
    staff.share(cases["shared"], ORG, ["case_summary"])
    staff.share(cases["shared_elsewhere"], OTHER_ORG, ["case_summary"])
    return cases


@pytest.mark.parametrize("role", list(EXPECTED))
def test_role_relationship_endpoint_table(client: TestClient, tokens: Tokens, role: str) -> None:
    staff = Staff(client, tokens)
    cases = build_relationships(staff, f"{role}-me")
    headers = caller(tokens, role)
    ledger = client.app.state.ledger  # type: ignore[attr-defined]
    missing = problem(client.get(f"/cases/{uuid4()}", headers=staff.headers))

    listing = client.get(
        "/cases", params={"min_position": staff.position, "limit": 200}, headers=headers
    )
    listed = {UUID(i["case_id"]) for i in listing.json()["items"]} if listing.is_success else None

    got: dict[str, Cell] = {}
    for relationship, case_id in cases.items():
        url = f"/cases/{case_id}"
        statuses: list[int] = []
        for method, path, body in (
            ("GET", url, None),
            ("GET", f"{url}/events", None),
            ("POST", f"{url}/incidents", {"incident_type": "noise", "description": "Shouting."}),
            ("POST", f"{url}/risk-assessments", {"answers": ANSWERS}),
            ("POST", f"{url}/assign", {"team": "east", "officer": "new-officer"}),
        ):
            before = ledger.get_case(case_id).version
            response = client.request(method, path, json=body, headers=headers)
            statuses.append(response.status_code)
            if response.status_code == 404:  # hidden reads exactly like a missing case
                assert problem(response) == missing, (relationship, path)
            if response.status_code >= 400:
                assert response.headers["content-type"] == "application/problem+json"
                assert ledger.get_case(case_id).version == before, "a refusal appended"
        shown = listing.status_code if listed is None else ("yes" if case_id in listed else "no")
        got[relationship] = Cell(shown, *statuses)

    assert got == EXPECTED[role]


# ------------------------------------------------------------------- partner views


def test_partner_sees_only_the_items_shared_with_their_organisation(
    client: TestClient, tokens: Tokens
) -> None:
    staff = Staff(client, tokens)
    case_id = staff.open(complainant={"name": "Cathy Hidden-Complainant"})
    victim = staff.person(case_id, "victim", "Vera Shared-Victim")
    witness = staff.person(case_id, "witness", "Walter Hidden-Witness")
    shown = staff.incident(case_id, "Shared incident text")
    other = staff.incident(case_id, "Unshared incident text")
    staff.post(
        f"/cases/{case_id}/risk-assessments",
        {"answers": ANSWERS, "rationale": "Unshared risk rationale"},
    )
    staff.post(
        f"/cases/{case_id}/contacts",
        {
            "person_ref": str(victim),
            "method": "phone",
            "direction": "outbound",
            "outcome": "reached",
            "summary": "Unshared contact summary",
        },
    )
    staff.share(case_id, ORG, ["case_summary", f"incident:{shown}"])
    staff.share(case_id, OTHER_ORG, [f"incident:{other}", f"person:{witness}"])
    partner = caller(tokens, "partner")

    response = client.get(f"/cases/{case_id}", headers=partner)
    assert response.status_code == 200
    view = response.json()
    assert "case_summary" in view["sections"]
    assert "risk_assessment" not in view["sections"]
    assert view["description"] == complaint()["description"]
    assert [UUID(i["incident_id"]) for i in view["incidents"]] == [shown]
    assert view["people"] == []
    assert view["complainant_ref"] is None
    assert view["assessments"] == []
    assert view["contacts"] == []
    assert [s["organisation"] for s in view["shares"]] == [ORG]
    for hidden in ("Cathy", "Vera", "Walter", "Unshared", OTHER_ORG):
        assert hidden not in response.text

    staff.share(case_id, ORG, [f"person:{victim}", "risk_assessment"])
    mine = client.post(
        f"/cases/{case_id}/incidents",
        json={"incident_type": "noise", "description": "Seen by the landlord"},
        headers=partner,
    )
    assert mine.status_code == 201
    view = client.get(f"/cases/{case_id}", headers=partner).json()
    assert [UUID(p["person_ref"]) for p in view["people"]] == [victim]
    assert view["people"][0]["name"] == "Vera Shared-Victim"
    assert [a["rationale"] for a in view["assessments"]] == ["Unshared risk rationale"]
    assert {UUID(i["incident_id"]) for i in view["incidents"]} == {
        shown,
        UUID(mine.json()["created"]["incident_id"]),
    }
    assert view["contacts"] == []
    text = str(view)
    assert "Walter" not in text
    assert "Cathy" not in text
    assert "Unshared incident" not in text

    elsewhere = client.get(f"/cases/{case_id}", headers=tokens("partner", org=OTHER_ORG)).json()
    assert [UUID(i["incident_id"]) for i in elsewhere["incidents"]] == [other]
    assert [UUID(p["person_ref"]) for p in elsewhere["people"]] == [witness]
    assert elsewhere["description"] is None
    assert elsewhere["assessments"] == []


def test_a_partner_sees_the_risk_level_only_if_risk_was_shared(
    client: TestClient, tokens: Tokens
) -> None:
    staff = Staff(client, tokens)
    case_id = staff.open()
    staff.post(f"/cases/{case_id}/risk-assessments", {"answers": dict.fromkeys(ANSWERS, 2)})
    staff.share(case_id, ORG, ["case_summary"])
    view = client.get(f"/cases/{case_id}", headers=caller(tokens, "partner")).json()
    assert view["assessments"] == []
    assert view["risk_level"] is None


def walk(client: TestClient, headers: dict[str, str], **params: Any) -> Iterator[list[UUID]]:
    """Each page of GET /cases, following ``next_cursor`` to the end."""
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/cases", params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        yield [UUID(item["case_id"]) for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return


@pytest.mark.parametrize("role", ["partner", "caseworker"])
def test_list_pages_visit_exactly_the_visible_cases(
    client: TestClient, tokens: Tokens, role: str
) -> None:
    staff = Staff(client, tokens)
    visible: list[UUID] = []  # newest first
    south: list[UUID] = []
    for n in range(8):
        team = "north" if n % 3 == 0 else "south"
        case_id = staff.open(team=team)
        if n % 4 == 1:
            staff.share(case_id, OTHER_ORG, ["case_summary"])
        if n % 3 == 2:
            staff.share(case_id, ORG, ["case_summary"])
        if (role == "partner" and n % 3 == 2) or (role == "caseworker" and team == "north"):
            visible.insert(0, case_id)
            if team == "south":
                south.insert(0, case_id)
    headers = caller(tokens, role)
    pages = list(walk(client, headers, limit=1, min_position=staff.position))
    assert pages == [[case_id] for case_id in visible]
    assert list(walk(client, headers, limit=len(visible))) == [visible]
    assert list(walk(client, headers, limit=200, status="open", team="south")) == [south]
    assert list(walk(client, headers, limit=200, officer="someone-else")) == [visible]


def test_list_reveals_to_a_partner_no_more_than_the_case_view(
    client: TestClient, tokens: Tokens
) -> None:
    staff = Staff(client, tokens)
    case_id = staff.open()
    incident = staff.incident(case_id, "Shared incident text")
    staff.post(f"/cases/{case_id}/risk-assessments", {"answers": dict.fromkeys(ANSWERS, 2)})
    staff.share(case_id, ORG, [f"incident:{incident}"])
    partner = caller(tokens, "partner")
    view = client.get(f"/cases/{case_id}", headers=partner).json()
    assert view["risk_level"] is None
    assert view["officer"] is None
    listing = client.get("/cases", params={"min_position": staff.position}, headers=partner)
    (item,) = listing.json()["items"]
    assert {k: item[k] for k in ("risk_level", "team", "officer")} == dict.fromkeys(
        ("risk_level", "team", "officer")
    )


# ------------------------------------------------------------- every route is guarded

DOCS_ROUTES = frozenset({"/openapi.json"})
STATIC = frozenset({"/app/static"})
"""The pages' stylesheet, scripts and icon: files, the same for everyone."""
PUBLIC_ROUTES = frozenset(
    {
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",
        "GET /docs",
        "GET /redoc",
        "GET /app/sign-in",
        "POST /app/sign-in",
        "POST /app/sign-out",
        "GET /app/sign-in/oidc",
        "GET /app/sign-in/oidc/callback",
    }
)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def policies(app: FastAPI) -> dict[str, set[Action]]:
    """Each route (but FastAPI's own docs), named "METHODS path", with the policy actions
    its dependency tree declares; an empty set is a route without the policy."""
    found: dict[str, set[Action]] = {}
    for context in iter_route_contexts(app.routes):
        path = context.path or "?"
        name = f"{','.join(sorted(context.methods or ['*']))} {path}"
        if path in DOCS_ROUTES and not isinstance(context.original_route, APIRoute):
            continue
        if path in STATIC and isinstance(context.original_route, Mount):
            continue
        dependant: Dependant | None = getattr(context, "dependant", None)
        calls = [] if dependant is None else list(_calls(dependant))
        found[name] = {c.__policy__ for c in calls if hasattr(c, "__policy__")}
    return found


def unguarded(app: FastAPI) -> list[str]:
    return sorted(name for name, actions in policies(app).items() if len(actions) != 1)


def test_every_route_declares_the_policy(tmp_path: Path) -> None:
    app = create_app(ApiSettings(data_dir=tmp_path))
    found = policies(app)
    assert unguarded(app) == []
    assert len(found) >= 25  # the walk reached the included routers' routes
    assert {name for name, actions in found.items() if Action.PUBLIC in actions} == PUBLIC_ROUTES
    docs = {c.path for c in iter_route_contexts(app.routes) if c.path in DOCS_ROUTES}
    assert docs == DOCS_ROUTES


def test_the_route_check_reports_a_route_without_the_policy(tmp_path: Path) -> None:
    app = create_app(ApiSettings(data_dir=tmp_path))
    router = APIRouter(prefix="/extra")
    guarded = APIRouter(dependencies=[Depends(policy.authorize(Action.COMMAND))])

    @app.get("/bare")
    def bare() -> None: ...

    @router.post("/{case_id}/nested")
    def nested(case_id: UUID, other: None = Depends(lambda: None)) -> None: ...

    @guarded.get("/router-level")
    def router_level() -> None: ...

    app.include_router(router)
    app.include_router(guarded)
    app.add_api_route("/redoc", bare, methods=["POST"])  # a docs path, but not FastAPI's own
    app.add_route("/raw", lambda request: PlainTextResponse("raw"))
    assert unguarded(app) == [
        "GET /bare",
        "GET,HEAD /raw",
        "POST /extra/{case_id}/nested",
        "POST /redoc",
    ]
    assert policies(app)["GET /router-level"] == {Action.COMMAND}


# --------------------------------------------------------------- the policy function


def principal(role: Any, **fields: Any) -> Principal:
    return Principal(
        user_id="u-1", display_name="U", role=role, organisation=fields.pop("org", ORG), **fields
    )


class Stranger(Enum):
    ROOT = "root"


STATS_ACTIONS = frozenset({Action.READ_STATS, Action.READ_STATS_SUBJECTS})
CASE_ACTIONS = [
    a
    for a in Action
    if a is not Action.PUBLIC
    and a
    not in STATS_ACTIONS
    | {
        Action.READ_LEDGER,
        Action.READ_REFERENCE,
        Action.SIGNED_IN,
        Action.READ_ORGANISATIONS,
        Action.MANAGE_ORGANISATIONS,
    }
]
"""Every action on case data; the statistics (which analysts may read) are tested in
``tests/api/test_stats_api.py``, the Merkle log (which every person may read) in
``tests/api/test_ledger_api.py``, the reference data (which every role may read) in
``tests/api/test_reference_data.py``, the organisation register (which every role may read
and admins keep) in ``tests/api/test_organisations.py``."""


@pytest.mark.parametrize("action", CASE_ACTIONS)
def test_an_action_missing_from_roles_is_denied_to_everyone(
    monkeypatch: pytest.MonkeyPatch, action: Action
) -> None:
    monkeypatch.delitem(policy.ROLES, action)
    facts = CaseFacts(team="north", officer="u-1", shared_with=frozenset({ORG}))
    for role in Role:
        assert not decide(principal(role, team="north"), action).allowed
        assert not decide(principal(role, team="north"), action, facts).allowed


@pytest.mark.parametrize("action", CASE_ACTIONS)
def test_unknown_and_caseless_roles_are_denied(action: Action) -> None:
    facts = CaseFacts(team="north", officer="u-1", shared_with=frozenset({ORG}))
    callers = [principal(Stranger.ROOT, team="north")] + [
        principal(role, team="north") for role in (Role.ANALYST, Role.ADMIN, Role.SYSTEM)
    ]
    for who in callers:
        assert not decide(who, action).allowed
        assert not decide(who, action, facts).allowed
    assert not decide(None, action).allowed
    assert decide(None, Action.PUBLIC).allowed


def test_partners_see_shared_cases_and_may_only_read_and_contribute() -> None:
    shared = CaseFacts(team="south", officer="x", shared_with=frozenset({ORG}))
    elsewhere = CaseFacts(team="north", officer="u-1", shared_with=frozenset({OTHER_ORG}))
    partner = principal(Role.PARTNER, team="north")
    allowed = {a for a in CASE_ACTIONS if decide(partner, a, shared).allowed}
    assert allowed == {Action.READ_CASE, Action.CONTRIBUTE}
    hidden = decide(partner, Action.READ_CASE, elsewhere)
    assert not hidden.allowed
    assert hidden.hide
