"""``asb-ledger dpo sar``: a subject access request from the command line, from receipt to a
response that ``asb-ledger verify --bundle`` checks offline; a rule's refusal exits 1 and bad
usage exits 2. On both stores, against the demo's cases (made by the real commands)."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.application import CaseLedger
from ledger.settings import Settings
from tests.cli.test_commands import run


def _env(settings: Settings) -> dict[str, str]:
    assert settings.database_url is not None
    return {"ASB_DATA_DIR": str(settings.data_dir), "ASB_DATABASE_URL": settings.database_url}


def _complainant(settings: Settings) -> str:
    ledger = CaseLedger(settings)
    try:
        case = ledger.get_case(next(ledger.case_ids()))
        return str(next(iter(case.persons)))
    finally:
        ledger.close()


def test_a_request_from_receipt_to_a_verified_response(settings: Settings, tmp_path: Path) -> None:
    env = _env(settings)
    assert run(tmp_path, "demo", **env).returncode == 0
    person = _complainant(settings)
    who = ("--actor-id", "dpo-1")
    opened = run(
        tmp_path,
        "dpo",
        "sar",
        "open",
        "--person",
        person,
        "--received",
        "2026-03-02",
        *who,
        "--now",
        "2026-03-02T10:00:00+00:00",
        **env,
    )
    assert opened.returncode == 0, opened.stderr
    sar = json.loads(opened.stdout)
    assert (sar["status"], sar["due_on"]) == ("awaiting_identity", None)
    sar_id = sar["sar_id"]

    late = run(
        tmp_path,
        "dpo",
        "sar",
        "extend",
        sar_id,
        "--months",
        "1",
        "--reason",
        "complex",
        *who,
        **env,
    )
    assert late.returncode == 1
    assert "sar.clock" in late.stderr
    checked = run(
        tmp_path,
        "dpo",
        "sar",
        "identity",
        sar_id,
        "--on",
        "2026-03-04",
        *who,
        "--now",
        "2026-03-04T10:00:00+00:00",
        **env,
    )
    assert json.loads(checked.stdout)["due_on"] == "2026-04-07"  # 4 April is a Saturday,
    # then Easter Monday

    listed = run(tmp_path, "dpo", "sar", "list", "--now", "2026-04-08T09:00:00+00:00", **env)
    assert [s["status"] for s in json.loads(listed.stdout)] == ["overdue"]

    shown = run(tmp_path, "dpo", "sar", "show", sar_id, *who, **env)
    assert shown.returncode == 0, shown.stderr
    draft = json.loads(shown.stdout)
    assert draft["records"]
    assert draft["items"]
    withheld = next(i for i in draft["items"] if i["decision"] == "withhold")
    released = run(
        tmp_path, "dpo", "sar", "decide", sar_id, withheld["item"], "--release", *who, **env
    )
    assert released.returncode == 0, released.stderr
    assert json.loads(released.stdout)["decisions"] == 1
    both = run(tmp_path, "dpo", "sar", "decide", sar_id, "x", *who, **env)
    assert both.returncode == 2

    out = tmp_path / "response"
    issued = run(tmp_path, "dpo", "sar", "issue", sar_id, *who, "-o", str(out), **env)
    assert issued.returncode == 0, issued.stderr
    assert {p.name for p in out.iterdir()} == {"report.html", "bundle.json"}
    key = settings.data_dir / "notary.pub"
    checked_offline = run(
        tmp_path, "verify", "--bundle", str(out / "bundle.json"), "--key", str(key), **env
    )
    assert (checked_offline.returncode, checked_offline.stdout) == (0, "intact\n"), (
        checked_offline.stderr
    )
    again = run(tmp_path, "dpo", "sar", "issue", sar_id, *who, "-o", str(out), **env)
    assert again.returncode == 1
    assert "sar.closed" in again.stderr
    missing = run(tmp_path, "dpo", "sar", "show", "not-a-uuid", *who, **env)
    assert missing.returncode == 2
