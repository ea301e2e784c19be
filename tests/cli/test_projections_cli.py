"""``asb-ledger projections`` as an operator drives it: status, rebuild and run, exit codes."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from ledger.application import CaseLedger
from ledger.settings import Settings
from projections.catalog import VIEW_TYPES
from projections.store import SQLiteViewStore
from tests.builders import CaseKit
from tests.cli.test_commands import ASB, run
from tests.conftest import PG_URL

NAMES = [kind.name for kind in VIEW_TYPES]


@pytest.fixture
def env(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    """A demo ledger on either store, and the environment that points at it."""
    env = {"ASB_DATA_DIR": str(tmp_path / "data")}
    if store == "postgres":
        env["ASB_DATABASE_URL"] = f"{PG_URL}?schema={request.getfixturevalue('pg_schema')}"
    done = run(tmp_path, "demo", **env)
    assert done.returncode == 0, done
    return env


def status_rows(stdout: str) -> dict[str, list[str]]:
    """The table's rows by view name: [tables, position, head, lag, not serving]."""
    rows: dict[str, list[str]] = {}
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in re.split(r"[│┃]", line)[1:-1]]
        if cells and cells[0] in NAMES:
            rows[cells[0]] = cells[1:]
    return rows


@pytest.mark.parametrize(
    "command", [["projections"], *(["projections", c] for c in ("run", "status", "rebuild"))]
)
def test_every_projections_command_has_help(tmp_path: Path, command: list[str]) -> None:
    done = run(tmp_path, *command, "--help")
    assert done.returncode == 0, done
    assert "Usage" in done.stdout


def test_status_then_rebuild_then_status(tmp_path: Path, env: dict[str, str]) -> None:
    status = run(tmp_path, "projections", "status", **env)
    assert status.returncode == 0, status
    rows = status_rows(status.stdout)
    assert list(rows) == NAMES, status.stdout
    head = rows["case_directory"][2]
    assert int(head.replace(",", "")) > 10
    # Nothing has run the views yet: each is at 0, as far behind as the log is long.
    assert all(row[:4] == ["(first)", "0", head, head] for row in rows.values()), rows
    assert f"head: position {head}" in status.stdout

    rebuilt = run(tmp_path, "projections", "rebuild", "case_directory", "--keep-old", "0", **env)
    assert rebuilt.returncode == 0, rebuilt
    assert re.fullmatch(
        rf"case_directory: {head} events into _g1 in [\d.]+ s \([\d,]+/s\), at position {head};"
        r" serving from _g1, old tables \(first\) dropped\n",
        rebuilt.stdout,
    ), rebuilt.stdout
    assert "rebuilding case_directory" in rebuilt.stderr
    assert f"{head}/{head}" in rebuilt.stderr  # the bar's events done, of the log's length
    assert "events/s" in rebuilt.stderr
    assert "FICTIONAL" not in rebuilt.stderr

    status = run(tmp_path, "projections", "status", **env)
    assert status.returncode == 0, status
    rows = status_rows(status.stdout)
    assert rows["case_directory"] == ["_g1", head, head, "0", "-"]
    assert rows["disclosures"][:2] == ["(first)", "0"]


def test_an_unknown_view_is_bad_usage_and_lists_the_known_ones(tmp_path: Path) -> None:
    done = run(tmp_path, "projections", "rebuild", "no_such_view")
    assert done.returncode == 2, done
    assert done.stdout == ""
    assert "no view 'no_such_view'" in done.stderr
    assert all(name in done.stderr for name in NAMES), done.stderr
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize("command", [["status"], ["rebuild", "case_directory"]])
def test_no_store_or_the_in_memory_store_is_bad_usage(tmp_path: Path, command: list[str]) -> None:
    done = run(tmp_path, "projections", *command)
    assert done.returncode == 2, done
    assert "no ledger" in done.stderr
    assert not (tmp_path / "var").exists()
    memory = run(tmp_path, "projections", *command, ASB_DATABASE_URL="memory://")
    assert memory.returncode == 2, memory
    assert "memory" in memory.stderr
    assert "Traceback" not in memory.stderr


def test_a_second_rebuild_of_a_view_exits_1(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(tmp_path, "demo", ASB_DATA_DIR=str(data)).returncode == 0
    store = SQLiteViewStore(str(data / "ledger.sqlite3"))
    with store.exclusive("rebuild-case_directory") as held:
        assert held
        done = run(tmp_path, "projections", "rebuild", "case_directory", ASB_DATA_DIR=str(data))
    assert done.returncode == 1, done
    assert "already running" in done.stderr


def test_run_keeps_the_views_up_to_date_until_a_signal(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"ASB_DATA_DIR": str(data)}
    assert run(tmp_path, "demo", **env).returncode == 0
    stderr_path = tmp_path / "run.stderr"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASB_")}
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [ASB, "projections", "run", "--interval", "0.05"],
            cwd=tmp_path,
            env={**clean, **env},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 30
        lags: list[str] = []
        while time.monotonic() < deadline:
            rows = status_rows(run(tmp_path, "projections", "status", **env).stdout)
            lags = [row[3] for row in rows.values()]
            if rows and all(lag == "0" for lag in lags):
                break
            time.sleep(0.2)
        assert lags, "no status"
        assert all(lag == "0" for lag in lags), lags
        # The process runs the notary too: it catches up and signs with the embedded key.
        notary = ""
        while time.monotonic() < deadline:
            notary = run(tmp_path, "projections", "status", **env).stdout
            if "(lag 0)" in notary and "last checkpoint: tree size" in notary:
                break
            time.sleep(0.2)
        assert "(lag 0)" in notary, notary
        assert "last checkpoint: tree size" in notary, notary
        assert "ALARM" not in notary
        assert (data / "notary.pub").exists()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    lines = [
        json.loads(line) for line in stderr_path.read_text().splitlines() if line.startswith("{")
    ]
    events = [line["event"] for line in lines]
    started = lines[events.index("projections.run_started")]
    assert set(started["views"]) == {*NAMES, "notary"}
    stopping = events.index("projections.run_stopping")
    assert lines[stopping]["signal"] == "SIGINT"
    assert events[stopping:] == [
        "projections.run_stopping",
        "projections.stopped",  # the runner thread, after its page in hand
        "projections.run_stopped",
    ]
    assert "FICTIONAL" not in stderr_path.read_text()
    assert "Demo Victim" not in stderr_path.read_text()
    with sqlite3.connect(data / "ledger.sqlite3") as db:  # the runner let go of the file
        assert db.execute("SELECT COUNT(*) FROM asb_view_case_directory").fetchone()[0] == 4


def test_run_until_caught_up_brings_every_view_and_the_notary_to_the_head_signs_and_exits(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """One shot: every view and the notary reach the head, a checkpoint covers everything
    logged (without waiting ASB_CHECKPOINT_SECONDS), each position is printed, exit 0."""
    url = env.get("ASB_DATABASE_URL", f"sqlite:///{env['ASB_DATA_DIR']}/ledger.sqlite3")
    ledger = CaseLedger(Settings(data_dir=Path(env["ASB_DATA_DIR"]), database_url=url))
    try:
        CaseKit(ledger).open()  # written after demo signed: no checkpoint covers it yet
        head = ledger.recorder.max_notification_id()
    finally:
        ledger.close()

    done = run(tmp_path, "projections", "run", "--until-caught-up", **env)
    assert done.returncode == 0, done
    positions = dict(line.split("\t") for line in done.stdout.splitlines())
    assert positions == {name: str(head) for name in [*NAMES, "notary"]}, done.stdout
    assert f"caught up to position {head:,}" in done.stderr

    status = run(tmp_path, "projections", "status", **env)
    assert all(row[3] == "0" for row in status_rows(status.stdout).values()), status.stdout
    (notary,) = [line for line in status.stdout.splitlines() if line.startswith("notary:")]
    size = re.search(r"tree size ([\d,]+);", notary)
    assert size is not None, notary
    assert f"(lag 0), tree size {size[1]}; last checkpoint: tree size {size[1]} " in notary
    assert f"checkpoint signed at tree size {size[1]}" in done.stderr

    again = run(tmp_path, "projections", "run", "--until-caught-up", **env)
    assert (again.returncode, again.stdout) == (0, done.stdout), again  # nothing new: the same


def test_run_until_caught_up_on_no_store_is_bad_usage(tmp_path: Path) -> None:
    done = run(tmp_path, "projections", "run", "--until-caught-up")
    assert done.returncode == 2, done
    assert "no ledger" in done.stderr
    assert not (tmp_path / "var").exists()
