"""The auditor's pages without a browser, on the demo: a case found by reference, replayed as
of a version and a moment (the state then, as the API replays it), two versions compared,
checked (intact, and a case altered behind the ledger's back named at its first bad
version, as ``asb-ledger verify --case`` names it), and exported as a bundle the offline
verifier accepts; each read recorded; everyone but auditors refused."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from ledger.enums import AccessPurpose
from replay.offline import run as verify_offline
from tests.cli.test_commands import run as asb
from tests.integration.test_tamper import RawEvents
from tests.web.demo_app import Demo, demo, links, table


@pytest.fixture
def auditor(tmp_path: Path) -> Any:
    with demo(tmp_path / "data") as found:
        found.sign_in("demo-auditor")
        yield found


def api_case(d: Demo, case_id: Any, **params: Any) -> dict[str, Any]:
    answer = d.client.get(f"/cases/{case_id}", params=params, headers=d.bearer("auditor"))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_a_case_is_found_by_its_reference(auditor: Demo) -> None:
    case = auditor.cases[0]
    home = auditor.client.get("/app/audit")
    assert case.reference in [r[0] for r in table(home.text, "recent")]
    found = auditor.client.get(
        "/app/audit", params={"case": case.reference}, follow_redirects=False
    )
    assert (found.status_code, found.headers["location"]) == (303, f"/app/audit/cases/{case.id}")
    for given, words in (
        ("ASB-1999-000001", "No case has this reference"),
        ("nonsense", "Enter a case reference"),
    ):
        missing = auditor.client.get("/app/audit", params={"case": given})
        assert missing.status_code == 422
        assert words in missing.text
        assert 'href="#case"' in missing.text


def test_replay_as_of_a_version_shows_the_state_then_and_is_recorded(auditor: Demo) -> None:
    case = auditor.cases[0]
    now = api_case(auditor, case.id)
    assert now["incidents"]
    then = api_case(auditor, case.id, as_of_version=2)
    assert not then["incidents"]
    before = len(auditor.accesses())

    current = auditor.client.get(f"/app/audit/cases/{case.id}")
    assert f"{case.reference} at version {case.version}</h1>" in current.text
    assert len(table(current.text, "incidents")) == len(now["incidents"])

    old = auditor.client.get(f"/app/audit/cases/{case.id}", params={"as_of_version": 2})
    assert old.status_code == 200
    assert f"{case.reference} at version 2</h1>" in old.text
    assert f"As it stood at version 2 of {case.version}" in old.text
    assert table(old.text, "incidents") == []
    assert [r[1] for r in table(old.text, "people")] == [
        ", ".join(role.replace("_", " ").capitalize() for role in p["roles"])
        for p in then["people"]
    ]
    assert links(old.text, r"as_of_version=(1|3)$") == [
        f"/app/audit/cases/{case.id}?as_of_version=1",
        f"/app/audit/cases/{case.id}?as_of_version=3",
    ]

    recorded = auditor.accesses()[before:]
    assert [(a.view, a.case_version, a.actor.user_id) for a in recorded] == [
        ("case.as_of", case.version, "demo-auditor"),
        ("case.as_of", 2, "demo-auditor"),
    ]
    assert recorded[0].purpose is AccessPurpose.AUDIT
    assert set(recorded[1].subjects) == {UUID(p["person_ref"]) for p in then["people"]}


def test_replay_as_of_a_moment_matches_the_apis(auditor: Demo) -> None:
    case = auditor.cases[0]
    moment = "2026-02-01T12:00"
    expected = api_case(auditor, case.id, as_of="2026-02-01T12:00:00Z", time="occurred")
    assert 1 < expected["as_of"]["version"] < case.version
    shown = auditor.client.get(
        f"/app/audit/cases/{case.id}", params={"as_of": moment, "time": "occurred"}
    )
    assert shown.status_code == 200
    assert f"at version {expected['as_of']['version']}</h1>" in shown.text
    assert "had happened by 1 February 2026, 12:00pm" in shown.text
    assert len(table(shown.text, "incidents")) == len(expected["incidents"])


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"as_of_version": 999}, "as_of_version", "has no version 999"),
        ({"as_of": "2020-01-01T00:00", "time": "occurred"}, "as_of", "did not exist then"),
        ({"as_of": "yesterday"}, "as_of", "Enter a real date and time"),
    ],
)
def test_a_replay_the_case_never_had_is_named(
    auditor: Demo, params: dict[str, Any], field: str, words: str
) -> None:
    case = auditor.cases[0]
    answer = auditor.client.get(f"/app/audit/cases/{case.id}", params=params)
    assert answer.status_code == 422
    assert f'href="#{field}"' in answer.text
    assert words in answer.text
    assert 'id="case-state"' not in answer.text


def test_the_difference_between_two_versions_lists_the_changed_fields(auditor: Demo) -> None:
    case = auditor.cases[0]
    api = auditor.client.get(
        f"/cases/{case.id}/diff", params={"from": 2, "to": 5}, headers=auditor.bearer("auditor")
    ).json()
    assert api["changes"]
    before = len(auditor.accesses())
    page = auditor.client.get(f"/app/audit/cases/{case.id}/diff", params={"from": 2, "to": 5})
    assert page.status_code == 200
    rows = table(page.text, "changes")
    assert [(r[0], r[1]) for r in rows] == [
        (c["path"], c["op"].capitalize()) for c in api["changes"]
    ]
    assert f"{len(rows)} fields changed" in page.text
    [recorded] = auditor.accesses()[before:]
    assert (recorded.view, recorded.case_version) == ("case.diff", 5)

    backwards = auditor.client.get(f"/app/audit/cases/{case.id}/diff", params={"from": 5, "to": 2})
    assert backwards.status_code == 422
    assert 'href="#from"' in backwards.text


def _verify(d: Demo, case_id: Any) -> str:
    token = d.csrf(f"/app/audit/cases/{case_id}")
    answer = d.client.post(f"/app/audit/cases/{case_id}/verify", data={"csrf_token": token})
    assert answer.status_code == 200, answer.text
    text: str = answer.text
    return text


def test_a_case_checks_intact_as_the_command_line_says(auditor: Demo, tmp_path: Path) -> None:
    case = auditor.cases[0]
    text = _verify(auditor, case.id)
    assert '<h1 class="govuk-panel__title">Intact</h1>' in text
    assert f"{case.version} stored events checked" in text
    said = asb(tmp_path, "verify", "--case", case.reference, ASB_DATA_DIR=str(tmp_path / "data"))
    assert (said.returncode, said.stdout) == (0, "intact\n")
    forged = auditor.client.post(f"/app/audit/cases/{case.id}/verify", data={})
    assert forged.status_code == 403


def test_a_case_altered_behind_the_ledgers_back_is_named_at_its_first_bad_version(
    auditor: Demo, tmp_path: Path
) -> None:
    case, bystander = auditor.cases[1], auditor.cases[0]
    raw = RawEvents(auditor.ledger)
    version, state = next(
        (v, s) for v, _, s in raw.rows(case.id) if v >= 2 and b'"demo-caseworker"' in s
    )
    raw.set_state(case.id, version, state.replace(b'"demo-caseworker"', b'"demo-caseworkex"', 1))

    replay = auditor.client.get(f"/app/audit/cases/{case.id}")
    assert replay.status_code == 500
    assert "The stored records of this case fail their integrity check" in replay.text
    assert f"FAILED case {case.id} version {version}" in replay.text
    assert f'action="/app/audit/cases/{case.id}/verify"' in replay.text  # still checkable

    text = _verify(auditor, case.id)
    assert "Not intact" in text
    said = asb(tmp_path, "verify", "--case", case.reference, ASB_DATA_DIR=str(tmp_path / "data"))
    assert said.returncode == 1
    assert said.stdout.startswith(f"FAILED case {case.id} version {version}: ")
    assert said.stdout.strip() in re.sub(r"\s+", " ", text)
    assert "Intact" in _verify(auditor, bystander.id)

    # its bundle carries the altered event as stored: the offline verifier names it too
    exported = auditor.client.get(f"/app/audit/cases/{case.id}/export")
    assert exported.status_code == 200
    (tmp_path / "altered.json").write_bytes(exported.content)
    out = io.StringIO()
    key = tmp_path / "data" / "notary.pub"
    assert verify_offline(tmp_path / "altered.json", key, out=out, err=io.StringIO()) == 1
    assert out.getvalue().startswith(f"FAILED case {case.id} version {version}")


def test_the_export_downloads_a_bundle_the_offline_verifier_accepts(
    auditor: Demo, tmp_path: Path
) -> None:
    case = auditor.cases[0]
    before = len(auditor.accesses())
    answer = auditor.client.get(f"/app/audit/cases/{case.id}/export")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="{case.reference}-bundle.json"'
    )
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(answer.content)
    said = io.StringIO()
    key = tmp_path / "data" / "notary.pub"
    assert verify_offline(bundle, key, out=said, err=io.StringIO()) == 0
    assert said.getvalue() == "intact\n"
    [exported] = json.loads(answer.content)["cases"]
    assert len(exported["events"]) == case.version
    [recorded] = auditor.accesses()[before:]
    assert (recorded.view, recorded.case_id, recorded.case_version) == (
        "case.export",
        case.id,
        case.version,
    )

    # the same events as `asb-ledger export --case` writes
    done = asb(
        tmp_path,
        "export",
        "--case",
        case.reference,
        "-o",
        "cli.json",
        ASB_DATA_DIR=str(tmp_path / "data"),
    )
    assert done.returncode == 0, done.stderr
    [cli] = json.loads((tmp_path / "cli.json").read_text())["cases"]
    assert [e["event_hash"] for e in cli["events"]] == [e["event_hash"] for e in exported["events"]]


def test_an_export_that_would_hide_a_removed_event_is_refused_naming_it(auditor: Demo) -> None:
    case = auditor.cases[2]
    RawEvents(auditor.ledger).delete(case.id, case.version)
    before = len(auditor.accesses())
    refused = auditor.client.get(f"/app/audit/cases/{case.id}/export")
    assert refused.status_code == 409
    assert "The bundle was not exported" in refused.text
    assert f"FAILED case {case.id} version {case.version}: logged in the Merkle log" in (
        re.sub(r"\s+", " ", refused.text)
    )
    assert auditor.accesses()[before:] == []  # nothing was sent


@pytest.mark.parametrize("user", ["demo-caseworker", "demo-dpo", "demo-police-officer"])
def test_only_auditors_use_the_audit_pages(auditor: Demo, user: str) -> None:
    case = auditor.cases[0]
    auditor.sign_in(user)
    for path in (
        "/app/audit",
        f"/app/audit/cases/{case.id}",
        f"/app/audit/cases/{case.id}/diff?from=1",
        f"/app/audit/cases/{case.id}/export",
    ):
        before = len(auditor.accesses())
        answer = auditor.client.get(path)
        assert answer.status_code == 403, path
        assert "You cannot see or do this" in answer.text
        [refusal] = auditor.accesses()[before:]
        assert refusal.outcome.value == "denied"
