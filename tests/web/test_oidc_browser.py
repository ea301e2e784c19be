"""Signing in with the council's account in a real browser: ``asb-ledger serve`` configured
for the provider the test starts, which is on another site (``localhost``, the service on
``127.0.0.1``), as a council's provider is; its login page clicked through."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.e2e.test_server import _start
from tests.web.conftest import SCREENSHOTS, Pages, require_browser
from tests.web.oidc_provider import AUDIENCE, CLIENT_ID, LocalProvider


@pytest.fixture
def provider() -> Iterator[LocalProvider]:
    require_browser()
    with LocalProvider([], public_host="localhost").running() as running:
        yield running


@pytest.fixture
def pages(
    tmp_path: Path, provider: LocalProvider, chromium: Browser, request: pytest.FixtureRequest
) -> Iterator[Pages]:
    """The server as a deployment runs it: the pages on the provider, the API on its keys."""
    env = {
        "ASB_OIDC_ISSUER": provider.issuer,
        "ASB_OIDC_CLIENT_ID": CLIENT_ID,
        "ASB_JWT_JWKS_URL": provider.jwks_url,
        "ASB_JWT_ISSUER": provider.issuer,
        "ASB_JWT_AUDIENCE": AUDIENCE,
        "ASB_JWT_ALGORITHM": "RS256",
    }
    with contextmanager(_start)(tmp_path, **env) as server:
        provider.client.redirect_uris.append(f"{server.base_url}/app/sign-in/oidc/callback")
        context = chromium.new_context(base_url=server.base_url)
        shots = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        shutil.rmtree(shots, ignore_errors=True)
        found = Pages(server, context, shots)
        try:
            yield found
        finally:
            context.close()
    csp = [e for e in found.console_errors if "Content Security Policy" in e]
    assert csp == [], csp
    assert found.hosts <= {found.own_host, provider.issuer.removeprefix("http://")}


def test_a_caseworker_signs_in_at_the_councils_provider_and_lands_on_their_caseload(
    pages: Pages, provider: LocalProvider
) -> None:
    page = pages.new_page()
    page.goto("/app/caseload")
    assert "/app/sign-in" in page.url
    assert page.get_by_text("Development sign-in").count() == 0
    pages.check(page, "sign-in")
    page.get_by_role("button", name="Sign in with your council account").click()
    assert page.url.startswith(f"{provider.issuer}/authorize?")
    page.get_by_label("Casey Worker").check()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(lambda url: "/callback" not in url)  # the callback page moves on
    assert page.url == f"{pages.server.base_url}/app/caseload", page.url
    pages.check(page, "caseload")
    assert page.get_by_role("button", name="Sign out").count() == 1
    page.get_by_role("button", name="Sign out").click()
    assert "/app/sign-in" in page.url


def test_an_account_without_a_role_is_told_so(pages: Pages) -> None:
    page = pages.new_page()
    page.goto("/app/sign-in")
    page.get_by_role("button", name="Sign in with your council account").click()
    page.get_by_label("Vic Visitor").check()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_load_state()
    assert "/app/sign-in/oidc/callback" in page.url
    assert page.get_by_text("does not give you access to this service").count() >= 1
    pages.check(page, "refused")
