"""Signing in to the pages with the council's OpenID Connect provider, against a provider
the test starts locally (``tests/web/oidc_provider.py``): the redirect with state, nonce and
an S256 challenge; the callback's checks; the session on the access token, whose role and
organisation are the token's; and every refusal as a clear page."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from dataclasses import replace
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from structlog.testing import capture_logs

from api.app import create_app
from api.principal import Principal
from api.settings import ApiSettings
from api.web.oidc import FLOW_COOKIE, OidcClient
from api.web.session import CSRF_COOKIE, SESSION_COOKIE, Sessions
from ledger.enums import Role
from tests.web.oidc_provider import AUDIENCE, CLIENT_ID, LocalProvider

BASE = "https://testserver"
CALLBACK = f"{BASE}/app/sign-in/oidc/callback"


def oidc_settings(data_dir: Path, provider: LocalProvider, **extra: Any) -> ApiSettings:
    """The pages on the provider, and the API checking its access tokens, as deployed."""
    return ApiSettings(
        data_dir=data_dir,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        jwt_jwks_url=provider.jwks_url,
        jwt_issuer=provider.issuer,
        jwt_audience=AUDIENCE,
        jwt_algorithm="RS256",
        **extra,
    )


@pytest.fixture
def provider() -> Iterator[LocalProvider]:
    with LocalProvider([CALLBACK]).running() as running:
        yield running


@pytest.fixture
def client(tmp_path: Path, provider: LocalProvider) -> Iterator[TestClient]:
    with TestClient(create_app(oidc_settings(tmp_path, provider)), base_url=BASE) as c:
        yield c


def start(client: TestClient, next_path: str | None = None) -> str:
    """Asks the pages to sign in; the provider's authorization URL they send us to."""
    query = f"?{urlencode({'next': next_path})}" if next_path else ""
    answer = client.get(f"/app/sign-in/oidc{query}", follow_redirects=False)
    assert answer.status_code == 303, answer.text
    location: str = answer.headers["location"]
    return location


def at_provider(authorize_url: str, account: str, action: str = "allow") -> str:
    """Signs in at the provider's form; where it sends the browser back to."""
    answer = httpx.post(authorize_url, data={"account": account, "action": action})
    assert answer.status_code == 302, answer.text
    location: str = answer.headers["location"]
    return location


def continues_to(answer: httpx.Response) -> str:
    """Where the page after signing in moves on to (by its own refresh, and a link)."""
    assert answer.status_code == 200, answer.text
    found = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', answer.text)
    assert found is not None, answer.text
    target = unescape(found.group(1))
    assert f'<a class="govuk-link" href="{found.group(1)}">Continue</a>' in answer.text
    return target


def params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def session_principal(client: TestClient) -> Principal:
    """Who the session cookie names, verified as every page verifies it."""
    app: Any = client.app
    sessions: Sessions = app.state.web_sessions
    data = sessions._signer.loads(client.cookies[SESSION_COOKIE])
    principal: Principal = app.state.verifier.verify(data["t"])
    return principal


def test_only_the_council_account_is_offered_when_a_provider_is_configured(
    client: TestClient, tmp_path: Path, provider: LocalProvider
) -> None:
    page = client.get("/app/sign-in")
    assert 'href="/app/sign-in/oidc"' in page.text
    assert "Sign in with your council account" in page.text
    assert "Development sign-in" not in page.text
    assert 'name="csrf_token"' not in page.text  # no form at all
    app: Any = client.app
    token = app.state.web_sessions.csrf_token(client.cookies[CSRF_COOKIE])
    demo = client.post(
        "/app/sign-in",
        data={"user": "demo-caseworker", "csrf_token": token},
        follow_redirects=False,
    )
    assert demo.status_code == 404
    assert SESSION_COOKIE not in client.cookies
    assert not oidc_settings(tmp_path, provider, web_dev_sign_in=True).dev_sign_in


def test_signing_in_sends_the_person_to_the_provider_with_state_nonce_and_an_s256_challenge(
    client: TestClient, provider: LocalProvider
) -> None:
    url = start(client, "/app/caseload")
    assert url.startswith(f"{provider.issuer}/authorize?")
    asked = params(url)
    assert asked["response_type"] == "code"
    assert asked["client_id"] == CLIENT_ID
    assert asked["redirect_uri"] == CALLBACK
    assert asked["scope"] == "openid profile"
    assert asked["code_challenge_method"] == "S256"
    assert len(asked["state"]) >= 32
    assert len(asked["nonce"]) >= 32
    assert len(asked["code_challenge"]) == 43  # base64url of a SHA-256 digest


def test_the_flow_cookie_is_signed_lax_httponly_and_only_for_the_callback(
    client: TestClient,
) -> None:
    answer = client.get("/app/sign-in/oidc", follow_redirects=False)
    flow = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(FLOW_COOKIE))
    for flag in ("HttpOnly", "Secure", "SameSite=lax", "Path=/app/sign-in/oidc/callback"):
        assert flag in flow, flow
    assert "Max-Age=600" in flow
    oidc: OidcClient = client.app.state.oidc  # type: ignore[attr-defined]
    flow = oidc.decode_flow(client.cookies[FLOW_COOKIE])
    assert flow is not None
    asked = params(answer.headers["location"])
    assert flow.state == asked["state"]
    assert flow.nonce == asked["nonce"]
    assert oidc.decode_flow(client.cookies[FLOW_COOKIE][:-2] + "xx") is None  # signed
    verifier = flow.verifier
    assert verifier not in answer.headers["location"]
    digest = hashlib.sha256(verifier.encode()).digest()
    assert asked["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.mark.parametrize("secret", [None, "s3cret-of-the-pages"], ids=["public", "confidential"])
def test_a_caseworker_signs_in_and_the_session_carries_the_tokens_role_and_org(
    tmp_path: Path, secret: str | None
) -> None:
    with LocalProvider([CALLBACK], client_secret=secret).running() as provider:
        settings = oidc_settings(tmp_path, provider, oidc_client_secret=secret)
        with TestClient(create_app(settings), base_url=BASE) as client, capture_logs() as logs:
            back = at_provider(start(client, "/app/caseload?risk_level=high"), "caseworker")
            answer = client.get(back, follow_redirects=False)
            assert continues_to(answer) == "/app/caseload?risk_level=high"
            assert FLOW_COOKIE not in client.cookies  # a sign-in is finished once
            principal = session_principal(client)
            assert client.get("/app/caseload").status_code == 200
    assert principal.user_id == "oidc-caseworker"
    assert principal.role is Role.CASEWORKER
    assert principal.organisation == "council"
    assert principal.team == "asb-north"
    assert principal.display_name == "Casey Worker"
    code = params(back)["code"]
    assert {"event": "oidc_signed_in", "role": "caseworker", "log_level": "info"} in logs
    assert not [e for e in logs if code in repr(e) or "eyJ" in repr(e)]  # no code, no token


def test_an_admin_is_shown_who_the_token_says_they_are(
    client: TestClient,
) -> None:
    back = at_provider(start(client, "https://elsewhere.example/"), "admin")
    answer = client.get(back, follow_redirects=False)
    assert continues_to(answer) == "/app/signed-in"  # never off the pages
    page = client.get("/app/signed-in")
    assert "You are signed in as Addy Min, admin at council" in page.text


def test_a_callback_with_another_state_is_refused(client: TestClient) -> None:
    back = at_provider(start(client), "caseworker")
    forged = back.replace(f"state={params(back)['state']}", "state=not-the-one-we-sent")
    answer = client.get(forged, follow_redirects=False)
    assert answer.status_code == 400
    assert "Your sign-in could not be finished" in answer.text
    assert SESSION_COOKIE not in client.cookies


def test_a_callback_this_browser_did_not_start_is_refused(
    client: TestClient, tmp_path: Path, provider: LocalProvider
) -> None:
    back = at_provider(start(client), "caseworker")
    with TestClient(create_app(oidc_settings(tmp_path, provider)), base_url=BASE) as other:
        answer = other.get(back, follow_redirects=False)  # the code, without the cookie
        assert answer.status_code == 400
        assert "started in another browser" in answer.text
        assert SESSION_COOKIE not in other.cookies


def test_the_provider_refuses_a_code_exchanged_without_the_verifier(
    client: TestClient, provider: LocalProvider
) -> None:
    back = at_provider(start(client), "caseworker")
    exchange = {
        "grant_type": "authorization_code",
        "code": params(back)["code"],
        "redirect_uri": CALLBACK,
        "client_id": CLIENT_ID,
    }
    missing = httpx.post(f"{provider.issuer}/token", data=exchange)
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    assert "code_verifier" in missing.json()["error_description"]
    wrong = httpx.post(f"{provider.issuer}/token", data={**exchange, "code_verifier": "x" * 64})
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    assert continues_to(client.get(back, follow_redirects=False))  # the verifier's holder


def test_a_code_the_provider_will_not_exchange_is_refused_with_a_clear_page(
    client: TestClient,
) -> None:
    back = at_provider(start(client), "caseworker")
    oidc: OidcClient = client.app.state.oidc  # type: ignore[attr-defined]
    flow = oidc.decode_flow(client.cookies[FLOW_COOKIE])
    assert flow is not None
    other = replace(flow, verifier="v" * 64)  # not the verifier the challenge was made from
    client.cookies.delete(FLOW_COOKIE)
    client.cookies.set(
        FLOW_COOKIE,
        oidc.encode_flow(other),
        domain="testserver.local",
        path=urlsplit(CALLBACK).path,
    )
    with capture_logs() as logs:
        answer = client.get(back, follow_redirects=False)
    assert answer.status_code == 400
    assert "Your council account could not be confirmed" in answer.text
    refusals = [e["reason"] for e in logs if e["event"] == "oidc_sign_in_refused"]
    assert refusals == ["token endpoint: invalid_grant"]
    assert SESSION_COOKIE not in client.cookies


def test_the_provider_refuses_an_authorization_request_without_a_challenge(
    client: TestClient,
) -> None:
    url = start(client)
    asked = {k: v for k, v in params(url).items() if not k.startswith("code_challenge")}
    answer = httpx.get(f"{url.split('?')[0]}?{urlencode(asked)}")
    assert answer.status_code == 400
    assert "PKCE" in answer.text


def test_a_token_without_a_role_is_refused_with_a_clear_page(client: TestClient) -> None:
    with capture_logs() as logs:
        answer = client.get(at_provider(start(client), "no-role"), follow_redirects=False)
    assert answer.status_code == 403
    assert "Your council account does not give you access to this service" in answer.text
    assert "role and organisation" in answer.text
    assert "Traceback" not in answer.text
    assert SESSION_COOKIE not in client.cookies
    refusals = [e for e in logs if e["event"] == "oidc_sign_in_refused"]
    assert [e["reason"] for e in refusals] == ["access token: missing claim role"]


def test_consent_refused_at_the_provider_shows_the_sign_in_page_again(
    client: TestClient,
) -> None:
    back = at_provider(start(client), "caseworker", action="deny")
    assert params(back)["error"] == "access_denied"
    answer = client.get(back, follow_redirects=False)
    assert answer.status_code == 403
    assert "You did not finish signing in with your council account" in answer.text
    assert "Sign in with your council account" in answer.text  # and may try again
    assert SESSION_COOKIE not in client.cookies


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": ["another-client"], "azp": CLIENT_ID},
        {"nonce": "another-sign-in"},
        {"iss": "https://elsewhere"},
    ],
    ids=["audience", "nonce", "issuer"],
)
def test_an_id_token_for_another_client_or_sign_in_is_refused(
    client: TestClient, provider: LocalProvider, changes: dict[str, Any]
) -> None:
    provider.id_token_changes = changes
    with capture_logs() as logs:
        answer = client.get(at_provider(start(client), "caseworker"), follow_redirects=False)
    assert answer.status_code == 400
    assert "Your council account could not be confirmed" in answer.text
    assert SESSION_COOKIE not in client.cookies
    (refusal,) = [e for e in logs if e["event"] == "oidc_sign_in_refused"]
    assert refusal["reason"].startswith("ID token: ")


def test_an_unreachable_provider_is_a_clear_page(tmp_path: Path) -> None:
    provider = LocalProvider([CALLBACK])  # never started: nothing answers on its port
    provider.http.server_close()
    with TestClient(create_app(oidc_settings(tmp_path, provider)), base_url=BASE) as client:
        answer = client.get("/app/sign-in/oidc", follow_redirects=False)
    assert answer.status_code == 503
    assert "The council's sign-in service cannot be reached" in unescape(answer.text)


def test_the_routes_are_off_without_a_provider(tmp_path: Path) -> None:
    with TestClient(create_app(ApiSettings(data_dir=tmp_path)), base_url=BASE) as client:
        assert client.get("/app/sign-in/oidc", follow_redirects=False).status_code == 404
        assert client.get("/app/sign-in/oidc/callback?code=x&state=y").status_code == 404
        assert "Sign in with your council account" not in client.get("/app/sign-in").text


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"oidc_issuer": "http://idp.council.example"}, "must be https"),
        ({"oidc_issuer": "ftp://127.0.0.1/"}, "must be https"),
        ({"oidc_client_id": None}, "ASB_OIDC_CLIENT_ID"),
        ({"jwt_jwks_url": None}, "ASB_JWT_JWKS_URL"),
        ({"oidc_scopes": "profile email"}, "must include openid"),
        ({"oidc_redirect_url": "/app/sign-in/oidc/callback"}, "http(s) URL"),
    ],
)
def test_the_settings_are_checked(tmp_path: Path, values: dict[str, Any], message: str) -> None:
    good: dict[str, Any] = {
        "data_dir": tmp_path,
        "oidc_issuer": "https://idp.council.example",
        "oidc_client_id": CLIENT_ID,
        "jwt_jwks_url": "https://idp.council.example/jwks",
        "jwt_algorithm": "RS256",
    }
    assert ApiSettings(**good).oidc_enabled
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ApiSettings(**{**good, **values})
