"""The pages' frame without a browser: sign-in, sessions that end, CSRF, security headers,
errors as pages, and the built assets matching their recorded hashes."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import mint_token
from api.demo import load_demo
from api.settings import ApiSettings
from api.web.guard import csrf_checked
from api.web.rendering import STATIC
from api.web.rules import PLAIN, plain_words
from api.web.session import Sessions
from ledger.enums import Role
from ledger.errors import Rule


def page_client(
    settings: ApiSettings, *, demo: bool = False, user: str | None = None
) -> Iterator[TestClient]:
    """A started app over https (so the cookies are Secure), with the demo cases loaded and
    a person signed in where asked: what the pages' TestClient tests start from."""
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver") as c:
        if demo:
            load_demo(app.state.ledger, datetime.now(UTC))
        if user is not None:
            sign_in(c, user)
        yield c


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from page_client(ApiSettings(data_dir=tmp_path, web_session_idle_minutes=1))


def csrf(client: TestClient, path: str = "/app/sign-in") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def sign_in(client: TestClient, user: str = "demo-caseworker", **extra: str) -> None:
    answer = client.post(
        "/app/sign-in",
        data={"user": user, "csrf_token": csrf(client), **extra},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def test_a_page_without_a_session_sends_the_person_to_sign_in_and_back(
    client: TestClient,
) -> None:
    answer = client.get("/app/caseload", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/app/sign-in?next=/app/caseload"
    token = csrf(client)
    back = client.post(
        "/app/sign-in",
        data={"user": "demo-caseworker", "csrf_token": token, "next": "/app/caseload"},
        follow_redirects=False,
    )
    assert back.headers["location"] == "/app/caseload"
    assert client.get("/app/caseload").status_code == 200


@pytest.mark.parametrize("target", ["https://elsewhere.example/", "//elsewhere.example", "/cases"])
def test_sign_in_never_sends_the_person_off_the_pages(client: TestClient, target: str) -> None:
    answer = client.post(
        "/app/sign-in",
        data={"user": "demo-caseworker", "csrf_token": csrf(client), "next": target},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/app/caseload"  # the caseworker's home


def test_the_session_cookies_are_httponly_strict_secure_and_scoped_to_the_pages(
    client: TestClient,
) -> None:
    token = csrf(client)
    answer = client.post(
        "/app/sign-in",
        data={"user": "demo-caseworker", "csrf_token": token},
        follow_redirects=False,
    )
    cookies = answer.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("asb_session="))
    for flag in ("HttpOnly", "Secure", "SameSite=strict", "Path=/app", "Max-Age=60"):
        assert flag in session, session
    assert any(c.startswith("asb_csrf=") and "HttpOnly" in c for c in cookies)


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    client: TestClient,
) -> None:
    csrf(client)  # the CSRF cookie is set, but the form does not carry its token
    answer = client.post("/app/sign-in", data={"user": "demo-caseworker"}, follow_redirects=False)
    assert answer.status_code == 403
    assert "This form has expired" in answer.text
    forged = client.post(
        "/app/sign-in",
        data={"user": "demo-caseworker", "csrf_token": "0" * 64},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert "asb_session" not in client.cookies


def test_a_session_ends_after_its_idle_time(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(client)
    assert client.get("/app/caseload", follow_redirects=False).status_code == 200
    later = time.time() + 61
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    answer = client.get("/app/caseload", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/app/sign-in")


def test_a_session_ends_when_its_token_expires(client: TestClient) -> None:
    app = client.app
    settings: ApiSettings = app.state.settings  # type: ignore[attr-defined]
    sessions: Sessions = app.state.web_sessions  # type: ignore[attr-defined]
    expired = mint_token(
        settings,
        user="demo-caseworker",
        role=Role.CASEWORKER,
        org="council",
        team="asb-north",
        minutes=1,
        now=datetime(2020, 1, 1, tzinfo=UTC),
    )
    value = sessions._signer.dumps({"t": expired, "s": "s-1"})
    client.cookies.set("asb_session", value, domain="testserver", path="/app")
    answer = client.get("/app/caseload", follow_redirects=False)
    assert answer.status_code == 303


def test_signing_out_ends_the_session(client: TestClient) -> None:
    sign_in(client)
    token = csrf(client, "/app/caseload")
    client.post("/app/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert client.get("/app/caseload", follow_redirects=False).status_code == 303


def test_every_answer_carries_the_content_security_policy(client: TestClient) -> None:
    for path in ("/app/sign-in", "/healthz", "/app/static/app.css", "/app/nowhere"):
        answer = client.get(path)
        assert answer.headers["content-security-policy"].startswith("default-src 'self'")
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def test_an_error_under_app_is_a_page_and_elsewhere_problem_json(client: TestClient) -> None:
    page = client.get("/app/nowhere")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text
    api = client.get("/nowhere")
    assert api.headers["content-type"] == "application/problem+json"


def test_a_role_refused_a_page_sees_why_and_the_refusal_is_recorded(
    client: TestClient,
) -> None:
    sign_in(client, "demo-police-officer")
    answer = client.get("/app/caseload")
    assert answer.status_code == 403
    assert "You cannot see or do this" in answer.text


def test_the_built_assets_match_their_recorded_hashes() -> None:
    recorded = (STATIC / "SHA256SUMS").read_text().splitlines()
    assert len(recorded) >= 8
    for line in recorded:
        digest, name = line.split(maxsplit=1)
        assert hashlib.sha256((STATIC / name).read_bytes()).hexdigest() == digest, name
    css = (STATIC / "app.css").read_text()
    assert "GDS Transport" not in css
    assert "@font-face" not in css


def test_no_page_template_names_another_host() -> None:
    templates = Path(__file__).resolve().parents[2] / "api" / "web" / "templates"
    for template in templates.rglob("*.html"):
        assert not re.search(r"(src|href|action)=\"(https?:)?//", template.read_text()), template


def test_every_page_is_out_of_the_schema_and_every_form_checks_csrf(
    client: TestClient,
) -> None:
    pages = [
        c.original_route
        for c in iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
        if isinstance(c.original_route, APIRoute) and (c.path or "").startswith("/app")
    ]
    assert len(pages) >= 4
    for route in pages:
        assert not route.include_in_schema, route.path
        if "POST" in (route.methods or set()):
            calls = [d.call for d in route.dependant.dependencies]
            assert csrf_checked in calls, route.path


def test_every_rule_has_plain_words() -> None:
    assert set(PLAIN) == set(Rule)
    assert plain_words("closure.needs_supervisor") == "A supervisor must close this case"
