"""``asb-ledger export`` on both stores, checked by the offline verifier: a bundle verifies
against the notary's public key and any earlier checkpoint; export refuses what would hide a
problem; a bundle holds ciphertext and digests, never plaintext."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner, Result

from api.cli.app import app
from ledger.application import CaseLedger
from ledger.checkpoint import VerifierKey
from projections import ViewRunner, open_view_store
from projections.notary import Notary, notary_settings
from replay.bundle import parse_bundle
from replay.offline import verify_bundle
from tests.integration.test_tamper import EVENTS, RawEvents, build_case

LEAVES = EVENTS + 1
"""What the log holds of one case: its events and its reference."""


@pytest.fixture(autouse=True)
def notary_key(ledger: CaseLedger) -> None:
    """The service made the notary's key on its first run (export never makes one)."""
    notary_settings(ledger.settings)


def cli(ledger: CaseLedger, *args: str) -> Result:
    settings = ledger.settings
    assert settings.database_url is not None
    env = {
        "ASB_DATA_DIR": str(settings.data_dir),
        "ASB_DATABASE_URL": settings.database_url,
        "ASB_LOG_FORMAT": "json",
    }
    return CliRunner().invoke(app, list(args), env=env)


def key_of(ledger: CaseLedger) -> VerifierKey:
    return VerifierKey.parse((ledger.settings.data_dir / "notary.pub").read_text())


def exported(ledger: CaseLedger, path: Path, *args: str) -> dict[str, Any]:
    done = cli(ledger, "export", *args, "-o", str(path))
    assert done.exit_code == 0, done.output
    assert done.stdout == ""
    return dict(json.loads(path.read_text()))


def test_a_case_exported_verifies_offline_and_holds_no_plaintext(
    ledger: CaseLedger, tmp_path: Path
) -> None:
    other = build_case(ledger)
    case_id = build_case(ledger)
    out = tmp_path / "case.json"
    document = exported(ledger, out, "--case", str(case_id))

    assert [c["case_id"] for c in document["cases"]] == [str(case_id)]
    events = document["cases"][0]["events"]
    assert [e["commitment"]["version"] for e in events] == list(range(1, EVENTS + 1))
    assert all(e["ciphertexts"] for e in events[:2])  # the complaint, the victim's name
    text = out.read_text()
    assert "Vic Tim" not in text
    assert str(other) not in text

    bundle = parse_bundle(text)
    result = verify_bundle(bundle, key_of(ledger), None)
    assert result.intact, result
    done = cli(
        ledger,
        "verify",
        "--bundle",
        str(out),
        "--key",
        str(ledger.settings.data_dir / "notary.pub"),
    )
    assert (done.exit_code, done.stdout) == (0, "intact\n"), done.output


def test_everything_exported_extends_an_earlier_checkpoint(
    ledger: CaseLedger, tmp_path: Path
) -> None:
    build_case(ledger)
    first = exported(ledger, tmp_path / "first.json", "--all")
    pinned = tmp_path / "pinned.checkpoint"
    pinned.write_text(first["checkpoint"])
    build_case(ledger)
    build_case(ledger)
    later = tmp_path / "later.json"
    document = exported(ledger, later, "--all")
    assert len(document["cases"]) == 3
    assert [p["from_size"] for p in document["consistency"]] == [LEAVES]

    key = str(ledger.settings.data_dir / "notary.pub")
    done = cli(ledger, "verify", "--bundle", str(later), "--key", key, "--since", str(pinned))
    assert (done.exit_code, done.stdout) == (0, "intact\n"), done.output
    backwards = cli(
        ledger,
        "verify",
        "--bundle",
        str(tmp_path / "first.json"),
        "--key",
        key,
        "--since",
        str(tmp_path / "later.checkpoint"),
    )
    assert backwards.exit_code == 2  # no such file: bad usage
    (tmp_path / "later.checkpoint").write_text(document["checkpoint"])
    rolled = cli(
        ledger,
        "verify",
        "--bundle",
        str(tmp_path / "first.json"),
        "--key",
        key,
        "--since",
        str(tmp_path / "later.checkpoint"),
    )
    assert rolled.exit_code == 1, rolled.output
    assert rolled.stdout.startswith("FAILED checkpoint: "), rolled.output


def test_a_bundle_edited_after_export_names_the_event(ledger: CaseLedger, tmp_path: Path) -> None:
    case_id = build_case(ledger)
    out = tmp_path / "case.json"
    document = exported(ledger, out, "--case", str(case_id))
    document["cases"][0]["events"][2]["commitment"]["fields"]["criminal"] = False
    out.write_text(json.dumps(document))
    done = cli(
        ledger,
        "verify",
        "--bundle",
        str(out),
        "--key",
        str(ledger.settings.data_dir / "notary.pub"),
    )
    assert done.exit_code == 1, done.output
    assert done.stdout.startswith(f"FAILED case {case_id} version 3: "), done.output


def test_export_refuses_a_case_the_store_cut_short(ledger: CaseLedger, tmp_path: Path) -> None:
    case_id = build_case(ledger)
    exported(ledger, tmp_path / "before.json", "--case", str(case_id))  # the notary logs it all
    RawEvents(ledger).delete(case_id, EVENTS)
    out = tmp_path / "after.json"
    done = cli(ledger, "export", "--case", str(case_id), "-o", str(out))
    assert done.exit_code == 1, done.output
    assert done.stdout.strip() == (
        f"FAILED case {case_id} version {EVENTS}:"
        " logged in the Merkle log but missing from the store"
    )
    assert not out.exists()


def test_export_refuses_an_event_no_checkpoint_covers(ledger: CaseLedger, tmp_path: Path) -> None:
    """Without the signing key here (the notary runs elsewhere), only what it signed goes out."""
    case_id = build_case(ledger)
    exported(ledger, tmp_path / "first.json", "--case", str(case_id))
    key = ledger.settings.data_dir / "notary.key"
    key.rename(tmp_path / "kept-elsewhere.key")
    later = build_case(ledger)
    done = cli(ledger, "export", "--case", str(later), "-o", str(tmp_path / "x.json"))
    assert done.exit_code == 1, done.output
    assert done.stdout.startswith(f"FAILED case {later} version 1: not yet covered"), done.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--case", str(UUID(int=7))], "no case"),
        ([], "exactly one of"),
        (["--all", "--case", "x"], "exactly one of"),
    ],
)
def test_bad_usage_is_exit_2(
    ledger: CaseLedger, tmp_path: Path, args: list[str], message: str
) -> None:
    build_case(ledger)
    out = tmp_path / "x.json"
    done = cli(ledger, "export", *args, "-o", str(out))
    assert done.exit_code == 2, done.output
    assert message in done.output
    assert not out.exists()


def test_the_export_signs_only_what_extends_the_log(ledger: CaseLedger, tmp_path: Path) -> None:
    build_case(ledger)
    exported(ledger, tmp_path / "a.json", "--all")
    store = open_view_store(ledger.store_config)
    try:
        notary = Notary(store)
        sizes = [c.size for c in notary.checkpoints()]
        assert sizes == [LEAVES]
        with pytest.raises(RuntimeError, match="no signing key"):
            ViewRunner(ledger, [notary])
    finally:
        store.close()


def test_the_checkpoint_command_prints_the_signed_note_to_pin(
    ledger: CaseLedger, tmp_path: Path
) -> None:
    none = cli(ledger, "checkpoint")
    assert none.exit_code == 1
    assert "none is signed yet" in none.output
    build_case(ledger)
    document = exported(ledger, tmp_path / "a.json", "--all")
    printed = cli(ledger, "checkpoint")
    assert (printed.exit_code, printed.stdout) == (0, document["checkpoint"])
    at = cli(ledger, "checkpoint", "--size", str(LEAVES))
    assert (at.exit_code, at.stdout) == (0, document["checkpoint"])
    assert cli(ledger, "checkpoint", "--size", "2").exit_code == 1

    pinned = tmp_path / "pinned.checkpoint"
    pinned.write_text(printed.stdout)
    build_case(ledger)
    exported(ledger, tmp_path / "b.json", "--all")
    done = cli(ledger, "verify", "--all", "--since", str(pinned))
    assert (done.exit_code, done.stdout) == (0, "intact\n"), done.output


def test_export_never_makes_a_notary_key(ledger: CaseLedger, tmp_path: Path) -> None:
    """A stray export (say, from another data directory) must not mint a key whose first
    signature would fail against the log and alarm the service."""
    build_case(ledger)
    exported(ledger, tmp_path / "a.json", "--all")
    data = ledger.settings.data_dir
    for name in ("notary.key", "notary.pub"):
        (data / name).rename(tmp_path / f"elsewhere-{name}")
    build_case(ledger)
    done = cli(ledger, "export", "--all", "-o", str(tmp_path / "b.json"))
    assert done.exit_code == 1, done.output
    assert "not yet covered" in done.stdout
    assert not (data / "notary.key").exists()
    store = open_view_store(ledger.store_config)
    try:
        assert Notary(store).alarms() == []
    finally:
        store.close()
