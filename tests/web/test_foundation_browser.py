"""The pages' frame in a real browser: signing in and out, the caseload, and the API's
documentation, each checked with axe-core and with nothing loaded from another host."""

from __future__ import annotations

from tests.web.conftest import Pages


def test_a_caseworker_signs_in_sees_their_caseload_and_signs_out(pages: Pages) -> None:
    page = pages.new_page()
    page.goto("/app/caseload")
    assert "/app/sign-in" in page.url  # sent to sign in, and back afterwards
    pages.check(page, "sign-in")
    page.get_by_label("Demo Caseworker", exact=True).check()
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/app/caseload")
    pages.check(page, "caseload")
    assert page.locator("#caseload tbody tr").count() >= 1
    page.get_by_role("button", name="Sign out").click()
    assert "/app/sign-in" in page.url
    page.goto("/app/caseload")
    assert "/app/sign-in" in page.url  # the session ended
    assert pages.hosts == {pages.own_host}


def test_the_api_documentation_renders_from_this_process(pages: Pages) -> None:
    page = pages.new_page()
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert "asb-ledger" in page.locator(".swagger-ui .info .title").inner_text()
    page.goto("/redoc")
    page.wait_for_selector("#redoc h1", timeout=15_000)
    assert pages.hosts == {pages.own_host}
