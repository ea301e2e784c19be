"""The journeys of issue 14, each in a real browser on ``asb-ledger serve`` with the demo,
every page checked with axe-core and nothing asked of another host.

1. A caseworker, by keyboard alone, takes a complaint from someone the demo already holds
   and links her, records incidents until the risk panel escalates, plans an action, refers
   the criminal incident to the police, is told that a share and this closure need a
   supervisor; the supervisor, signed in in a second browser, shares with the police under
   a lawful basis and closes the case as no further action.
2. The police partner sees only what was shared; a form sent from a stale tab is refused
   clearly; the DPO finds who saw the person's data; an auditor verifies the case and
   downloads its bundle, which the offline verifier accepts.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from replay.offline import run as verify_offline
from tests.e2e.test_server import Server
from tests.web.conftest import Pages, demo_server
from tests.web.keyboard import choose, press, select_option, type_date, type_into

CASE = re.compile(r"/app/cases/([0-9a-f-]{36})\?done=(\w+)&min_position=\d+$")
FIRST_INCIDENT = "Shouted abuse about her disability through the letterbox."
SECOND_INCIDENT = "Threatened to kick the door in and hurt her."
ACTION = "Visit the alleged perpetrator with a warning letter."
POLICE_REFERENCE = "SP-2026-0004242"
EXPLANATION = "Explained that the police now lead on the threats."
ADVICE = "Keep a diary and call 999 if threatened again."
REASONS = "The police investigation replaces the council's action."


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server with the demo for the journeys here: each opens a case of its own and
    asserts nothing another could change, and the server's start is paid once."""
    yield from demo_server(tmp_path_factory.mktemp("journeys"))


# ------------------------------------------------------------------ what a page shows


def section(page: Page, element_id: str) -> Locator:
    """The case page's section whose heading has this id."""
    return page.locator("section", has=page.locator(f"h2#{element_id}"))


def landed(page: Page, done: str, words: str) -> None:
    """A form sent: the case page, with the banner of what was recorded."""
    page.wait_for_url(CASE)
    found = CASE.search(page.url)
    assert found is not None
    assert found.group(2) == done, page.url
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Recorded: {words}"
    )


def shown_in_time(page: Page, target: Locator, text: str, tries: int = 10) -> None:
    """The views behind a page catch up with the ledger a moment after a command: the case
    page waits for them briefly itself; should it still be behind, reload it, a bounded
    number of times, as a person would."""
    for _ in range(tries):
        if text in target.inner_text():
            return
        page.wait_for_timeout(300)
        page.reload()
    expect(target).to_contain_text(text)


def warned(page: Page) -> None:
    """Moves on from the complainant's contact (Tab), which asks the register again, and
    waits until its answer is shown: a choice made while an earlier answer is on its way
    would be redrawn unmade when it lands."""
    with page.expect_response(
        lambda r: r.url.endswith("/app/people/matches") and "900001" in (r.request.post_data or "")
    ):
        page.keyboard.press("Tab")
    page.wait_for_function(
        "() => !document.querySelector('#person-matches').classList.contains('htmx-request')"
    )
    expect(page.locator("#person-matches")).to_contain_text("This person may already be known")


# ------------------------------------------------------------------ by keyboard alone


def sign_in(page: Page, pages: Pages, name: str) -> None:
    page.goto("/app/sign-in")
    expect(page.locator("h1")).to_have_text("Sign in")
    pages.check(page, f"sign-in-{name.split()[-1].lower()}")
    choose(page, page.get_by_label(name, exact=True))
    press(page, page.get_by_role("button", name="Sign in"))
    page.wait_for_url(re.compile(r"/app/caseload$"))


def open_form(page: Page, label: str, heading: str) -> None:
    """From the case page, the link to one of its forms, followed."""
    press(page, page.get_by_role("link", name=label, exact=True))
    expect(page.locator("h1")).to_have_text(heading)


def record_incident(
    page: Page, pages: Pages, kind: str, what: str, harms: list[str], crime: bool
) -> None:
    open_form(page, "Record an incident", "Record an incident")
    pages.check(page, "incident")
    select_option(page, page.get_by_label("What kind of incident?"), kind)
    type_into(page, page.get_by_label("What happened?"), what)
    for harm in harms:
        choose(page, page.get_by_label(harm, exact=True))
    if crime:
        choose(page, page.get_by_label("Yes: it must then be referred to the police"))
    press(page, page.get_by_role("button", name="Record incident"))
    landed(page, "IncidentRecorded", "an incident")
    expect(section(page, "incidents")).to_contain_text(what)


def fill_share(page: Page, items: list[str]) -> None:
    """The share with the police: what, why, on what basis, and why consent was not sought."""
    select_option(
        page,
        page.get_by_label("Which organisation will you share with?"),
        "Staffordshire Police (Police)",
    )
    for item in items:
        choose(page, page.get_by_label(item, exact=True))
    choose(page, page.get_by_label("Prevent crime and disorder"))
    type_into(
        page,
        page.get_by_label("Why is sharing these items necessary for that purpose?"),
        "The police need the threats and their context to investigate.",
    )
    choose(page, page.get_by_label("Public task (UK GDPR Article 6(1)(e))"))
    choose(page, page.get_by_label("Crime and Disorder Act 1998, section 115"))
    special = page.locator("#includes_special_category")  # "Yes", which reveals the condition
    choose(page, special)
    select_option(
        page,
        page.get_by_label("Which condition for processing applies?"),
        "Preventing or detecting unlawful acts (Data Protection Act 2018, Schedule 1)",
    )
    choose(page, page.get_by_label("Not sought", exact=True))
    type_into(
        page,
        page.get_by_label("Why was consent not sought, or why share although it was refused?"),
        "Seeking consent could put her at greater risk from the perpetrator.",
    )


def fill_closure(page: Page) -> None:
    """No further action, with the explanation and the advice it needs, feedback given."""
    choose(page, page.get_by_label("No further action", exact=True))
    explanation = page.locator("#explanation_no_further_action")
    expect(explanation).to_be_visible()  # revealed by the reason chosen
    type_into(page, explanation, EXPLANATION)
    type_into(page, page.locator("#advice_no_further_action"), ADVICE)
    type_into(page, page.get_by_label("Full reasons for closing"), REASONS)
    choose(page, page.get_by_label("Yes, by phone"))


def test_a_caseworker_works_a_case_from_complaint_to_closure_by_keyboard_alone(
    pages: Pages,
) -> None:
    page = pages.new_page()
    sign_in(page, pages, "Demo Caseworker")
    pages.check(page, "caseload")

    # A complaint from someone the demo holds: warned of her as her details are typed.
    press(page, page.get_by_role("link", name="New complaint"))
    expect(page.locator("h1")).to_have_text("New complaint")
    pages.check(page, "complaint")
    choose(page, page.locator("#channel"))  # by phone
    choose(page, page.get_by_label("Nuisance", exact=True))
    type_into(page, page.get_by_label("What is happening?"), "Abuse shouted at her door.")
    type_into(page, page.get_by_label("Address or place"), "1 Example Close, Demo Town")
    select_option(page, page.get_by_label("Ward"), "Forebridge")
    choose(page, page.get_by_label("Community safety", exact=True))
    type_into(page, page.get_by_label("Full name"), "Demo Victim A")
    type_into(page, page.get_by_label("Phone number or email address (optional)"), "07700 900001")
    warned(page)
    pages.check(page, "complaint-warning")
    choose(page, page.get_by_label("Link to Demo Victim A"))
    choose(page, page.locator("#preferred_contact"))  # by phone
    choose(page, page.locator("#victim-2"))  # not a victim herself: a witness to it
    press(page, page.get_by_role("button", name="Open the case"))
    landed(page, "CaseOpened", "the case was opened")
    reference = page.locator("h1").inner_text().split()[0]
    people = section(page, "people")
    expect(people).to_contain_text("Demo Victim A")
    expect(people).to_contain_text("07700 900001")
    shown_in_time(page, section(page, "linked"), "ASB-2026-000001")  # her other case
    pages.check(page, "case-opened")

    # Linked, not entered again: her page holds the demo's case and this one.
    press(page, people.get_by_role("link", name="Their cases and risk"))
    expect(page.locator("h1")).to_have_text("Demo Victim A")
    expect(page.locator("main")).to_contain_text("ASB-2026-000001")
    expect(page.locator("main")).to_contain_text(reference)
    pages.check(page, "person")
    press(page, page.locator("main").get_by_role("link", name=reference, exact=True))
    expect(page.locator("h1")).to_contain_text(reference)

    # Incidents until cumulative harm escalates: targeted, hate-motivated, then violent.
    record_incident(
        page,
        pages,
        "Harassment or intimidation",
        FIRST_INCIDENT,
        ["Targeted", "Hate motivated"],
        False,
    )
    risk = section(page, "risk")
    shown_in_time(page, risk, "1 hate-motivated incident in 90 days")
    expect(risk).to_contain_text("Cumulative harm indicates Standard")
    expect(risk).not_to_contain_text("Higher than assessed")
    pages.check(page, "case-one-incident")
    record_incident(
        page,
        pages,
        "Threats or violence",
        SECOND_INCIDENT,
        ["Targeted", "Violence or threat"],
        True,
    )
    shown_in_time(page, risk, "Higher than assessed")
    expect(risk).to_contain_text("Cumulative harm indicates High")
    expect(risk).to_contain_text(
        "High: 2 targeted incidents in 90 days, at least one hate-motivated or with violence"
    )
    expect(risk).to_contain_text("cumulative harm indicates high, above no assessment")
    expect(section(page, "incidents").locator("tbody tr").first).to_contain_text("Not yet referred")
    pages.check(page, "case-escalated")

    # An action with a date it is due.
    due = date.today() + timedelta(days=14)
    open_form(page, "Plan an action", "Plan an action")
    pages.check(page, "plan-action")
    type_into(page, page.get_by_label("What is the action?"), ACTION)
    type_date(page, page.get_by_label("When is it due?"), due)
    press(page, page.get_by_role("button", name="Plan action"))
    landed(page, "ActionPlanned", "an action was planned")
    plan = section(page, "actions")
    expect(plan).to_contain_text(ACTION)
    expect(plan).to_contain_text(f"{due.day} {due:%B %Y}")
    pages.check(page, "case-action-planned")

    # The criminal incident to the police: it is chosen already.
    open_form(page, "Refer to the police", "Refer to the police")
    expect(page.get_by_label("Incident: threats or violence")).to_be_checked()
    expect(page.get_by_label("Incident: harassment or intimidation")).not_to_be_checked()
    pages.check(page, "police-referral")
    type_into(page, page.get_by_label("Police reference"), POLICE_REFERENCE)
    press(page, page.get_by_role("button", name="Record referral"))
    landed(page, "PoliceReferralMade", "a referral to the police")
    expect(section(page, "police")).to_contain_text(POLICE_REFERENCE)
    expect(section(page, "incidents").locator("tbody tr").first).to_contain_text(
        f"Referred: {POLICE_REFERENCE}"
    )
    pages.check(page, "case-referred")

    # Sharing needs a supervisor's authorisation: said before and when the form is sent.
    shared = ["Case summary", "Incident: threats or violence"]
    open_form(page, "Share information with a partner", "Share information with a partner")
    expect(page.locator("#authoriser-required")).to_contain_text(
        "A share needs a supervisor's authorisation"
    )
    pages.check(page, "share-caseworker")
    fill_share(page, shared)
    press(page, page.get_by_role("button", name="Share information"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("A share needs a supervisor's authorisation")
    expect(summary).to_contain_text("share.authoriser_required")
    pages.check(page, "share-refused")
    press(page, page.get_by_role("link", name="Cancel"))
    expect(page.locator("h1")).to_contain_text(reference)
    expect(section(page, "shares")).to_contain_text("Nothing has been shared")

    # So does closing a case at high risk: said before and when the form is sent.
    open_form(page, "Close the case", "Close the case")
    expect(page.locator("main")).to_contain_text("A supervisor must close a case that is high risk")
    pages.check(page, "close-caseworker")
    fill_closure(page)
    press(page, page.get_by_role("button", name="Close case"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("A supervisor must close this case")
    expect(summary).to_contain_text("closure.needs_supervisor")
    pages.check(page, "close-refused")

    # The supervisor, in a browser of their own, shares and closes, by keyboard too.
    other = pages.new_page(pages.new_context())
    sign_in(other, pages, "Demo Supervisor")
    pages.check(other, "caseload-supervisor")
    press(other, other.get_by_role("link", name=reference, exact=True))
    expect(other.locator("h1")).to_contain_text(reference)
    pages.check(other, "case-supervisor")
    open_form(other, "Share information with a partner", "Share information with a partner")
    expect(other.locator("#authoriser-required")).to_have_count(0)
    pages.check(other, "share-supervisor")
    fill_share(other, shared)
    press(other, other.get_by_role("button", name="Share information"))
    landed(other, "InformationShared", "information was shared with a partner")
    shares = section(other, "shares")
    expect(shares).to_contain_text("Shared with Staffordshire Police")
    expect(shares).to_contain_text("Public task (UK GDPR Article 6(1)(e))")
    pages.check(other, "case-shared")
    open_form(other, "Close the case", "Close the case")
    pages.check(other, "close-supervisor")
    fill_closure(other)
    press(other, other.get_by_role("button", name="Close case"))
    landed(other, "CaseClosed", "the case was closed")
    expect(other.locator("h1")).to_contain_text("Closed")
    expect(section(other, "summary")).to_contain_text("No further action")
    expect(section(other, "summary")).to_contain_text(EXPLANATION)
    pages.check(other, "case-closed")

    # The caseworker leaves the form: the case as the supervisor left it, every step in its
    # audit trail.
    press(page, page.get_by_role("link", name="Cancel"))
    expect(page.locator("h1")).to_contain_text("Closed")
    expect(section(page, "shares")).to_contain_text("Shared with Staffordshire Police")
    trail = section(page, "audit").locator("tbody tr")
    expect(trail).to_have_count(8)
    assert [row.split("\t")[1].split("\n")[0] for row in trail.all_inner_texts()] == [
        "Case closed",
        "Information shared",
        "Police referral made",
        "Action planned",
        "Incident recorded",
        "Incident recorded",
        "Case assigned",
        "Case opened",
    ]
    pages.check(page, "case-closed-caseworker")
    assert pages.hosts == {pages.own_host}


# ------------------------------------------------------------ partner, stale form, DPO, auditor

PERPETRATOR = "Demo Perpetrator Z"


def take_complaint(page: Page) -> str:
    """A complaint from Demo Victim A, linked to her record; the case page's address."""
    page.goto("/app/complaints/new")
    page.locator("#channel").check()
    page.get_by_label("Nuisance", exact=True).check()
    page.get_by_label("What is happening?").fill("Abuse shouted at her door.")
    page.get_by_label("Address or place").fill("1 Example Close, Demo Town")
    page.get_by_label("Community safety", exact=True).check()
    page.get_by_label("Full name").fill("Demo Victim A")
    page.get_by_label("Phone number or email address (optional)").fill("07700 900001")
    warned(page)
    page.get_by_label("Link to Demo Victim A").check()
    page.locator("#preferred_contact").check()
    page.locator("#victim-2").check()
    page.get_by_role("button", name="Open the case").click()
    landed(page, "CaseOpened", "the case was opened")
    return page.url.split("?")[0]


def add_incident(page: Page, case_url: str, kind: str, what: str, crime: bool = False) -> None:
    page.goto(f"{case_url}/incidents")
    page.get_by_label("What kind of incident?").select_option(label=kind)
    page.get_by_label("What happened?").fill(what)
    page.get_by_label("Targeted", exact=True).check()
    if crime:
        page.get_by_label("Yes: it must then be referred to the police").check()
    page.get_by_role("button", name="Record incident").click()
    landed(page, "IncidentRecorded", "an incident")


def test_a_partner_sees_only_what_was_shared_and_a_dpo_and_an_auditor_follow_it(
    pages: Pages, tmp_path: Path
) -> None:
    # The API's documentation, loading in tabs of its own while the journey goes on.
    docs, redoc = pages.new_page(), pages.new_page()
    docs.goto("/docs", wait_until="commit")
    redoc.goto("/redoc", wait_until="commit")

    # The case, as the caseworker sees it: two incidents, the complainant and a perpetrator.
    worker = pages.new_page()
    pages.sign_in(worker, "Demo Caseworker")
    case_url = take_complaint(worker)
    add_incident(worker, case_url, "Harassment or intimidation", FIRST_INCIDENT)
    add_incident(worker, case_url, "Threats or violence", SECOND_INCIDENT, crime=True)
    worker.goto(f"{case_url}/people")
    pages.check(worker, "link-person")
    worker.get_by_label("Alleged perpetrator", exact=True).check()
    worker.get_by_label("Full name").fill(PERPETRATOR)
    worker.get_by_role("button", name="Link person").click()
    landed(worker, "PersonLinked", "a person was linked to the case")
    reference = worker.locator("h1").inner_text().split()[0]
    people = section(worker, "people")
    for seen in ("Demo Victim A", PERPETRATOR):
        expect(people).to_contain_text(seen)
    victim_ref = (
        people.locator(".govuk-summary-card", has_text="Demo Victim A")
        .locator("dt:text-is('Person reference') + dd")
        .inner_text()
        .strip()
    )
    for seen in (FIRST_INCIDENT, SECOND_INCIDENT):
        expect(section(worker, "incidents")).to_contain_text(seen)
    pages.check(worker, "case-caseworker")

    # The supervisor shares the threats, the summary and the complainant with the police.
    supervisor = pages.new_page(pages.new_context())
    pages.sign_in(supervisor, "Demo Supervisor")
    supervisor.goto(f"{case_url}/shares")
    fill_share(
        supervisor,
        ["Case summary", "Incident: threats or violence", "Person: Demo Victim A (complainant)"],
    )
    supervisor.get_by_role("button", name="Share information").click()
    landed(supervisor, "InformationShared", "information was shared with a partner")

    # The police partner: the case in their list, and on it only what was shared.
    police = pages.new_page(pages.new_context())
    pages.sign_in(police, "Demo Police Officer")
    assert police.url.endswith("/app/partner")
    pages.check(police, "partner-list")
    police.get_by_role("link", name=reference, exact=True).click()
    expect(police.locator("h1")).to_contain_text(reference)
    pages.check(police, "case-partner")
    main = police.locator("main")
    expect(main).to_contain_text("You can see only what was shared with your organisation")
    for shared in (SECOND_INCIDENT, "Demo Victim A", "Abuse shouted at her door."):
        expect(main).to_contain_text(shared)
    text = main.inner_text()
    for unshared in (FIRST_INCIDENT, PERPETRATOR, "Audit trail", "Who has seen this case"):
        assert unshared not in text, unshared
    forms = police.locator(f'a[href^="{case_url.removeprefix(pages.server.base_url)}/"]')
    assert forms.all_inner_texts() == ["Record an incident", "Record a contact"]

    # A stale form: the same form in two tabs, one sent, then the other.
    first, second = worker, pages.new_page()
    for tab in (first, second):
        tab.goto(f"{case_url}/incidents")
        tab.get_by_label("What kind of incident?").select_option(label="Noise")
        tab.get_by_label("What happened?").fill("Music played loud at 3am.")
    first.get_by_role("button", name="Record incident").click()
    landed(first, "IncidentRecorded", "an incident")
    now = re.search(r"Version (\d+) of the case", first.locator("main").inner_text())
    assert now is not None
    with second.expect_response(lambda r: r.request.method == "POST") as sent:
        second.get_by_role("button", name="Record incident").click()
    assert sent.value.status == 412
    expect(second.locator(".govuk-error-summary")).to_contain_text(
        "Someone else changed this case while you had this form open"
    )
    expect(second.locator("#current-state")).to_contain_text(
        f"The case is at version {now.group(1)} and is open"
    )
    expect(second.get_by_label("What happened?")).to_have_value("Music played loud at 3am.")
    pages.check(second, "incident-stale")
    second.goto(case_url)
    expect(section(second, "incidents")).to_contain_text("Music played loud at 3am.")
    assert section(second, "incidents").inner_text().count("Music played loud at 3am.") == 1

    # The DPO finds who saw her data: the caseworker and the police among them.
    dpo = pages.new_page(pages.new_context())
    pages.sign_in(dpo, "Demo Data Protection Officer")
    pages.check(dpo, "dpo-disclosures")
    dpo.get_by_label("Person reference").fill(victim_ref)
    dpo.get_by_role("button", name="Search").click()
    who = dpo.locator("#disclosures tbody tr td:nth-child(2) a")
    shown_in_time(dpo, dpo.locator("main"), "demo-police-officer")
    names = set(who.all_inner_texts())
    assert {"demo-caseworker", "demo-supervisor", "demo-police-officer"} <= names, names
    rows = dpo.locator("#disclosures tbody tr")
    police_rows = rows.filter(has_text="demo-police-officer")
    expect(police_rows.first).to_contain_text(reference)
    expect(rows.filter(has_text="Shared with Staffordshire Police").first).to_contain_text(
        "demo-supervisor"
    )
    pages.check(dpo, "dpo-disclosures-by-person")

    # An auditor checks the case and downloads its bundle, which verifies offline.
    auditor = pages.new_page(pages.new_context())
    pages.sign_in(auditor, "Demo Auditor")
    pages.check(auditor, "audit")
    auditor.get_by_label("Case reference or id").fill(reference)
    auditor.get_by_role("button", name="Find the case").click()
    expect(auditor.locator("h1")).to_contain_text(reference)
    pages.check(auditor, "audit-case")
    auditor.get_by_role("button", name="Check this case").click()
    expect(auditor.locator("h1")).to_have_text("Intact")
    pages.check(auditor, "audit-verify")
    auditor.get_by_role("link", name="Back to the case").click()
    with auditor.expect_download() as downloading:
        auditor.get_by_role("link", name="Download the export bundle").click()
    bundle = tmp_path / "bundle.json"
    downloading.value.save_as(bundle)
    key = Path(pages.server.env["ASB_DATA_DIR"]) / "notary.pub"
    said = io.StringIO()
    assert verify_offline(bundle, key, out=said, err=io.StringIO()) == 0
    assert said.getvalue() == "intact\n"

    # The API's documentation, from this process alone; and nothing from another host.
    expect(docs.locator(".swagger-ui .info .title")).to_contain_text("asb-ledger", timeout=15_000)
    expect(redoc.locator("#redoc h1").first).to_be_visible(timeout=15_000)
    own = pages.own_host
    assert pages.referenced(docs).keys() == {own}
    assert pages.referenced(redoc, links=False).keys() == {own}
    assert pages.referenced(redoc).keys() <= {own}
    assert pages.hosts == {own}
