"""The action and risk assessment forms in a real browser: filled in, refused with their
errors beside the fields, then sent; every page checked with axe-core."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import Page

from ledger.risk import ASB_VRA_V1
from tests.web.conftest import Pages


def a_case(pages: Pages, page: Page) -> str:
    """The first case on the caseworker's caseload, by its page's address."""
    page.goto("/app/caseload")
    href = page.locator("#caseload tbody tr a").first.get_attribute("href")
    assert href is not None
    assert href.startswith("/app/cases/")
    return href


def test_a_caseworker_plans_an_action_and_assesses_risk(pages: Pages) -> None:
    page = pages.new_page()
    pages.sign_in(page, "Demo Caseworker")
    case = a_case(pages, page)

    page.goto(f"{case}/actions")
    pages.check(page, "plan-action")
    page.get_by_label("What is the action?").fill("Visit the alleged perpetrator with a warning.")
    page.get_by_role("button", name="Plan action").click()
    assert page.locator(".govuk-error-summary").is_visible()
    assert page.locator("#due-error").inner_text().endswith("as a real date")
    pages.check(page, "plan-action-refused")
    page.get_by_label("Which agency owns it?").select_option("council")
    page.get_by_label("Which officer owns it?").fill("demo-caseworker")
    page.get_by_label("When is it due?").fill((date.today() + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Plan action").click()
    assert re.search(r"\?done=ActionPlanned&min_position=\d+$", page.url)

    page.goto(f"{case}/risk-assessments")
    pages.check(page, "assess-risk")
    questions = ASB_VRA_V1.questions
    for n, q in enumerate(questions[:-1], start=1):
        group = page.get_by_role("group", name=f"{n}. {q.text}")
        group.get_by_label("Yes" if q.key == "q11_support" else "No", exact=True).check()
    page.get_by_role("button", name="Save assessment").click()
    last = f"answers-{questions[-1].key}"
    assert page.locator(f"#{last}-error").is_visible()  # the one left unanswered
    assert page.locator(f'.govuk-error-summary a[href="#{last}"]').is_visible()
    assert (
        page.get_by_role("group", name=f"1. {questions[0].text}")
        .get_by_label("No", exact=True)
        .is_checked()
    )  # the answers given are kept
    pages.check(page, "assess-risk-refused")
    final = page.get_by_role("group", name=f"{len(questions)}. {questions[-1].text}")
    final.get_by_label("Partly or unsure", exact=True).check()
    page.get_by_role("button", name="Save assessment").click()
    assert re.search(r"\?done=RiskAssessed&min_position=\d+$", page.url)
    assert pages.hosts == {pages.own_host}
