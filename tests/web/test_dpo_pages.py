"""The DPO's pages without a browser, on the demo: the disclosure log (filters, pages, the CSV
with the API's rows, formula-safe), the subject access queue and a request, break-glass
alerts and their review; every read recorded as the API records it; other roles refused."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api.auth import mint_token
from api.schemas.dpo import DisclosureOut
from api.spreadsheet import cell
from api.web.rendering import working_days_late
from ledger.enums import AccessPurpose, Role
from replay.offline import run as verify_offline
from tests.web.demo_app import DEMO_AT, Demo, demo, links, table

DAY = DEMO_AT.date().isoformat()
"""The last day of the demo: a window ``to`` it leaves out the DPO's own searches."""


@pytest.fixture
def dpo(tmp_path: Path) -> Any:
    with demo(tmp_path, checkpoint_every=1) as found:
        found.sign_in("demo-dpo")
        yield found


def api_rows(d: Demo, **params: Any) -> list[dict[str, Any]]:
    """Every entry ``GET /dpo/disclosures`` gives for these filters, newest first."""
    d.settle()
    answer = d.client.get(
        "/dpo/disclosures", params={"limit": 500, **params}, headers=d.bearer("dpo")
    )
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    assert answer.json()["next_cursor"] is None
    return items


def person_with_most(d: Demo) -> UUID:
    """The person the most demo disclosures are about."""
    counts: dict[str, int] = {}
    for item in api_rows(d, to=f"{DAY}T23:59:59Z"):
        for ref in item["subjects"]:
            counts[ref] = counts.get(ref, 0) + 1
    return UUID(max(counts, key=lambda ref: counts[ref]))


# ------------------------------------------------------------------------- the log


def test_the_log_by_person_shows_who_saw_them_and_the_search_is_recorded(dpo: Demo) -> None:
    person = person_with_most(dpo)
    expected = api_rows(dpo, subject=str(person), to=f"{DAY}T23:59:59Z")
    assert len(expected) >= 2
    before = len(dpo.accesses())

    answer = dpo.client.get("/app/dpo/disclosures", params={"person": str(person), "to": DAY})
    assert answer.status_code == 200, answer.text
    rows = table(answer.text, "disclosures")
    assert [r[1].split()[0] for r in rows] == [e["actor_id"] for e in expected]
    assert all(str(person) in r[4] for r in rows)

    recorded = dpo.accesses()[before:]
    assert [(a.view, tuple(a.subjects), a.actor.user_id) for a in recorded] == [
        ("dpo.disclosures", (person,), "demo-dpo")
    ]
    assert recorded[0].purpose is AccessPurpose.DATA_PROTECTION


def test_filters_by_case_actor_and_time_window(dpo: Demo) -> None:
    case = dpo.cases[0]
    by_case = dpo.client.get("/app/dpo/disclosures", params={"case": case.reference, "to": DAY})
    rows = table(by_case.text, "disclosures")
    assert rows
    assert all(r[3].startswith(case.reference) for r in rows)
    assert len(rows) == len(api_rows(dpo, case=case.reference, to=f"{DAY}T23:59:59Z"))
    shared = [r for r in rows if r[2].startswith("Shared with")]
    assert shared
    for row in shared:  # in the words the share form offers, not their codes
        assert "Lawful basis: Public task (UK GDPR Article 6(1)(e))" in row[5]
        assert "Gateway: Crime and Disorder Act 1998, section 115" in row[5]

    by_actor = dpo.client.get(
        "/app/dpo/disclosures", params={"actor": "demo-police-officer", "to": DAY}
    )
    rows = table(by_actor.text, "disclosures")
    assert rows
    assert all(r[1].startswith("demo-police-officer") for r in rows)
    assert all("Staffordshire Police" in r[1] for r in rows)  # the register's name

    later = (DEMO_AT.date() + timedelta(days=5)).isoformat()
    none = dpo.client.get("/app/dpo/disclosures", params={"from": later, "to": later})
    assert none.status_code == 200
    assert "No disclosures match this search" in none.text


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"person": "not-a-reference"}, "person", "Enter a person reference"),
        ({"case": "ASB-1999-000001"}, "case", "No case has this reference"),
        ({"case": "nonsense"}, "case", "Enter a case reference"),
        ({"from": "2026-02-30"}, "from", "Enter a real date"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "to", "The last day must be"),
    ],
)
def test_a_filter_that_is_wrong_is_named_in_an_error_summary(
    dpo: Demo, params: dict[str, str], field: str, words: str
) -> None:
    answer = dpo.client.get("/app/dpo/disclosures", params=params)
    assert answer.status_code == 422
    assert "There is a problem" in answer.text
    assert f'href="#{field}"' in answer.text
    assert words in answer.text
    assert f'aria-describedby="{field}-hint {field}-error"' in answer.text


def test_the_log_is_paged_by_cursor_with_nothing_missed_or_repeated(
    dpo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = table(dpo.client.get(f"/app/dpo/disclosures?to={DAY}").text, "disclosures")
    assert len(whole) == len(api_rows(dpo, to=f"{DAY}T23:59:59Z")) > 4
    assert not links(dpo.client.get(f"/app/dpo/disclosures?to={DAY}").text, r"cursor=")

    monkeypatch.setattr("api.web.pages.disclosures.PAGE_SIZE", 2)
    seen: list[list[str]] = []
    path: str | None = f"/app/dpo/disclosures?to={DAY}"
    while path is not None:
        answer = dpo.client.get(path)
        assert answer.status_code == 200
        rows = table(answer.text, "disclosures")
        assert 1 <= len(rows) <= 2
        seen.extend(rows)
        following = links(answer.text, r"cursor=")
        assert all(f"to={DAY}" in link for link in following)  # the filters are kept
        path = following[0] if following else None
        if seen != rows:  # past the first page, it links back to the first
            assert links(answer.text, rf"^/app/dpo/disclosures\?to={DAY}$")
    assert seen == whole


# -------------------------------------------------------------------------- CSV


def test_the_csv_has_the_apis_rows_streamed_and_is_recorded(
    dpo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("api.web.pages.disclosures.CSV_PAGE", 2)  # several pages streamed
    person = person_with_most(dpo)
    expected = api_rows(dpo, to=f"{DAY}T23:59:59Z")
    before = len(dpo.accesses())

    answer = dpo.client.get("/app/dpo/disclosures.csv", params={"to": DAY})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        'attachment; filename="disclosures-2026-03-02.csv"'
    )
    reader = csv.reader(io.StringIO(answer.text))
    header, *rows = list(reader)
    assert tuple(header) == tuple(DisclosureOut.model_fields)
    assert rows == [[cell(e[name]) for name in header] for e in expected]
    assert len(rows) > 2

    by_person = dpo.client.get("/app/dpo/disclosures.csv", params={"person": str(person)})
    assert by_person.status_code == 200
    assert all(str(person) in line for line in by_person.text.splitlines()[1:])

    recorded = [a for a in dpo.accesses()[before:]]
    assert [(r.view, tuple(r.subjects)) for r in recorded] == [
        ("dpo.disclosures.csv", ()),
        ("dpo.disclosures.csv", (person,)),
    ]
    # the page offers the download with the same filters
    page = dpo.client.get("/app/dpo/disclosures", params={"person": str(person), "to": DAY})
    assert links(page.text, r"\.csv") == [f"/app/dpo/disclosures.csv?person={person}&to={DAY}"]


def test_a_csv_cell_a_spreadsheet_would_run_is_quoted(dpo: Demo) -> None:
    """A user id from the identity provider that a spreadsheet would run as a formula."""
    settings = dpo.settings
    token = mint_token(
        settings, user='=HYPERLINK("http://x")', role=Role.AUDITOR, org="council", team=None
    )
    case = dpo.cases[0]
    headers = {"Authorization": f"Bearer {token}", "X-Request-ID": "-2-3"}
    assert dpo.client.get(f"/cases/{case.id}", headers=headers).status_code == 200
    dpo.settle()
    answer = dpo.client.get("/app/dpo/disclosures.csv", params={"actor": '=HYPERLINK("http://x")'})
    (row,) = list(csv.DictReader(io.StringIO(answer.text)))
    assert row["actor_id"] == '\'=HYPERLINK("http://x")'
    assert row["request_id"] == "'-2-3"
    assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())


# ------------------------------------------------------------------------ requests


def _record(d: Demo, **fields: Any) -> Any:
    token = d.csrf("/app/dpo/sars/new")
    data = {"csrf_token": token, "requester": "data_subject", "asks_for": ["records"], **fields}
    return d.client.post("/app/dpo/sars", data=data, follow_redirects=False)


def test_a_request_recorded_by_the_form_is_shown_with_its_clock(dpo: Demo) -> None:
    person = dpo.cases[0].complainant_ref
    today = dpo.clock().date()
    made = _record(
        dpo,
        person_ref=str(person),
        received_on=(today - timedelta(days=3)).isoformat(),
        identity_checked_on=(today - timedelta(days=2)).isoformat(),
    )
    assert made.status_code == 303, made.text
    location = made.headers["location"]
    shown = dpo.client.get(location)
    assert shown.status_code == 200
    assert "The request is recorded" in shown.text
    history = table(shown.text, "history")
    assert [(r[0], r[1], r[3]) for r in history] == [("1", "Request received", "demo-dpo")]
    sar_id = UUID(location.split("/")[-1].split("?")[0])
    sar = dpo.ledger.sars.get(sar_id)
    assert sar is not None
    assert sar.person_ref == person
    due = sar.due()
    assert due is not None
    assert f"{(due - today).days} days left" in shown.text


@pytest.mark.parametrize(
    ("fields", "words", "field"),
    [
        ({"person_ref": ""}, "Enter person ref", "person_ref"),
        (
            {"person_ref": "00000000-0000-0000-0000-000000000001"},
            "That person is not on the register",
            None,
        ),
        ({"received_on": "2027-01-01"}, "The date is not valid for the request", None),
    ],
)
def test_a_request_the_rules_refuse_is_shown_with_the_form(
    dpo: Demo, fields: dict[str, str], words: str, field: str | None
) -> None:
    person = str(dpo.cases[0].complainant_ref)
    answer = _record(dpo, **{"person_ref": person, "received_on": "2026-03-01", **fields})
    assert answer.status_code == 422, answer.text
    assert "There is a problem" in answer.text
    assert words in answer.text
    if field:
        assert f'href="#{field}"' in answer.text
    assert not dpo.ledger.sars.all()


def test_the_queue_puts_the_overdue_first_then_by_due_date(dpo: Demo) -> None:
    today = dpo.clock().date()
    person = str(dpo.cases[0].complainant_ref)

    def received(days: int, checked: bool = True) -> None:
        on = (today - timedelta(days=days)).isoformat()
        extra = {"identity_checked_on": on} if checked else {}
        assert _record(dpo, person_ref=person, received_on=on, **extra).status_code == 303

    received(10)
    received(45)  # overdue
    received(20)
    received(5, checked=False)  # awaiting identity
    answer = dpo.client.get("/app/dpo/sars")
    rows = table(answer.text, "sars")
    received_days = [r[0].split(" By")[0] for r in rows]
    expected = [_uk(today - timedelta(days=d)) for d in (45, 20, 10, 5)]
    assert received_days == expected
    assert [r[1] for r in rows] == ["Overdue", "Open", "Open", "Awaiting identity"]
    overdue = next(s for s in dpo.ledger.sars.all() if s.received_on == today - timedelta(days=45))
    due = overdue.due()
    assert due is not None
    late = working_days_late(due, today)
    assert rows[0][3] == f"{late} working day{'s' if late != 1 else ''} overdue"
    assert rows[1][3].endswith("days left")


def _uk(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def test_an_issued_response_is_downloaded_through_the_apis_code(dpo: Demo) -> None:
    person = str(dpo.cases[0].complainant_ref)
    today = dpo.clock().date().isoformat()
    made = _record(dpo, person_ref=person, received_on=today, identity_checked_on=today)
    sar_id = made.headers["location"].split("/")[-1].split("?")[0]
    dpo.settle()
    issued = dpo.client.post(f"/dpo/sars/{sar_id}/issue", headers=dpo.bearer("dpo"))
    assert issued.status_code == 201, issued.text
    folder = Path(issued.json()["folder"])

    shown = dpo.client.get(f"/app/dpo/sars/{sar_id}")
    assert [r[1] for r in table(shown.text, "history")][-1] == "Response issued"
    assert links(shown.text, r"/report$|/bundle$") == [
        f"/app/dpo/sars/{sar_id}/report",
        f"/app/dpo/sars/{sar_id}/bundle",
    ]
    before = len(dpo.accesses())
    report = dpo.client.get(f"/app/dpo/sars/{sar_id}/report")
    assert report.status_code == 200
    assert report.headers["content-disposition"].startswith("attachment;")
    assert report.content == (folder / "report.html").read_bytes()
    [recorded] = [a for a in dpo.accesses()[before:]]
    assert (recorded.view, recorded.subjects[0]) == ("dpo.sar.report", UUID(person))

    bundle = dpo.client.get(f"/app/dpo/sars/{sar_id}/bundle")
    assert bundle.headers["content-disposition"].startswith("attachment;")
    downloaded = folder.parent / "downloaded"
    downloaded.mkdir()
    (downloaded / "report.html").write_bytes(report.content)
    (downloaded / "bundle.json").write_bytes(bundle.content)
    key = dpo.settings.data_dir / "notary.pub"
    said = io.StringIO()
    assert verify_offline(downloaded / "bundle.json", key, out=said, err=io.StringIO()) == 0
    assert said.getvalue() == "intact\n"


# -------------------------------------------------------------------------- alerts


def _break_glass(d: Demo) -> str:
    case = d.cases[0]
    outsider = d.bearer("supervisor", user="sv-south", team="south")
    body = {"reason": "safeguarding_emergency", "rationale": "Police called out of hours."}
    granted = d.client.post(f"/cases/{case.id}/break-glass", json=body, headers=outsider)
    assert granted.status_code == 201, granted.text
    assert d.client.get(f"/cases/{case.id}", headers=outsider).status_code == 200
    d.settle()
    grant: str = granted.json()["grant_id"]
    return grant


def test_an_alert_is_reviewed_and_closed_and_the_review_recorded(dpo: Demo) -> None:
    grant = _break_glass(dpo)
    queue = dpo.client.get("/app/dpo/alerts")
    [row] = table(queue.text, "alerts")
    assert (row[0], row[1], row[4], row[5]) == (
        dpo.cases[0].reference,
        "sv-south south",
        "1",
        "Awaiting review",
    )

    before = len(dpo.accesses())
    detail = dpo.client.get(f"/app/dpo/alerts/{grant}")
    assert "Police called out of hours." in detail.text
    [read] = [a for a in dpo.accesses()[before:]]
    assert (read.view, read.case_id) == ("dpo.alert", dpo.cases[0].id)

    token = dpo.csrf(f"/app/dpo/alerts/{grant}")
    closed = dpo.client.post(
        f"/app/dpo/alerts/{grant}/close",
        data={"csrf_token": token, "outcome": "justified", "follow_up": "advice_given"},
    )
    assert closed.status_code == 200, closed.text
    assert "The alert is closed and your review recorded" in closed.text
    assert "Closed: Justified" in closed.text
    held = dpo.ledger.break_glass.get(UUID(grant))
    assert held is not None
    assert held.outcome is not None
    assert (held.outcome.value, held.reviewer and held.reviewer.user_id) == (
        "justified",
        "demo-dpo",
    )
    dpo.settle()
    assert "No alert awaits review" in dpo.client.get("/app/dpo/alerts").text

    again = dpo.client.post(
        f"/app/dpo/alerts/{grant}/close", data={"csrf_token": token, "outcome": "escalated"}
    )
    assert again.status_code == 409
    assert "break_glass.alert_closed" in again.text


def test_a_review_without_a_decision_or_its_form_token_is_refused(dpo: Demo) -> None:
    grant = _break_glass(dpo)
    token = dpo.csrf(f"/app/dpo/alerts/{grant}")
    blank = dpo.client.post(f"/app/dpo/alerts/{grant}/close", data={"csrf_token": token})
    assert blank.status_code == 422
    assert 'href="#outcome"' in blank.text
    forged = dpo.client.post(f"/app/dpo/alerts/{grant}/close", data={"outcome": "justified"})
    assert forged.status_code == 403
    assert "This form has expired" in forged.text
    held = dpo.ledger.break_glass.get(UUID(grant))
    assert held is not None
    assert held.outcome is None


def test_an_auditor_reads_the_dpo_pages_but_may_not_act(dpo: Demo) -> None:
    grant = _break_glass(dpo)
    dpo.sign_in("demo-auditor")
    assert dpo.client.get("/app/dpo/disclosures").status_code == 200
    assert dpo.client.get("/app/dpo/sars").status_code == 200
    assert "Record a request" not in dpo.client.get("/app/dpo/sars").text
    detail = dpo.client.get(f"/app/dpo/alerts/{grant}")
    assert detail.status_code == 200
    assert "Close the alert" not in detail.text
    token = dpo.csrf(f"/app/dpo/alerts/{grant}")
    refused = dpo.client.post(
        f"/app/dpo/alerts/{grant}/close", data={"csrf_token": token, "outcome": "justified"}
    )
    assert refused.status_code == 403
    assert dpo.client.get("/app/dpo/sars/new").status_code == 403


@pytest.mark.parametrize(
    "path", ["/app/dpo/disclosures", "/app/dpo/disclosures.csv", "/app/dpo/sars", "/app/dpo/alerts"]
)
def test_a_caseworker_is_refused_the_dpo_pages_and_the_refusal_recorded(
    dpo: Demo, path: str
) -> None:
    dpo.sign_in("demo-caseworker")
    before = len(dpo.accesses())
    answer = dpo.client.get(path)
    assert answer.status_code == 403
    assert "You cannot see or do this" in answer.text
    [refusal] = [a for a in dpo.accesses()[before:]]
    assert (refusal.actor.user_id, refusal.outcome.value) == ("demo-caseworker", "denied")
