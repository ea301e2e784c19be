"""The partnership and closure forms in a real browser: a supervisor shares with a partner
under a lawful basis and closes a case as no further action, every page checked with
axe-core, and the closure's explanation and advice revealed only for the reasons that need
them."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.web.conftest import Pages

HIGH_RISK = "ASB-2026-000001"
TEAM_CASE = "ASB-2026-000003"  # the complainant prefers email


def test_a_supervisor_shares_with_a_partner_and_closes_a_case_as_no_further_action(
    pages: Pages,
) -> None:
    page = pages.new_page()
    pages.sign_in(page, "Demo Supervisor")

    page.goto(f"/app/cases/{HIGH_RISK}/shares")
    pages.check(page, "share")
    expect(page.locator("#authoriser-required")).to_have_count(0)  # a supervisor may share
    page.get_by_role("button", name="Share information").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    pages.check(page, "share-errors")

    page.get_by_label("Which organisation will you share with?").select_option("demo-homes")
    page.get_by_label("Case summary", exact=True).check()
    page.get_by_label("Prevent crime and disorder").check()
    page.get_by_label("Why is sharing these items necessary for that purpose?").fill(
        "The landlord needs to know of the case to consider tenancy action."
    )
    page.get_by_label("Public task (UK GDPR Article 6(1)(e))").check()
    page.get_by_label("Crime and Disorder Act 1998, section 115").check()
    page.get_by_label("Not sought", exact=True).check()
    page.get_by_label("Why was consent not sought, or why share although it was refused?").fill(
        "Seeking consent would prejudice the prevention of disorder."
    )
    page.get_by_role("button", name="Share information").click()
    page.wait_for_url(
        re.compile(r"/app/cases/[0-9a-f-]{36}\?done=InformationShared&min_position=\d+$")
    )
    page.goto(f"/app/cases/{HIGH_RISK}/shares")
    expect(page.locator("#shared-already")).to_contain_text("Demo Homes Housing Association")

    page.goto(f"/app/cases/{TEAM_CASE}/close")
    explanation = page.get_by_label("What was explained to the complainant?")
    expect(explanation).to_have_count(4)  # one for each reason that needs it
    for field in explanation.all():
        expect(field).to_be_hidden()  # revealed only when its reason is chosen
    pages.check(page, "close")
    page.get_by_label("No further action", exact=True).check()
    shown = page.locator("#explanation_no_further_action")
    expect(shown).to_be_visible()
    shown.fill("Explained that the noise is normal living noise.")
    page.locator("#advice_no_further_action").fill("Keep a diary; mediation offered.")
    page.get_by_label("Full reasons for closing").fill("No evidence of anti-social behaviour.")
    page.get_by_label("Yes, by email").check()
    pages.check(page, "close-filled")
    page.get_by_role("button", name="Close case").click()
    page.wait_for_url(re.compile(r"/app/cases/[0-9a-f-]{36}\?done=CaseClosed&min_position=\d+$"))

    page.goto(f"/app/cases/{TEAM_CASE}/reopen")
    expect(page.locator("#closed-as")).to_contain_text("Closed as no further action")
    pages.check(page, "reopen")
    assert pages.hosts == {pages.own_host}
