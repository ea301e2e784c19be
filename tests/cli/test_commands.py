"""The asb-ledger command line as an operator drives it: help, demo, verify and exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ASB = str(Path(sys.executable).parent / "asb-ledger")


def run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASB_")}
    return subprocess.run(
        [ASB, *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("command", [[], ["demo"], ["verify"]])
def test_every_command_has_help(tmp_path: Path, command: list[str]) -> None:
    done = run(tmp_path, *command, "--help")
    assert done.returncode == 0, done
    assert "Usage" in done.stdout


def test_demo_then_verify_on_the_default_embedded_store(tmp_path: Path) -> None:
    demo = run(tmp_path, "demo")
    assert demo.returncode == 0, demo
    references = [line.split("\t")[0] for line in demo.stdout.splitlines()]
    assert len(references) == 4
    assert all(re.fullmatch(r"ASB-20\d\d-00000[1234]", ref) for ref in references), references
    store = tmp_path / "var"
    assert (store / "ledger.sqlite3").exists()
    assert (store / "master.key").stat().st_mode & 0o777 == 0o600
    assert b"FICTIONAL" not in (store / "ledger.sqlite3").read_bytes()

    verify = run(tmp_path, "verify", "--all")
    assert (verify.returncode, verify.stdout) == (0, "intact\n"), verify
    one = run(tmp_path, "verify", "--case", references[1])
    assert (one.returncode, one.stdout) == (0, "intact\n"), one

    again = run(tmp_path, "demo", "--if-empty")
    assert (again.returncode, again.stdout) == (0, ""), again


def test_the_data_directory_setting_is_honoured(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    done = run(tmp_path, "demo", ASB_DATA_DIR=str(elsewhere))
    assert done.returncode == 0, done
    assert (elsewhere / "ledger.sqlite3").exists()
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["verify"], {}),
        (["verify", "--all", "--case", "ASB-2026-000001"], {}),
        (["verify", "--all"], {}),
        (["demo"], {"ASB_DATABASE_URL": "mysql://nowhere/db"}),
        (["verify", "--all"], {"ASB_DATABASE_URL": "postgresql://u@127.0.0.1/x?sslmode=off"}),
        (["nonsense"], {}),
    ],
    ids=["no-target", "two-targets", "no-store", "bad-url", "bad-option", "no-command"],
)
def test_bad_usage_exits_2_with_one_line_and_creates_nothing(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    done = run(tmp_path, *args, **env)
    assert done.returncode == 2, done
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "var").exists()


def test_logs_are_json_lines_when_not_on_a_terminal() -> None:
    script = (
        "from api.logs import configure_logging; import structlog;"
        "configure_logging('auto'); structlog.get_logger().info('probe', case_id='c-1')"
    )
    probe = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    line = json.loads(probe.stderr.strip().splitlines()[-1])
    assert (line["event"], line["case_id"], line["level"]) == ("probe", "c-1", "info")


def test_demo_leaves_a_signed_checkpoint_so_an_auditor_can_export_and_verify_offline(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The README's auditor walk-through on a fresh clone, no server ever run: demo, verify
    --all, export --all, and the bundle checked offline with the published key."""
    env = {"ASB_DATA_DIR": str(tmp_path / "data")}
    if store == "postgres":
        from tests.conftest import PG_URL

        env["ASB_DATABASE_URL"] = f"{PG_URL}?schema={request.getfixturevalue('pg_schema')}"
    demo = run(tmp_path, "demo", **env)
    assert demo.returncode == 0, demo
    assert "checkpoint signed at tree size" in demo.stderr

    verify = run(tmp_path, "verify", "--all", **env)
    assert (verify.returncode, verify.stdout) == (0, "intact\n"), verify
    assert "not signed yet" not in verify.stderr, verify.stderr  # the checkpoint covers it all

    export = run(tmp_path, "export", "--all", "-o", "all.json", **env)
    assert export.returncode == 0, export
    bundle = json.loads((tmp_path / "all.json").read_text())
    assert len(bundle["cases"]) == 4

    key = str(tmp_path / "data" / "notary.pub")
    offline = run(tmp_path, "verify", "--bundle", "all.json", "--key", key)
    assert (offline.returncode, offline.stdout) == (0, "intact\n"), offline
