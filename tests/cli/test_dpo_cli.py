"""``asb-ledger dpo disclosures``: the disclosure log as CSV, brought up to date first, the
export itself recorded as an access; bad usage exits 2 and a log that cannot catch up exits 1."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from typer.testing import CliRunner

from api.cli.app import app
from api.cli.dpo import COLUMNS
from api.spreadsheet import cell
from ledger.access import Accessed, AccessRecord
from ledger.application import CaseLedger
from ledger.enums import AccessOutcome, AccessPurpose, Agency, PersonRole, Role
from ledger.settings import Settings
from ledger.values import Actor, Recipient
from tests.builders import CASEWORKER, T0, CaseKit
from tests.cli.test_commands import run
from tests.integration.test_tamper import RawEvents

ACCESSED = "asb.access.Accessed.v1"
OFFICER = Actor(user_id="pc-7", display_name="P", role=Role.PARTNER, organisation="Police")


def env_of(settings: Settings) -> dict[str, str]:
    """The environment that points the command line at ``settings``' store."""
    assert settings.database_url is not None
    return {"ASB_DATA_DIR": str(settings.data_dir), "ASB_DATABASE_URL": settings.database_url}


@dataclass
class Ledger:
    """A store with one case: a victim, an incident against them shared with the police
    (and with an organisation whose name a spreadsheet would run), and an officer's read."""

    settings: Settings
    case_id: UUID
    reference: str
    victim: UUID
    complainant: UUID

    @property
    def env(self) -> dict[str, str]:
        return env_of(self.settings)

    def accesses(self) -> list[Accessed]:
        ledger = CaseLedger(self.settings)
        try:
            found = []
            for note in ledger.recorder.select_notifications(1, 10_000):
                if note.topic == ACCESSED:
                    event = ledger.mapper.to_domain_event(note)
                    assert isinstance(event, Accessed)
                    found.append(event)
            return found
        finally:
            ledger.close()


@pytest.fixture
def story(settings: Settings) -> Ledger:
    ledger = CaseLedger(settings)
    try:
        kit = CaseKit(ledger)
        case = kit.open()
        victim = uuid4()
        case.link_person(
            actor=CASEWORKER,
            occurred_at=T0,
            person_ref=victim,
            role=PersonRole.VICTIM,
            details=kit.details(victim),
        )
        incident = kit.incident(case, victims=(victim,))
        ledger.save_new_case(case)
        for organisation, days in (("Police", 1), ("=HYPERLINK(1)", 5)):
            case.share_information(
                **kit.share_kwargs(  # type: ignore[arg-type]
                    occurred_at=T0 + timedelta(days=days),
                    recipient=Recipient(agency=Agency.POLICE, organisation=organisation),
                    items=(f"incident:{incident}",),
                )
            )
            ledger.save_case(case)
        ledger.record_access(
            AccessRecord.record(
                occurred_at=T0 + timedelta(days=2),
                actor=OFFICER,
                request_id="req-1",
                case_id=case.id,
                case_version=case.version,
                view="case.detail",
                purpose=AccessPurpose.PARTNERSHIP,
                subjects=(victim,),
                outcome=AccessOutcome.GRANTED,
                reason=None,
            )
        )
        return Ledger(settings, case.id, case.reference, victim, kit.complainant)
    finally:
        ledger.close()


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        return list(reader)


def test_a_subjects_disclosures_as_csv_and_the_export_is_recorded(
    story: Ledger, tmp_path: Path
) -> None:
    out = tmp_path / "victim.csv"
    args = ["dpo", "disclosures", "--subject", str(story.victim), "--csv", str(out)]
    done = run(tmp_path, *args, "--actor-id", "dpo-1", **story.env)
    assert done.returncode == 0, done
    assert done.stdout == ""
    assert "3 disclosures written" in done.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    police, spreadsheet, read = rows(out)  # in the order recorded
    assert (police["kind"], police["recipient_organisation"]) == ("share", "Police")
    assert (police["purpose"], police["lawful_basis"]) == (
        "prevent_crime_and_disorder",
        "public_task",
    )
    assert police["subjects"] == str(story.victim)
    assert police["case_id"] == str(story.case_id)
    assert police["occurred_at"] == (T0 + timedelta(days=1)).isoformat()
    assert (read["kind"], read["actor_id"], read["view"], read["request_id"]) == (
        "access",
        "pc-7",
        "case.detail",
        "req-1",
    )
    assert spreadsheet["recipient_organisation"] == "'=HYPERLINK(1)"  # never run as a formula

    (record,) = [a for a in story.accesses() if a.view == "dpo.disclosures.csv"]
    assert (record.actor.user_id, record.actor.role, record.purpose) == (
        "dpo-1",
        Role.DPO,
        AccessPurpose.DATA_PROTECTION,
    )
    assert list(record.subjects) == [story.victim]
    assert record.case_id is None

    # The next export about the victim shows the first one.
    again = run(tmp_path, *args, "--actor-id", "aud-1", "--role", "auditor", **story.env)
    assert again.returncode == 0, again
    last = rows(out)[-1]
    assert (last["view"], last["actor_id"], last["purpose"]) == (
        "dpo.disclosures.csv",
        "dpo-1",
        "data_protection",
    )
    assert [a.actor.role for a in story.accesses() if a.view == "dpo.disclosures.csv"] == [
        Role.DPO,
        Role.AUDITOR,
    ]


def test_by_case_reference_actor_and_window_to_stdout(story: Ledger, tmp_path: Path) -> None:
    base = ["dpo", "disclosures", "--csv", "-", "--actor-id", "dpo-1"]
    by_case = run(tmp_path, *base, "--case", story.reference, "--to", "2026-03-05", **story.env)
    assert by_case.returncode == 0, by_case
    lines = list(csv.DictReader(by_case.stdout.splitlines()))
    assert [(r["kind"], r["occurred_at"][:10]) for r in lines] == [
        ("share", "2026-03-03"),
        ("access", "2026-03-04"),
    ]
    by_actor = run(
        tmp_path, *base, "--actor", "pc-7", "--from", "2026-03-04T09:00:00+00:00", **story.env
    )
    assert by_actor.returncode == 0, by_actor
    (only,) = list(csv.DictReader(by_actor.stdout.splitlines()))
    assert only["request_id"] == "req-1"


@pytest.mark.parametrize(
    "args",
    [
        ["--actor-id", "dpo-1"],  # no --csv
        ["--csv", "out.csv"],  # no --actor-id
        ["--csv", "out.csv", "--actor-id", "dpo-1", "--subject", "someone"],
        ["--csv", "out.csv", "--actor-id", "dpo-1", "--from", "2026-03-02T09:00:00"],
        ["--csv", "out.csv", "--actor-id", "dpo-1", "--from", "2026-03-05", "--to", "2026-03-01"],
        ["--csv", "out.csv", "--actor-id", "dpo-1", "--role", "analyst"],
        ["--csv", "out.csv", "--actor-id", " "],
        ["--csv", "nowhere/out.csv", "--actor-id", "dpo-1"],
        ["--csv", "out.csv", "--actor-id", "dpo-1", "--case", "ASB-1999-000001"],
    ],
    ids=[
        "no-csv",
        "no-actor-id",
        "bad-subject",
        "naive-time",
        "from-after-to",
        "not-a-reader",
        "blank-actor",
        "no-directory",
        "unknown-case",
    ],
)
@pytest.mark.parametrize("store", ["sqlite"])  # refused before the store is opened
def test_bad_usage_exits_2_writes_nothing_and_records_nothing(
    story: Ledger, tmp_path: Path, args: list[str]
) -> None:
    before = len(story.accesses())
    done = run(tmp_path, "dpo", "disclosures", *args, **story.env)
    assert done.returncode == 2, done
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out.csv").exists()
    assert len(story.accesses()) == before


def test_no_store_is_bad_usage(tmp_path: Path) -> None:
    done = run(tmp_path, "dpo", "disclosures", "--csv", "out.csv", "--actor-id", "dpo-1")
    assert done.returncode == 2, done
    assert "nothing to check" in done.stderr or "no ledger" in done.stderr
    assert not (tmp_path / "var").exists()
    assert not (tmp_path / "out.csv").exists()


def test_a_log_that_cannot_catch_up_exports_nothing(story: Ledger, tmp_path: Path) -> None:
    ledger = CaseLedger(story.settings)
    try:
        raw = RawEvents(ledger)
        topic, state = raw.row(story.case_id, 4)
        assert topic == "asb.case.InformationShared.v1"
        doc = json.loads(state)
        doc["smuggled"] = "a field the event does not have"
        raw.set_state(story.case_id, 4, json.dumps(doc).encode())
    finally:
        ledger.close()
    before = len(story.accesses())
    out = tmp_path / "out.csv"
    done = run(tmp_path, "dpo", "disclosures", "--csv", str(out), "--actor-id", "d", **story.env)
    assert done.returncode == 1, done
    assert "stopped at position" in done.stderr
    assert "nothing exported" in done.stderr
    assert not out.exists()
    assert len(story.accesses()) == before


def test_an_export_that_cannot_be_recorded_writes_nothing(
    story: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: CaseLedger, record: AccessRecord) -> int:
        raise OSError("the store refused")

    for name, value in story.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(CaseLedger, "record_access", refuse)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        app, ["dpo", "disclosures", "--csv", str(out), "--actor-id", "dpo-1"]
    )
    assert result.exit_code == 1, result.output
    assert "could not be recorded" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("=1+1", "'=1+1"),
        ("+44", "'+44"),
        ("-x", "'-x"),
        ("@SUM", "'@SUM"),
        ("Police", "Police"),
        ((UUID(int=1), UUID(int=2)), f"{UUID(int=1)} {UUID(int=2)}"),
        (T0, "2026-03-02T09:00:00+00:00"),
        (7, "7"),
    ],
)
def test_cells(value: object, text: str) -> None:
    assert cell(value) == text


@pytest.mark.parametrize("command", [["dpo"], ["dpo", "disclosures"]])
def test_help(tmp_path: Path, command: list[str]) -> None:
    done = run(tmp_path, *command, "--help")
    assert done.returncode == 0, done
    assert "Usage" in done.stdout
    assert "disclosures" in done.stdout
