"""The case page and the partners' pages without a browser, on the demo's cases (loaded
through the real commands, as ``asb-ledger demo`` loads them): each section, the access
record appended before the page is sent, what a partner sees and never sees, the 404 for a
case of another team, and each event's hash with its coverage by the signed checkpoint."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import mint_token
from api.demo import load_demo
from api.settings import ApiSettings
from api.web.case_page import AUDIT_PAGE, DONE
from ledger.access import Accessed, AccessedV2, AccessRecord
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import AccessOutcome, PersonRole, Role
from ledger.type_names import stored_types
from replay.history import history
from tests.api.conftest import complaint
from tests.web.test_frame import sign_in

SECRETS_OF_THE_CAMPAIGN = (
    "Demo Victim A",
    "07700 900001",
    "Demo Neighbour B",
    "uses a wheelchair",
    "shouting at the door",  # the one incident not shared with the police
    "emotional support",
)


def accesses(client: TestClient) -> list[Accessed]:
    """Every access record in the app's ledger (those under a break-glass grant too)."""
    ledger = client.app.state.ledger  # type: ignore[attr-defined]
    found = []
    for notification in ledger.recorder.select_notifications(1, 100_000):
        if notification.topic.startswith("asb.access.Accessed."):
            event = ledger.mapper.to_domain_event(notification)
            assert isinstance(event, Accessed)
            found.append(event)
    return found


@dataclass
class Demo:
    """The app with the demo's four cases, every view and the notary caught up."""

    client: TestClient
    cases: list[Case]

    @property
    def app(self) -> Any:
        return self.client.app

    @property
    def ledger(self) -> CaseLedger:
        ledger: CaseLedger = self.app.state.ledger
        return ledger

    @property
    def campaign(self) -> Case:
        return self.ledger.get_case(self.cases[0].id)

    def settle(self) -> None:
        """Waits for every view and the notary to reach the ledger's head; signs a checkpoint."""
        head = self.ledger.recorder.max_notification_id() or 0
        models = self.app.state.read_models
        for view in [*models.views.values(), models.notary]:
            assert view.wait_for(head, 20), view
        models.notary.tick(force=True)

    def bearer(self, role: Role, user: str, team: str | None = None) -> dict[str, str]:
        token = mint_token(self.app.state.settings, user=user, role=role, org="council", team=team)
        return {"Authorization": f"Bearer {token}"}

    def page(self, user: str, path: str, status: int = 200) -> str:
        self.client.cookies.clear()
        sign_in(self.client, user)
        answer = self.client.get(path)
        assert answer.status_code == status, answer.text
        html: str = answer.text
        return html


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    settings = ApiSettings(data_dir=tmp_path, checkpoint_every=1)
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        found = Demo(client, load_demo(client.app.state.ledger, datetime.now(UTC)))  # type: ignore[attr-defined]
        found.settle()
        yield found


def text_of(html: str) -> str:
    """The page's words, tags dropped and spaces collapsed (what a reader reads)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def section(html: str, element_id: str) -> str:
    """The words of the page's ``<section>`` whose heading has this id."""
    found = re.search(rf'<h2[^>]*id="{element_id}".*?</section>', html, re.S)
    assert found is not None, f"no section {element_id}"
    return text_of(found.group(0))


# ------------------------------------------------------------------ a caseworker's page


def test_a_caseworker_sees_every_section_of_their_case(demo: Demo) -> None:
    case = demo.campaign
    html = demo.page("demo-caseworker", f"/app/cases/{case.reference}")
    assert f"<title>Case {case.reference} - ASB case ledger</title>" in html
    contents = re.search(r'<nav aria-labelledby="contents-title".*?</nav>', html, re.S)
    assert contents is not None
    for anchor in ("summary", "people", "incidents", "risk", "actions", "contacts"):
        assert f'href="#{anchor}"' in contents.group(0)
        assert f'id="{anchor}"' in html
    summary = section(html, "summary")
    for words in ("Personal", "Forebridge", "Community safety", "asb-north", "Version 14"):
        assert words in summary or words in text_of(html)
    assert "First contact (agreed)" in summary
    assert "working days late" in summary
    people = section(html, "people")
    for ref in case.persons:  # each person's own page: their cases and risk
        assert f'href="/app/people/{ref}"' in html
    assert "Demo Victim A (complainant)" in people
    assert "07700 900001" in people
    assert "Demo Neighbour B" in people
    assert "Alleged perpetrator" in people
    incidents = section(html, "incidents")
    order = [incidents.index(t) for t in ("threat to harm", "slur painted", "shouting at")]
    assert order == sorted(order)  # newest first
    assert "Referred: SP/0001/26" in incidents
    assert "Hate" in incidents
    risk = section(html, "risk")
    assert "Cumulative harm indicates High" in risk
    assert "Threshold met" in risk  # the ASB Case Review flag, for staff
    assert "3 targeted incidents in 90 days" in risk
    assert "Each victim, across all their cases" in risk
    plan = section(html, "actions")
    assert "A1" in plan
    assert "joint visit" in plan
    assert "Information shared" in text_of(html)
    shares = section(html, "shares")
    assert "Shared with Staffordshire Police" in shares
    # the legal terms in the words the share form offers them in, not their codes
    assert "Public task (UK GDPR Article 6(1)(e))" in shares
    assert "Gateway: Crime and Disorder Act 1998, section 115" in shares
    assert (
        "condition: Preventing or detecting unlawful acts (Data Protection Act 2018, Schedule 1)"
        in shares
    )
    assert "SP/0001/26" in section(html, "police")
    assert "Staffordshire Victims Gateway" in section(html, "support")
    repeat = demo.cases[3]
    linked = section(html, "linked")
    assert repeat.reference in linked
    assert f'href="/app/cases/{repeat.id}"' in html
    assert "Who has seen this case" not in html  # a caseworker is not entitled


def test_an_erased_person_is_shown_as_erased(demo: Demo) -> None:
    closed = demo.cases[1]  # closed: its complainant may be erased
    dpo = demo.bearer(Role.DPO, "dpo-1")
    body = {"person_ref": str(closed.complainant_ref), "ground": "subject_request"}
    erased = demo.client.post("/dpo/erasures", json=body, headers=dpo)
    assert erased.status_code == 201, erased.text
    people = section(demo.page("demo-caseworker", f"/app/cases/{closed.id}"), "people")
    for gone in ("Demo Resident C", "c@example.invalid", "22 Sample Road"):
        assert gone not in people
    assert "People Erased (complainant)" in people  # the card's title: the name, erased
    assert "Contact Erased Address Erased" in people


def test_the_page_links_to_the_forms_the_person_may_use(demo: Demo) -> None:
    case = demo.campaign
    html = demo.page("demo-caseworker", f"/app/cases/{case.id}")
    linked = set(re.findall(rf'href="/app/cases/{case.id}/([A-Za-z0-9/-]+)"', html))
    assert {"incidents", "contacts", "people", "actions", "timescales"} <= linked
    assert "assign" not in linked  # a supervisor's
    assert {"actions/A1/complete", "actions/A1/cancel"} <= linked
    for path in linked:  # every form linked is there to be used
        answer = demo.client.get(f"/app/cases/{case.id}/{path}")
        assert answer.status_code == 200, path
    boss = demo.page("demo-supervisor", f"/app/cases/{case.id}")
    assert f'href="/app/cases/{case.id}/assign"' in boss
    closed = demo.cases[1]
    html = demo.page("demo-caseworker", f"/app/cases/{closed.id}")
    assert not re.findall(rf'href="/app/cases/{closed.id}/(?!reopen)', html)
    assert "no further action" in section(html, "summary").lower()
    auditor = demo.page("demo-auditor", f"/app/cases/{case.id}")
    assert f'href="/app/cases/{case.id}/' not in auditor


def test_the_success_banner_shows_only_the_words_of_a_known_event(demo: Demo) -> None:
    path = f"/app/cases/{demo.campaign.id}"
    html = demo.page("demo-caseworker", f"{path}?done=IncidentRecorded")
    assert "Recorded: an incident" in text_of(html)
    assert "govuk-notification-banner--success" in html
    for given in ("<script>alert(1)</script>", "Whatever+you+like", "__class__"):
        html = demo.page("demo-caseworker", f"{path}?done={given}")
        assert "govuk-notification-banner" not in html
        assert "alert(1)" not in html
        assert "Whatever" not in html


def test_a_complainant_not_linked_as_a_victim_is_pointed_out(demo: Demo) -> None:
    """A new complaint whose victim link failed lands with ``victim=not_linked``: the page
    says so while the complainant is not a victim on the case, and never otherwise."""

    def victim(case: Case) -> bool:
        return PersonRole.VICTIM in case.persons[case.complainant_ref].roles

    unlinked = next(c for c in demo.cases if not victim(c))
    html = demo.page("demo-caseworker", f"/app/cases/{unlinked.id}?victim=not_linked")
    assert "The complainant is not yet linked to this case as a victim" in text_of(html)
    assert f'href="/app/cases/{unlinked.id}/people"' in html
    assert 'id="victim-not-linked"' not in demo.page("demo-caseworker", f"/app/cases/{unlinked.id}")
    linked = demo.campaign
    assert victim(linked)
    html = demo.page("demo-caseworker", f"/app/cases/{linked.id}?victim=not_linked")
    assert 'id="victim-not-linked"' not in html


def test_every_case_event_kind_has_words_for_the_banner() -> None:
    kinds = {name.split(".")[2] for name in stored_types() if name.startswith("asb.case.")}
    assert kinds - {"Case"} == set(DONE)


# ------------------------------------------------------------------ reads are recorded


def test_the_page_appends_one_access_record_before_it_is_sent(demo: Demo) -> None:
    case = demo.campaign
    sign_in(demo.client, "demo-caseworker")
    before = len(accesses(demo.client))
    assert demo.client.get(f"/app/cases/{case.reference}").status_code == 200
    after = accesses(demo.client)[before:]
    assert len(after) == 1
    (record,) = after
    assert isinstance(record, Accessed)
    assert (record.view, record.case_id, record.case_version) == ("web.case", case.id, 14)
    assert record.actor.user_id == "demo-caseworker"
    assert record.outcome is AccessOutcome.GRANTED
    assert set(record.subjects) == set(case.persons)


def test_if_the_access_cannot_be_recorded_the_page_is_not_shown(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(record: AccessRecord) -> int:
        raise OperationalError("the store went away")

    sign_in(demo.client, "demo-caseworker")
    monkeypatch.setattr(demo.ledger, "record_access", fail)
    answer = demo.client.get(f"/app/cases/{demo.campaign.id}")
    assert answer.status_code == 503
    for secret in SECRETS_OF_THE_CAMPAIGN:
        assert secret not in answer.text


def test_a_caseworker_of_another_team_is_told_the_case_is_not_found(demo: Demo) -> None:
    south = demo.bearer(Role.SUPERVISOR, "boss-south", team="south")
    opened = demo.client.post("/cases", json=complaint(team="south"), headers=south)
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["case_id"]
    sign_in(demo.client, "demo-caseworker")
    before = len(accesses(demo.client))
    html = demo.page("demo-caseworker", f"/app/cases/{case_id}", status=404)
    assert "Page not found" in html
    assert "Cathy Complainant" not in html
    refused = [a for a in accesses(demo.client)[before:] if a.case_id == UUID(case_id)]
    assert [r.outcome for r in refused] == [AccessOutcome.NOT_FOUND]
    demo.page("demo-police-officer", f"/app/cases/{case_id}", status=404)
    demo.page("demo-auditor", f"/app/cases/{case_id}")  # auditors read every case


def test_a_supervisor_outside_the_team_reads_only_under_a_break_glass_grant(demo: Demo) -> None:
    south = demo.bearer(Role.SUPERVISOR, "boss-south", team="south")
    case_id = demo.client.post("/cases", json=complaint(team="south"), headers=south).json()[
        "case_id"
    ]
    path = f"/app/cases/{case_id}"
    demo.page("demo-supervisor", path, status=404)
    mine = demo.bearer(Role.SUPERVISOR, "demo-supervisor", team="asb-north")
    body = {"reason": "safeguarding_emergency", "rationale": "FICTIONAL: out of hours call"}
    granted = demo.client.post(f"/cases/{case_id}/break-glass", json=body, headers=mine)
    assert granted.status_code == 201, granted.text
    before = len(accesses(demo.client))
    html = demo.page("demo-supervisor", path)
    assert "under a break-glass grant" in text_of(html)
    assert "Cathy Complainant" in html
    assert f'href="/app/cases/{case_id}/' not in html  # a grant opens reads, never commands
    (record,) = [a for a in accesses(demo.client)[before:] if a.view == "web.case"]
    assert isinstance(record, AccessedV2)
    assert record.grant_id == UUID(granted.json()["grant_id"])


def test_without_a_session_the_page_sends_the_person_to_sign_in(demo: Demo) -> None:
    for path in (f"/app/cases/{demo.campaign.reference}", "/app/cases/ASB-2099-999999"):
        answer = demo.client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/app/sign-in?next={path}"


# ------------------------------------------------------------------ partners


def test_a_partner_sees_only_what_was_shared_with_their_organisation(demo: Demo) -> None:
    case = demo.campaign
    html = demo.page("demo-police-officer", f"/app/cases/{case.id}")
    words = text_of(html)
    assert "threat to harm" in words
    assert "slur painted on door" in words
    assert "You can see only what was shared with your organisation" in words
    assert "2 incidents" in words
    assert "Risk assessment" in words
    for secret in SECRETS_OF_THE_CAMPAIGN:
        assert secret not in words, secret
    for ref in case.persons:
        assert str(ref) not in html  # neither a reference nor a link to the person
    for hidden in ("audit", "linked", "seen", "people", "actions", "support", "police"):
        assert f'id="{hidden}"' not in html, hidden
    assert "Cumulative harm indicates" not in words  # the risk view is staff's
    forms = re.findall(rf'href="/app/cases/{case.id}/([a-z-]+)"', html)
    assert sorted(forms) == ["contacts", "incidents"]


def test_a_partner_never_sees_a_case_not_shared_with_them(demo: Demo) -> None:
    noise, environmental = demo.cases[1], demo.cases[2]
    demo.page("demo-police-officer", f"/app/cases/{noise.id}", status=404)
    demo.page("demo-police-officer", f"/app/cases/{environmental.reference}", status=404)
    housing = text_of(demo.page("demo-housing-officer", f"/app/cases/{environmental.id}"))
    assert "mattresses and bags" in housing
    assert "Baswich" in housing
    assert "Demo Tenant D" not in housing


def test_the_partner_list_holds_only_the_cases_shared_with_the_organisation(demo: Demo) -> None:
    police = demo.page("demo-police-officer", "/app/partner")
    assert "Staffordshire Police" in police
    assert re.findall(r"ASB-\d{4}-\d{6}", text_of(police)) == [demo.cases[0].reference]
    housing = demo.page("demo-housing-officer", "/app/partner")
    assert re.findall(r"ASB-\d{4}-\d{6}", text_of(housing)) == [demo.cases[2].reference]
    assert f'href="/app/cases/{demo.cases[2].id}"' in housing
    closed = demo.page("demo-housing-officer", "/app/partner?status=closed")
    assert "No cases have been shared" in closed
    demo.client.cookies.clear()
    sign_in(demo.client, "demo-caseworker")
    answer = demo.client.get("/app/partner", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/app/caseload")


# ------------------------------------------------------------------ who has seen it


@pytest.mark.parametrize(
    ("user", "entitled"),
    [
        ("demo-supervisor", True),
        ("demo-dpo", True),
        ("demo-auditor", True),
        ("demo-caseworker", False),
        ("demo-police-officer", False),
    ],
)
def test_who_else_has_seen_the_case_is_shown_to_those_entitled(
    demo: Demo, user: str, entitled: bool
) -> None:
    html = demo.page(user, f"/app/cases/{demo.campaign.id}")
    assert ('id="seen"' in html) is entitled
    if entitled:
        seen = section(html, "seen")
        assert "demo-police-officer" in seen
        assert "partner, Staffordshire Police" in seen
        assert "demo-supervisor" in seen
        assert "Read the case (API)" in seen
        assert "Shared with Staffordshire Police" in seen


# ------------------------------------------------------------------ the audit trail


def test_each_event_shows_its_hash_and_its_coverage_by_the_signed_checkpoint(
    demo: Demo,
) -> None:
    case = demo.campaign
    html = demo.page("demo-caseworker", f"/app/cases/{case.id}")
    events = history(demo.ledger, case.id, upto=case.version)
    trail = re.search(r'<table[^>]*id="audit-trail".*?</table>', html, re.S)
    assert trail is not None
    pattern = r'<tr class="govuk-table__row" id="event-(\d+)">(.*?)</tr>'
    rows = re.findall(pattern, trail.group(0), re.S)
    assert [int(v) for v, _ in rows] == list(range(case.version, 0, -1))
    by_version = dict(rows)
    for event in events:
        row = by_version[str(event.version)]
        assert f'<code class="app-hash">{event.event_hash}</code>' in row
        assert f"<code>{event.event_hash[:12]}</code>" in row
        assert "Covered" in row
    notary = demo.app.state.read_models.notary
    signed = notary.latest_checkpoint()
    assert f"tree size {signed.size}" in text_of(html)


def test_an_event_not_yet_logged_is_not_shown_as_covered(demo: Demo) -> None:
    models = demo.app.state.read_models
    models.runner.stop()  # nothing more reaches the notary
    case = demo.campaign
    headers = demo.bearer(Role.CASEWORKER, "demo-caseworker", team="asb-north")
    body = {"incident_type": "noise", "description": "FICTIONAL: more noise"}
    recorded = demo.client.post(f"/cases/{case.id}/incidents", json=body, headers=headers)
    assert recorded.status_code == 201, recorded.text
    html = demo.page("demo-caseworker", f"/app/cases/{case.id}")
    assert "still being brought up to date" in html  # the risk view has not seen it
    row = re.search(r'id="event-15">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "Covered" not in row.group(1)
    assert "not logged yet" in row.group(1)
    before = re.search(r'id="event-14">(.*?)</tr>', html, re.S)
    assert before is not None
    assert "Covered" in before.group(1)


def test_a_long_audit_trail_is_paged_newest_first(demo: Demo) -> None:
    case = demo.campaign
    headers = demo.bearer(Role.CASEWORKER, "demo-caseworker", team="asb-north")
    victim = next(r for r, p in case.persons.items() if PersonRole.VICTIM in p.roles)
    for n in range(AUDIT_PAGE - 10):
        body = {
            "person_ref": str(victim),
            "method": "phone",
            "direction": "outbound",
            "outcome": "reached",
            "summary": f"FICTIONAL: call {n}",
        }
        answer = demo.client.post(f"/cases/{case.id}/contacts", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
    total = case.version + AUDIT_PAGE - 10
    first = demo.page("demo-caseworker", f"/app/cases/{case.id}")
    versions = [int(v) for v in re.findall(r'id="event-(\d+)"', first)]
    assert versions == list(range(total, total - AUDIT_PAGE, -1))
    assert f"{total} events, page 1 of 2" in text_of(first)
    older = re.search(r'href="([^"]*events=2[^"]*)"', first)
    assert older is not None
    second = demo.page("demo-caseworker", older.group(1).replace("&amp;", "&"))
    assert [int(v) for v in re.findall(r'id="event-(\d+)"', second)] == list(
        range(total - AUDIT_PAGE, 0, -1)
    )
    assert "Newer events" in second
    assert "Older events" not in second
