"""The projections in a process of their own, against PostgreSQL, while the API takes commands.

``asb-ledger serve`` runs with ``ASB_RUN_PROJECTIONS=false`` and ``asb-ledger projections
run`` beside it on the same schema. A command's ``position``, given back as ``min_position``,
reads the write (read-your-writes across processes); ``asb-ledger projections rebuild``
switches the directory to new tables under both, and the runner feeds the new tables; once
the runner is stopped, a query for a later position says 503 within the bounded wait.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import PG_URL
from tests.e2e.test_server import ASB, Server, _cli, _start

WAIT = 0.5  # ASB_READ_WAIT_SECONDS for the server


@pytest.fixture
def server(tmp_path: Path, pg_schema: str) -> Iterator[Server]:
    yield from _start(
        tmp_path,
        ASB_DATABASE_URL=f"{PG_URL}?schema={pg_schema}",
        ASB_RUN_PROJECTIONS="false",
        ASB_READ_WAIT_SECONDS=str(WAIT),
    )


class Runner:
    """A running ``asb-ledger projections run``, stopped with SIGTERM."""

    def __init__(self, server: Server) -> None:
        self.stderr_path = server.cwd / "runner.stderr"
        with self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [ASB, "projections", "run", "--interval", "0.05"],
                cwd=server.cwd,
                env=server.env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )

    def logs(self) -> list[dict[str, Any]]:
        text = self.stderr_path.read_text(errors="replace")
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        return self.process.returncode


def open_case(http: httpx.Client, headers: dict[str, str], n: int) -> dict[str, Any]:
    answer = http.post(
        "/cases",
        headers=headers,
        json={
            "channel": "phone",
            "category": "personal",
            "description": f"Loud music most nights after midnight ({n}).",
            "location": f"Flat {n}, 10 Example Road, Stafford",
            "lead_department": "community_safety",
            "complainant": {"name": "Cathy Complainant"},
            "preferred_contact": "phone",
            "ward": "Forebridge",
        },
    )
    assert answer.status_code == 201, answer.text
    receipt: dict[str, Any] = answer.json()
    return receipt


def listed(http: httpx.Client, headers: dict[str, str], position: int) -> httpx.Response:
    return http.get("/cases", params={"min_position": position}, headers=headers)


def ids(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["case_id"] for item in answer.json()["items"]]


@pytest.mark.postgres
def test_read_your_writes_with_the_projections_in_their_own_process(
    server: Server, tmp_path: Path
) -> None:
    caseworker = server.token(user="e2e-caseworker", role="caseworker")
    with httpx.Client(base_url=server.base_url, timeout=10.0, trust_env=False) as http:
        # No runner anywhere yet: the server waits its bounded time, then says so.
        first = open_case(http, caseworker, 1)
        started = time.monotonic()
        behind = listed(http, caseworker, first["position"])
        assert behind.status_code == 503, behind.text
        assert behind.headers["retry-after"] == "1"
        assert WAIT * 0.8 <= time.monotonic() - started < WAIT + 3

        runner = Runner(server)
        try:
            # The runner process starts (seconds: imports, connections) and catches up.
            deadline = time.monotonic() + 30
            answer = listed(http, caseworker, first["position"])
            while answer.status_code == 503 and time.monotonic() < deadline:
                assert runner.process.poll() is None, runner.stderr_path.read_text()
                answer = listed(http, caseworker, first["position"])
            assert ids(answer) == [first["case_id"]]

            # Read-your-writes: each command's position, given back, lists its case.
            receipts = [first]
            for n in range(2, 6):
                receipts.append(open_case(http, caseworker, n))
                answer = listed(http, caseworker, receipts[-1]["position"])
                assert ids(answer) == [r["case_id"] for r in reversed(receipts)]

            # A rebuild in a third process, while both run: the runner follows the switch.
            rebuilt = _cli(
                tmp_path, server.env, "projections", "rebuild", "case_directory", "--keep-old", "2"
            )
            assert rebuilt.returncode == 0, rebuilt
            assert "into _g1" in rebuilt.stdout
            answer = listed(http, caseworker, receipts[-1]["position"])
            assert ids(answer) == [r["case_id"] for r in reversed(receipts)]
            receipts.append(open_case(http, caseworker, 6))
            answer = listed(http, caseworker, receipts[-1]["position"])
            assert ids(answer) == [r["case_id"] for r in reversed(receipts)]
            status = _cli(tmp_path, server.env, "projections", "status")
            assert status.returncode == 0, status
            assert any(
                "case_directory" in line and "_g1" in line for line in status.stdout.splitlines()
            ), status.stdout
        finally:
            code = runner.stop()
        assert code == 0, runner.stderr_path.read_text()
        events = [line["event"] for line in runner.logs()]
        assert "projections.run_started" in events
        assert "view.switched" in events  # the runner process re-bound to the new tables
        assert events[-1] == "projections.run_stopped"
        logged = runner.stderr_path.read_text()
        assert "Cathy" not in logged
        assert "Example Road" not in logged

        # With the runner gone, a later position is never silently missing: 503, in time.
        later = open_case(http, caseworker, 7)
        started = time.monotonic()
        behind = listed(http, caseworker, later["position"])
        assert behind.status_code == 503, behind.text
        assert WAIT * 0.8 <= time.monotonic() - started < WAIT + 3
        assert behind.json()["title"] == "View behind"
        # ... while what the view has reached still answers.
        assert len(ids(listed(http, caseworker, receipts[-1]["position"]))) == len(receipts)
    assert "projections.started" not in server.stderr()  # the server ran no runner itself
