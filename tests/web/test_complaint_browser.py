"""The new complaint and the people pages in a real browser (Debian's Chromium), each page
checked with axe-core: a caseworker takes a complaint from someone the demo already holds,
is warned of her as the details are typed and again when the form is sent without a
choice, links her, and lands on the case; she is then found by the search and her page
shows the new case. And the same form by keyboard alone, Tab, Space and Enter, to the
opened case."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.web.conftest import Pages

OPENED = re.compile(r"/app/cases/([0-9a-f-]{36})\?done=CaseOpened&min_position=\d+$")


def test_a_caseworker_links_a_complainant_the_demo_holds_and_finds_her_again(
    pages: Pages,
) -> None:
    page = pages.new_page()
    pages.sign_in(page, "Demo Caseworker")
    page.get_by_role("link", name="New complaint").click()
    expect(page.locator("h1")).to_have_text("New complaint")
    pages.check(page, "complaint")

    page.locator("#channel").check()  # phone
    page.get_by_label("Nuisance").check()
    page.get_by_label("What is happening?").fill("Shouting outside the flat every night.")
    page.get_by_label("Address or place").fill("1 Example Close, Demo Town")
    page.get_by_label("Ward").select_option("Forebridge")
    page.get_by_label("Housing").check()
    page.get_by_label("Full name").fill("Demo Victim A")
    page.get_by_label("Phone number or email address (optional)").fill("07700 900001")
    matches = page.locator("#person-matches")
    expect(matches).to_contain_text("This person may already be known")  # live, by htmx
    expect(matches).to_contain_text("Link to Demo Victim A")
    pages.check(page, "complaint-live-warning")
    # Scripts may leave an empty style attribute behind (GOV.UK Frontend's radios do); htmx
    # must not copy it onto the next answer's elements, which the CSP would refuse.
    page.evaluate("""document.getElementById("match").style.color = "";""")
    page.get_by_label("They live at the address where it is happening").check()
    expect(page.locator("#match")).not_to_have_attribute("style", "")  # answered again
    expect(matches).to_contain_text("Link to Demo Victim A")
    page.locator("#preferred_contact").check()
    page.locator("#victim").check()
    page.get_by_label("Disability").check()

    # Sent without a choice: the API refuses a second record, and the form says why.
    page.get_by_role("button", name="Open the case").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "This person may already be on the register"
    )
    expect(page.locator("#match-error")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Demo Victim A")  # nothing retyped
    pages.check(page, "complaint-warned")
    page.get_by_text("Link to Demo Victim A").click()
    page.get_by_role("button", name="Open the case").click()
    page.wait_for_url(OPENED)
    found = OPENED.search(page.url)
    assert found is not None
    case_id = found.group(1)

    page.goto("/app/people")
    pages.check(page, "people")
    page.get_by_label("Name").fill("Demo Victim A")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#results")).to_have_text("1 person found")
    pages.check(page, "people-found")
    page.get_by_role("link", name="Demo Victim A").click()
    expect(page.locator("h1")).to_have_text("Demo Victim A")
    expect(page.locator(f'a[href="/app/cases/{case_id}"]')).to_be_visible()
    expect(page.locator("main")).to_contain_text("Cumulative harm across their cases")
    pages.check(page, "person")


def tab_to(page: Page, selector: str, limit: int = 150) -> None:
    """Presses Tab until the element ``selector`` names has the focus (forward only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_complaint_form_by_keyboard_alone(pages: Pages) -> None:
    page = pages.new_page()
    pages.sign_in(page, "Demo Caseworker")
    page.goto("/app/complaints/new")
    keys = page.keyboard
    tab_to(page, "#channel")
    keys.press("Space")
    tab_to(page, "#category")
    keys.press("Space")
    tab_to(page, "#description")
    keys.type("Music and shouting until 3am.")
    tab_to(page, "#location")
    keys.type("1 Example Close, Demo Town")
    tab_to(page, "#lead_department")
    keys.press("Space")
    tab_to(page, "#complainant-name")
    keys.type("Demo Victim A")
    tab_to(page, "#complainant-contact")
    keys.type("07700 900001")
    keys.press("Tab")  # the change is checked against the register as the person moves on
    expect(page.locator("#person-matches")).to_contain_text("Link to Demo Victim A")
    pages.check(page, "complaint-keyboard-warning")
    tab_to(page, "#match")
    keys.press("Space")
    expect(page.locator("#match")).to_be_checked()
    tab_to(page, "#preferred_contact")
    keys.press("Space")
    tab_to(page, "#victim")
    keys.press("Space")
    tab_to(page, "#vulnerabilities")
    keys.press("Space")
    tab_to(page, "button.govuk-button[type=submit]:not(.govuk-button--secondary)")
    keys.press("Enter")
    page.wait_for_url(OPENED)
