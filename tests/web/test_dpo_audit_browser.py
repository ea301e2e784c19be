"""The DPO's and the auditor's pages in a real browser on ``asb-ledger serve`` with the demo:
a DPO finds who saw a person's data and downloads it as CSV, records a subject access
request and reviews a break-glass alert; an auditor replays and compares a case, checks it
and downloads its bundle, which the offline verifier accepts. Every page is checked with
axe-core, and nothing is loaded from another host."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import httpx

from replay.offline import run as verify_offline
from tests.web.conftest import Pages


def _oldest_case(pages: Pages) -> dict[str, Any]:
    """The demo's first case (the targeted campaign: several people, shared, read)."""
    server = pages.server
    headers = server.token(user="demo-auditor", role="auditor", team=None)
    answer = httpx.get(f"{server.base_url}/cases", params={"limit": 50}, headers=headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return min(items, key=lambda c: c["reference"])


def _break_glass(pages: Pages, case_id: str) -> None:
    server = pages.server
    outsider = server.token(user="sv-south", role="supervisor", team="south")
    body = {"reason": "safeguarding_emergency", "rationale": "Police called out of hours."}
    answer = httpx.post(
        f"{server.base_url}/cases/{case_id}/break-glass", json=body, headers=outsider
    )
    assert answer.status_code == 201, answer.text
    # the queue is a view: wait (as the API lets a caller) until it holds the grant
    dpo = server.token(user="demo-dpo", role="dpo", team=None)
    position = answer.json()["position"]
    queued = httpx.get(
        f"{server.base_url}/dpo/alerts", params={"min_position": position}, headers=dpo
    )
    assert queued.status_code == 200, queued.text


def test_a_dpo_finds_who_saw_a_persons_data_and_downloads_it(pages: Pages) -> None:
    case = _oldest_case(pages)
    page = pages.new_page()
    pages.sign_in(page, "Demo Data Protection Officer")
    assert page.url.endswith("/app/dpo/disclosures")
    pages.check(page, "dpo-disclosures")

    page.get_by_label("Case reference or id").fill(case["reference"])
    page.get_by_role("button", name="Search").click()
    assert f"case={case['reference']}" in page.url
    pages.check(page, "dpo-disclosures-by-case")

    about = page.locator("#disclosures a", has_text="Disclosures about person").first
    person = about.inner_text().replace("Disclosures about person", "").strip()
    about.click()
    assert f"person={person}" in page.url
    pages.check(page, "dpo-disclosures-by-person")
    rows = page.locator("#disclosures tbody tr")
    assert rows.count() >= 1
    for i in range(rows.count()):
        assert person in rows.nth(i).locator("td").nth(4).inner_text()
    who = {rows.nth(i).locator("td").nth(1).inner_text().split()[0] for i in range(rows.count())}
    server = pages.server
    asked = httpx.get(
        f"{server.base_url}/dpo/disclosures",
        params={"subject": person},
        headers=server.token(user="demo-auditor", role="auditor", team=None),
    )
    saw = {item["actor_id"] for item in asked.json()["items"]}
    assert who - {"demo-dpo"} == saw - {"demo-dpo", "demo-auditor"} != set()

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download CSV").click()
    download = downloading.value
    assert download.suggested_filename.startswith("disclosures-")
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8")
    found = list(csv.DictReader(io.StringIO(text)))
    assert len(found) >= rows.count()
    assert all(person in row["subjects"].split() for row in found)
    assert who <= {row["actor_id"] for row in found}

    page.get_by_role("link", name="Subject access").click()
    pages.check(page, "dpo-sars")
    page.get_by_role("button", name="Record a request").click()
    pages.check(page, "dpo-sar-new")
    page.get_by_label("Person reference", exact=True).fill(person)
    received = page.get_by_label("Date received").input_value()
    page.get_by_label("Date the requester's identity was confirmed").fill(received)
    page.get_by_role("button", name="Record the request").click()
    assert "The request is recorded" in page.locator(".govuk-notification-banner").inner_text()
    pages.check(page, "dpo-sar")
    page.get_by_role("link", name="Back to the queue").click()
    assert page.locator("#sars tbody tr").count() == 1

    _break_glass(pages, case["case_id"])
    page.get_by_role("link", name="Alerts").click()
    pages.check(page, "dpo-alerts")
    page.locator("#alerts").get_by_role("link", name="Review").first.click()
    assert "Police called out of hours." in page.locator("#alert").inner_text()
    pages.check(page, "dpo-alert")
    page.get_by_label("Justified").check()
    page.get_by_role("button", name="Close the alert").click()
    assert "Closed: Justified" in page.locator("#alert").inner_text()
    pages.check(page, "dpo-alert-closed")


def test_an_auditor_checks_a_case_and_downloads_its_bundle(pages: Pages, tmp_path: Path) -> None:
    case = _oldest_case(pages)
    page = pages.new_page()
    pages.sign_in(page, "Demo Auditor")
    assert page.url.endswith("/app/audit")
    pages.check(page, "audit")

    page.get_by_label("Case reference or id").fill(case["reference"])
    page.get_by_role("button", name="Find the case").click()
    assert page.url.endswith(f"/app/audit/cases/{case['case_id']}")
    assert page.locator("h1").inner_text() == f"{case['reference']} at version {case['version']}"
    pages.check(page, "audit-case")

    page.get_by_label("Version", exact=True).fill("1")
    page.get_by_role("button", name="Show this version").click()
    assert page.locator("h1").inner_text() == f"{case['reference']} at version 1"
    assert page.locator("#incidents").count() == 0
    pages.check(page, "audit-case-version-1")

    page.get_by_label("To version").fill(str(case["version"]))
    page.get_by_role("button", name="Compare").click()
    assert page.locator("#changes tbody tr").count() >= 1
    pages.check(page, "audit-diff")
    page.get_by_role("link", name="Back to the case").click()

    page.get_by_role("button", name="Check this case").click()
    assert page.locator("h1").inner_text() == "Intact"
    pages.check(page, "audit-verify")
    page.get_by_role("link", name="Back to the case").click()

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download the export bundle").click()
    download = downloading.value
    assert download.suggested_filename == f"{case['reference']}-bundle.json"
    bundle = tmp_path / "bundle.json"
    download.save_as(bundle)
    key = Path(pages.server.env["ASB_DATA_DIR"]) / "notary.pub"
    said = io.StringIO()
    assert verify_offline(bundle, key, out=said, err=io.StringIO()) == 0
    assert said.getvalue() == "intact\n"
