"""The README's walk-throughs, run as written: their shell blocks in bash, as a reader pastes
them, against a real ``asb-ledger serve`` started the way ``make run`` starts it.

A block is found by the ``<!-- walk-through: NAME -->`` line above it. Each command runs in
one bash session, in order, from a folder laid out like a clone (``.venv`` is this
interpreter's virtual environment, the data directory is ``./var``); the only thing replaced
is the server's address, ``http://127.0.0.1:8000``, by the test server's. What the README
promises is checked: a line ending ``# → TEXT`` prints TEXT (``...`` stands for anything,
``"..."`` for any string, ``{...}`` for any object), and every request answers 201 (a
command, ``POST``) or 200 (a read).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import PG_URL
from tests.e2e.test_server import ASB, Server, _free_port, _wait_ready

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCUMENTED_API = "http://127.0.0.1:8000"
PROMISE = re.compile(r"\s+# → (.+)$")
MARKER = re.compile(r"^<!-- walk-through: ([\w-]+)\b")


@dataclass(frozen=True)
class Step:
    """One command of a walk-through, where it starts in the README, and what it promises."""

    line: int
    command: str
    promise: str | None


def walk_through(name: str) -> list[Step]:
    """The commands of the README's block marked ``name``, each whole (a command spans lines
    while a quote is open or a line ends with a backslash)."""
    lines = README.read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if (m := MARKER.match(line)) and m[1] == name]
    assert len(starts) == 1, f"the README has {len(starts)} walk-throughs named {name}"
    at = starts[0] + 1
    assert lines[at] == "```sh", f"README line {at + 1}: the walk-through {name} is not sh"
    steps: list[Step] = []
    held: list[str] = []
    first = 0
    for number, line in enumerate(lines[at + 1 :], start=at + 2):
        if line == "```":
            break
        if not held:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            first = number
        held.append(line)
        promise = PROMISE.search(line)
        text = "\n".join([*held[:-1], line[: promise.start()] if promise else line])
        if line.endswith("\\") or not _complete(text):
            continue
        steps.append(Step(first, text, promise[1].strip() if promise else None))
        held = []
    assert not held, f"README line {first}: a command of {name} never ends"
    return steps


def _complete(text: str) -> bool:
    try:
        shlex.split(text, comments=True)
    except ValueError:  # a quote still open: the command goes on
        return False
    return True


CURL_LOG = r"""
curl() {  # the README's curl, each call's line, method, address and status kept in $WALK
  local n method=GET url="" previous="" arg
  n=$(( $(cat "$WALK/calls") + 1 )); echo "$n" > "$WALK/calls"
  for arg in "$@"; do
    if [ "$previous" = "-X" ]; then method=$arg; fi
    case $arg in http*) url=$arg ;; esac
    previous=$arg
  done
  printf '%s %s %s\n' "$STEP" "$method" "$url" > "$WALK/$n.call"
  command curl -D "$WALK/$n.head" "$@"
}
"""


def script(steps: list[Step], api: str) -> str:
    """The bash a reader's terminal would run, with each promised output kept aside."""
    out = ["set -eu", 'echo 0 > "$WALK/calls"', CURL_LOG]
    for step in steps:
        command = step.command.replace(DOCUMENTED_API, api)
        out.append(f"STEP={step.line}")
        if step.promise is None:
            out.append(command)
        else:
            out += ["{", command, f'}} > "$WALK/{step.line}.out"', f'cat "$WALK/{step.line}.out"']
    return "\n".join(out) + "\n"


def promised(promise: str, printed: str) -> bool:
    """Whether ``printed`` is what the README's ``# →`` says (JSON compared as json.dumps
    spaces it, as the README writes it)."""
    text = printed.strip()
    if promise.startswith("{"):
        text = json.dumps(json.loads(text))
    pattern = (
        re.escape(promise)
        .replace(re.escape('"..."'), r'"[^"]*"')
        .replace(re.escape("{...}"), r"\{.*\}")
        .replace(re.escape("..."), r".*?")
    )
    return re.fullmatch(pattern, text, re.DOTALL) is not None


@dataclass
class Clone:
    """A folder laid out like a fresh clone after ``make install``, and its environment."""

    path: Path
    env: dict[str, str]
    walk: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ASB, *args],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def run(self, steps: list[Step], api: str = DOCUMENTED_API) -> str:
        """Runs the steps in one bash; fails naming the README line of a broken promise."""
        done = subprocess.run(
            ["bash", "-c", script(steps, api)],
            cwd=self.path,
            env={**self.env, "WALK": str(self.walk)},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        stderr = "\n".join(done.stderr.splitlines()[-20:])
        assert done.returncode == 0, f"the walk-through stopped ({done.returncode}):\n{stderr}"
        for step in steps:
            if step.promise is None:
                continue
            printed = (self.walk / f"{step.line}.out").read_text()
            assert promised(step.promise, printed), (
                f"README line {step.line} promises {step.promise!r} but printed {printed!r}"
            )
        return done.stdout

    def answers(self) -> list[tuple[str, str, str, int]]:
        """Each curl call of the walk: README line, method, address, status."""
        calls = int((self.walk / "calls").read_text())
        found = []
        for n in range(1, calls + 1):
            line, method, url = (self.walk / f"{n}.call").read_text().split(" ", 2)
            status = (self.walk / f"{n}.head").read_text().split(None, 2)[1]
            found.append((line, method, url.strip(), int(status)))
        return found


@pytest.fixture
def clone(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> Clone:
    path, walk = tmp_path / "clone", tmp_path / "walk"
    path.mkdir()
    walk.mkdir()
    (path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASB_")}
    if store == "postgres":
        env["ASB_DATABASE_URL"] = f"{PG_URL}?schema={request.getfixturevalue('pg_schema')}"
    return Clone(path, env, walk)


@pytest.fixture
def make_run(clone: Clone) -> Iterator[Server]:
    """What ``make run`` does: the demo cases if the store is empty, a check, the server."""
    demo = clone.cli("demo", "--if-empty")
    assert demo.returncode == 0, demo
    verify = clone.cli("verify", "--all")
    assert (verify.returncode, verify.stdout) == (0, "intact\n"), verify
    port = _free_port()
    stderr_path = clone.walk.parent / "server.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [ASB, "serve", "--port", str(port)],
            cwd=clone.path,
            env=clone.env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    server = Server(process, f"http://127.0.0.1:{port}", stderr_path, clone.env, clone.path)
    try:
        _wait_ready(server)
        yield server
    finally:
        server.stop()


def test_the_auditors_walk_through_on_a_fresh_clone_runs_as_written(clone: Clone) -> None:
    """``demo``, ``verify --all``, ``export --all`` and the offline check, no server run."""
    steps = walk_through("offline")
    clone.run(steps)
    assert [s.promise for s in steps if s.promise] == ["intact", "intact"]
    assert (clone.path / "ledger.json").exists()


def test_the_http_walk_through_and_the_auditors_part_run_as_written(
    clone: Clone, make_run: Server
) -> None:
    """One case from complaint to closure over HTTP, then replay, proofs, checks and a
    bundle, each step answering as the README says."""
    steps = walk_through("http") + walk_through("auditor")
    clone.run(steps, api=make_run.base_url)

    answers = clone.answers()
    assert len(answers) == sum(s.command.count("curl ") for s in steps), answers
    wrong = [a for a in answers if a[3] != (201 if a[1] == "POST" else 200)]
    assert not wrong, f"README lines answered otherwise than it says: {wrong}"

    # The retried closing answered exactly as the first and appended nothing.
    closing = [s for s in steps if s.promise and "/close" in s.command]
    assert len(closing) == 2, closing
    first, retry = ((clone.walk / f"{s.line}.out").read_text() for s in closing)
    assert first == retry
    case_id = json.loads(first)["case_id"]
    headers = make_run.token(user="alice", role="caseworker")
    case = httpx.get(f"{make_run.base_url}/cases/{case_id}", headers=headers, trust_env=False)
    assert case.headers["etag"] == '"10"', case.text
    assert (clone.path / "case.json").exists()
    assert (clone.path / "pinned.checkpoint").read_text().startswith("asb-ledger.local/notary\n")


def test_the_walk_throughs_are_read_whole() -> None:
    """The parser sees every command of the blocks: multi-line bodies stay one command."""
    http = walk_through("http")
    posts = [s for s in http if "-X POST" in s.command]
    assert len(posts) == 10, [s.line for s in posts]
    incident = next(s for s in http if "/incidents" in s.command)
    assert incident.command.endswith('[\\"$VICTIM\\"]}"')
    assert promised('{"a": "...", "b": 2, ...}', '{"a":"x","b":2,"c":{"d":1}}')
    assert not promised('{"a": "...", "b": 2, ...}', '{"a":"x","b":3,"c":1}')
