"""The real server, started as an operator starts it, driven over HTTP through a whole case.

``asb-ledger serve`` runs in a subprocess on a free port with only ``ASB_DATA_DIR`` (and,
for PostgreSQL, ``ASB_DATABASE_URL``) set; tokens come from ``asb-ledger token`` in another
subprocess; after the walk the server is stopped with SIGTERM and ``asb-ledger verify
--all`` checks every chain in the same store.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import PG_URL

ASB = str(Path(sys.executable).parent / "asb-ledger")
READY_WITHIN = 60.0  # generous: a loaded CI machine starts the server slowly
TEAM = "asb-north"


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The process environment without any ASB_ variable but the ones given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASB_")}
    return {**clean, "ASB_DATA_DIR": str(data_dir), **extra}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _cli(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ASB, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@dataclass
class Server:
    """A running ``asb-ledger serve``, its base URL, and where its stderr goes."""

    process: subprocess.Popen[bytes]
    base_url: str
    stderr_path: Path
    env: dict[str, str]
    cwd: Path

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def token(self, *, user: str, role: str, team: str | None = TEAM) -> dict[str, str]:
        args = ["token", "--user", user, "--role", role, "--org", "council"]
        if team is not None:
            args += ["--team", team]
        done = _cli(self.cwd, self.env, *args)
        assert done.returncode == 0, done
        token = done.stdout.strip()
        assert done.stdout == token + "\n", f"token printed with something else: {done.stdout!r}"
        assert token.count(".") == 2, token
        return {"Authorization": f"Bearer {token}"}

    def stop(self) -> int:
        """SIGTERM, a bounded wait, then SIGKILL; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        return self.process.returncode


def _start(tmp_path: Path, *args: str, **env_extra: str) -> Iterator[Server]:
    data_dir = tmp_path / "data"
    env = _env(data_dir, **env_extra)
    port = _free_port()
    stderr_path = tmp_path / "server.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [ASB, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    server = Server(process, f"http://127.0.0.1:{port}", stderr_path, env, tmp_path)
    try:
        _wait_ready(server)
        yield server
    finally:
        server.stop()


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + READY_WITHIN
    last: str = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"the server exited with {server.process.returncode} before it was ready:\n"
                + server.stderr()
            )
        try:
            answer = httpx.get(f"{server.base_url}/readyz", timeout=1.0, trust_env=False)
            if answer.status_code == 200 and answer.json()["status"] == "ready":
                return
            last = f"{answer.status_code} {answer.text}"
        except httpx.TransportError as error:
            last = repr(error)
        time.sleep(0.1)
    pytest.fail(f"/readyz not ready within {READY_WITHIN} s ({last}); stderr:\n{server.stderr()}")


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[Server]:
    yield from _start(tmp_path)


@pytest.fixture
def postgres_server(tmp_path: Path, pg_schema: str) -> Iterator[Server]:
    yield from _start(tmp_path, ASB_DATABASE_URL=f"{PG_URL}?schema={pg_schema}")


class Walk:
    """Commands over HTTP, each checked to add exactly the events it should: opening
    appends two (opened, then assigned to the opener's team in the same save); every
    other command one."""

    def __init__(self, http: httpx.Client, headers: dict[str, str]) -> None:
        self.http = http
        self.headers = headers
        self.version = 0
        self.case_id = ""
        self.expected: list[str] = []

    def command(
        self, path: str, body: dict[str, Any], *events: str, **headers: str
    ) -> dict[str, Any]:
        answer = self.http.post(path, json=body, headers={**self.headers, **headers})
        assert answer.status_code == 201, f"{path}: {answer.status_code} {answer.text}"
        receipt: dict[str, Any] = answer.json()
        self.expected += events
        assert receipt["version"] == self.version + len(events) == len(self.expected), (
            path,
            receipt,
        )
        assert answer.headers["etag"] == f'"{receipt["version"]}"'
        self.version = receipt["version"]
        return receipt

    def open(self) -> None:
        receipt = self.command(
            "/cases",
            {
                "channel": "phone",
                "category": "personal",
                "description": "Loud music most nights after midnight.",
                "location": "Flat 2, 10 Example Road, Stafford",
                "lead_department": "community_safety",
                "complainant": {"name": "Cathy Complainant"},
                "preferred_contact": "phone",
                "ward": "Forebridge",
            },
            "CaseOpened",
            "CaseAssigned",
        )
        self.case_id = receipt["case_id"]

    @property
    def at(self) -> str:
        return f"/cases/{self.case_id}"

    def incident(self) -> None:
        self.command(
            f"{self.at}/incidents",
            {
                "incident_type": "noise",
                "description": "Music and shouting from 23:00 to 02:00.",
                "harms": ["impact_on_health"],
                "occurred_at": "2026-03-01T23:30:00+00:00",
            },
            "IncidentRecorded",
        )


CLOSURE = {
    "reason": "no_further_action",
    "full_reasons": "Noise assessed as normal living noise after monitoring.",
    "feedback": {"method": "phone"},
    "explanation": "Explained why the noise is not a statutory nuisance.",
    "advice": "Keep a diary; mediation offered through Harmony.",
}


def _close(walk: Walk, etag: str) -> None:
    walk.command(f"{walk.at}/close", CLOSURE, "CaseClosed", **{"If-Match": etag})


def _check_closed(http: httpx.Client, walk: Walk) -> dict[str, Any]:
    answer = http.get(walk.at, headers=walk.headers)
    assert answer.status_code == 200, answer.text
    case: dict[str, Any] = answer.json()
    assert answer.headers["etag"] == f'"{walk.version}"'
    assert case["status"] == "closed"
    assert case["version"] == walk.version
    closure = case["closure"]
    assert closure["reason"] == "no_further_action"
    assert closure["full_reasons"] == CLOSURE["full_reasons"]
    assert closure["explanation"] == CLOSURE["explanation"]
    assert closure["advice"] == CLOSURE["advice"]
    assert closure["feedback_method"] == "phone"
    assert closure["preferred_method_used"] is True
    return case


def _check_chain(http: httpx.Client, walk: Walk) -> None:
    answer = http.get(f"{walk.at}/events", headers=walk.headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    events = body["events"]
    assert body["version"] == walk.version
    assert [e["version"] for e in events] == list(range(1, walk.version + 1))
    assert all(e["event_hash"] for e in events)
    assert events[0]["prev_hash"] == "0" * 64  # the chain starts at the genesis hash
    for previous, event in itertools.pairwise(events):
        assert event["prev_hash"] == previous["event_hash"], event["version"]
    assert len({e["event_hash"] for e in events}) == len(events)
    assert [e["type"] for e in events] == walk.expected


def _verify_all(server: Server) -> None:
    # uvicorn shuts down gracefully on SIGTERM (the lifespan closes the ledger), then
    # re-raises the signal, so the exit status is -SIGTERM (not -SIGKILL) rather than 0.
    assert server.stop() in (0, -signal.SIGTERM), server.stderr()
    done = _cli(server.cwd, server.env, "verify", "--all")
    assert (done.returncode, done.stdout) == (0, "intact\n"), done


def test_a_whole_case_over_http_then_verify(sqlite_server: Server) -> None:
    server = sqlite_server
    caseworker = server.token(user="e2e-caseworker", role="caseworker")
    supervisor = server.token(user="e2e-supervisor", role="supervisor")
    with httpx.Client(base_url=server.base_url, timeout=10.0, trust_env=False) as http:
        walk = Walk(http, caseworker)
        walk.open()
        victim = walk.command(
            f"{walk.at}/people",
            {
                "role": "victim",
                "details": {"name": "Vic Tim", "contact": "07700 900456"},
                "vulnerabilities": ["living_alone"],
            },
            "PersonLinked",
        )["created"]["person_ref"]
        walk.incident()
        questions = [
            "q1_happened_before",
            "q2_targeted",
            "q3_identity",
            "q4_violence",
            "q5_property_damaged",
            "q6_health",
            "q7_household_disability",
            "q8_unsafe_at_home",
            "q9_afraid_to_go_out",
            "q10_children",
            "q11_support",
            "q12_reported_elsewhere",
        ]
        answers = dict.fromkeys(questions, 0) | {"q1_happened_before": 2, "q11_support": 2}
        walk.command(
            f"{walk.at}/risk-assessments",
            {"answers": answers, "victim_ref": victim, "rationale": "Screened by phone."},
            "RiskAssessed",
        )
        walk.command(
            f"{walk.at}/timescales",
            {
                "first_contact_due": "2026-03-03",
                "next_review_due": "2026-03-17",
                "target_resolution": "2026-04-30",
                "agreed_with": ["council"],
            },
            "TimescalesAgreed",
        )
        walk.command(
            f"{walk.at}/contacts",
            {
                "person_ref": victim,
                "method": "phone",
                "direction": "outbound",
                "outcome": "reached",
                "summary": "Discussed the diary sheets; next call Friday.",
            },
            "ContactRecorded",
        )
        action = walk.command(
            f"{walk.at}/actions",
            {
                "description": "Noise monitoring visit.",
                "owner_agency": "council",
                "owner_officer": "e2e-caseworker",
                "due": "2026-03-20",
            },
            "ActionPlanned",
        )["created"]["action_id"]
        walk.command(
            f"{walk.at}/actions/{action}/complete",
            {"outcome": "Monitored two nights."},
            "ActionCompleted",
        )

        read = http.get(walk.at, headers=caseworker)
        assert read.status_code == 200, read.text
        etag = read.headers["etag"]
        assert etag == f'"{walk.version}"'
        assert read.json()["status"] == "open"

        stale = http.post(
            f"{walk.at}/close", json=CLOSURE, headers={**caseworker, "If-Match": '"1"'}
        )
        assert stale.status_code == 412, stale.text
        assert stale.headers["content-type"].startswith("application/problem+json")
        assert stale.json()["current_version"] == walk.version
        assert stale.headers["etag"] == etag

        _close(walk, etag)
        case = _check_closed(http, walk)
        assert walk.version == 10  # nine commands: two events for the opening, one each else
        assert {p["name"] for p in case["people"]} == {"Cathy Complainant", "Vic Tim"}
        _check_chain(http, walk)

        supervised = http.get(walk.at, headers=supervisor)
        assert supervised.status_code == 200, supervised.text
        assert supervised.json()["closure"]["full_reasons"] == CLOSURE["full_reasons"]
        assert http.get("/metrics").status_code == 200
    _verify_all(server)


@pytest.mark.postgres
def test_a_short_case_over_http_on_postgres_then_verify(postgres_server: Server) -> None:
    server = postgres_server
    caseworker = server.token(user="e2e-pg-caseworker", role="caseworker")
    with httpx.Client(base_url=server.base_url, timeout=10.0, trust_env=False) as http:
        walk = Walk(http, caseworker)
        walk.open()
        walk.incident()
        read = http.get(walk.at, headers=caseworker)
        assert read.status_code == 200, read.text
        _close(walk, read.headers["etag"])
        _check_closed(http, walk)
        assert walk.version == 4
        _check_chain(http, walk)
    _verify_all(server)


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[Server]:
    yield from _start(tmp_path, "--workers", "2")


def test_two_server_processes_share_one_store(two_workers: Server) -> None:
    """Several processes serve one store: openings from concurrent clients, spread over
    both workers, all land with distinct references and intact chains."""
    from concurrent.futures import ThreadPoolExecutor

    headers = two_workers.token(user="cw-workers", role="caseworker")
    body = {
        "channel": "phone",
        "category": "nuisance",
        "description": "Fictional: noise from a party.",
        "location": "Fictional: 1 Test Street",
        "lead_department": "community_safety",
        "complainant": {"name": "Fictional Person"},
        "preferred_contact": "phone",
    }

    def open_cases(n: int) -> list[dict[str, Any]]:
        with httpx.Client(base_url=two_workers.base_url, headers=headers) as http:
            return [http.post("/cases", json=body).json() for _ in range(n)]

    with ThreadPoolExecutor(4) as pool:
        opened = [r for batch in pool.map(open_cases, [5] * 4) for r in batch]
    assert len({r["case_id"] for r in opened}) == 20, opened
    last = max(r["position"] for r in opened)
    with httpx.Client(base_url=two_workers.base_url, headers=headers) as http:
        listed = http.get("/cases", params={"limit": 50, "min_position": last}).json()
        references = {http.get(f"/cases/{r['case_id']}").json()["reference"] for r in opened}
    assert {i["case_id"] for i in listed["items"]} == {r["case_id"] for r in opened}
    assert len(references) == 20
    two_workers.stop()
    _verify_all(two_workers)


def test_the_listening_socket_is_tcp_so_responses_are_not_delayed() -> None:
    """With several workers uvicorn binds the socket itself; asyncio sets TCP_NODELAY on
    accepted connections only if the listening socket says it is TCP (else each
    keep-alive response waited ~40 ms for a delayed ACK)."""
    from api.serving import _Config

    config = _Config("api.app:create_app", factory=True, host="127.0.0.1", port=0, workers=2)
    sock = config.bind_socket()
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.get_inheritable()
    finally:
        sock.close()
