"""The case page and the partners' list in a real browser, on the demo's cases: a caseworker
opens a case from their caseload; the police partner opens the case shared with them from
their list; every page is checked with axe-core, and nothing comes from another host."""

from __future__ import annotations

from tests.web.conftest import Pages


def test_a_caseworker_opens_a_demo_case(pages: Pages) -> None:
    page = pages.new_page()
    pages.sign_in(page, "Demo Caseworker")
    page.locator("#caseload tbody a").first.click()
    assert "/app/cases/" in page.url
    pages.check(page, "case-caseworker")
    for heading in ("Summary", "People", "Incidents", "Risk", "Action plan", "Audit trail"):
        assert page.get_by_role("heading", name=heading, exact=True).count() == 1, heading
    page.get_by_role("link", name="Audit trail").click()
    hashes = page.locator("#audit-trail details")
    assert hashes.count() >= 1
    hashes.first.locator("summary").click()  # the full hash, shown on request
    assert len(hashes.first.locator("code.app-hash").inner_text()) == 64
    pages.check(page, "case-caseworker-hash-open")
    assert pages.hosts == {pages.own_host}


def test_the_police_partner_sees_only_the_case_shared_with_them(pages: Pages) -> None:
    page = pages.new_page()
    pages.sign_in(page, "Demo Police Officer")
    assert page.url.endswith("/app/partner")
    pages.check(page, "partner-list")
    links = page.locator("#shared-cases tbody a")
    assert links.count() == 1
    links.first.click()
    pages.check(page, "case-partner")
    text = page.locator("main").inner_text()
    assert "You can see only what was shared with your organisation" in text
    assert "threat to harm" in text
    for secret in ("Demo Victim A", "Demo Neighbour B", "shouting at the door"):
        assert secret not in text
    assert page.get_by_role("heading", name="Audit trail").count() == 0
    assert pages.hosts == {pages.own_host}


def test_a_supervisor_sees_who_else_has_seen_the_case(pages: Pages) -> None:
    page = pages.new_page()
    pages.sign_in(page, "Demo Supervisor")
    page.locator("#caseload tbody a").first.click()
    assert page.get_by_role("heading", name="Who has seen this case").count() == 1
    pages.check(page, "case-supervisor")
