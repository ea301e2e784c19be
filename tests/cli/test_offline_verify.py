"""`asb-ledger verify --bundle` run as an auditor would: a subprocess, no database anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger.checkpoint import SignerKey
from tests.unit.test_offline_verifier import KEY, NAME, Log

ASB = str(Path(sys.executable).parent / "asb-ledger")
ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("eventsourcing", "psycopg", "fastapi", "pydantic", "sqlite3")


@dataclass(frozen=True)
class Offline:
    work: Path
    inputs: Path
    data_dir: Path
    first: str


@pytest.fixture
def offline(tmp_path: Path) -> Offline:
    """An empty working directory, settings that point at no database, and the inputs."""
    work, inputs = tmp_path / "work", tmp_path / "inputs"
    work.mkdir()
    inputs.mkdir()
    log = Log(seed=7)
    first = log.case(events=3)
    log.access_record()
    (inputs / "pinned.note").write_text(log.note(), encoding="utf-8")
    log.case(events=2)
    log.append(first)
    (inputs / "bundle.json").write_text(log.bundle(since=(4,)).to_json(), encoding="utf-8")
    tampered = json.loads(log.bundle().to_json())
    tampered["cases"][0]["events"][1]["commitment"]["actor"]["user_id"] = "someone-else"
    (inputs / "tampered.json").write_text(json.dumps(tampered), encoding="utf-8")
    older = Log(seed=7)
    older.case(events=2)
    (inputs / "older.json").write_text(older.bundle().to_json(), encoding="utf-8")
    (inputs / "notary.pub").write_text(KEY.encode() + "\n", encoding="utf-8")
    other = SignerKey.generate(NAME).verifier().encode()
    (inputs / "other.pub").write_text(other + "\n", encoding="utf-8")
    (inputs / "not-json.json").write_text("{", encoding="utf-8")
    (inputs / "v2.json").write_text(json.dumps({"format": "asb-ledger/bundle/v2"}))
    (inputs / "bad.pub").write_text("not a key\n", encoding="utf-8")
    return Offline(work, inputs, tmp_path / "absent", first)


def run(
    paths: Offline, *args: str, program: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASB_", "PG"))}
    env.update(
        ASB_DATABASE_URL="postgresql://nobody@127.0.0.1:1/nowhere",
        ASB_DATA_DIR=str(paths.data_dir),
        PYTHONPATH=str(ROOT),
    )
    argv = [a.format(inputs=paths.inputs) for a in args]
    done = subprocess.run(
        [*(program or [ASB, "verify"]), *argv],
        cwd=paths.work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert list(paths.work.iterdir()) == [], "the verifier wrote into its working directory"
    assert not paths.data_dir.exists()
    return done


def test_an_intact_bundle_exits_0(offline: Offline) -> None:
    done = run(offline, "--bundle", "{inputs}/bundle.json", "--key", "{inputs}/notary.pub")
    assert (done.returncode, done.stdout) == (0, "intact\n"), done
    assert done.stderr == "2 cases, 6 events checked\n"


def test_a_consistent_pinned_checkpoint_exits_0(offline: Offline) -> None:
    done = run(
        offline,
        *("--bundle", "{inputs}/bundle.json", "--key", "{inputs}/notary.pub"),
        *("--since", "{inputs}/pinned.note"),
    )
    assert (done.returncode, done.stdout) == (0, "intact\n"), done


def test_a_tampered_event_exits_1_naming_it(offline: Offline) -> None:
    done = run(offline, "--bundle", "{inputs}/tampered.json", "--key", "{inputs}/notary.pub")
    assert done.returncode == 1, done
    assert done.stdout == (
        f"FAILED case {offline.first} version 2: the event's content does not match its hash\n"
    )
    assert done.stderr == ""


def test_a_rollback_exits_1(offline: Offline) -> None:
    done = run(
        offline,
        *("--bundle", "{inputs}/older.json", "--key", "{inputs}/notary.pub"),
        *("--since", "{inputs}/pinned.note"),
    )
    assert done.returncode == 1, done
    assert done.stdout == (
        "FAILED checkpoint: the ledger was rolled back: 4 leaves were pinned, the bundle has 2\n"
    )


def test_another_key_exits_1(offline: Offline) -> None:
    done = run(offline, "--bundle", "{inputs}/bundle.json", "--key", "{inputs}/other.pub")
    assert done.returncode == 1, done
    assert done.stdout.startswith("FAILED checkpoint: the checkpoint is not signed by ")


@pytest.mark.parametrize(
    "args",
    [
        ["--bundle", "{inputs}/missing.json", "--key", "{inputs}/notary.pub"],
        ["--bundle", "{inputs}", "--key", "{inputs}/notary.pub"],
        ["--bundle", "{inputs}/not-json.json", "--key", "{inputs}/notary.pub"],
        ["--bundle", "{inputs}/v2.json", "--key", "{inputs}/notary.pub"],
        ["--bundle", "{inputs}/bundle.json", "--key", "{inputs}/bad.pub"],
        ["--bundle", "{inputs}/bundle.json", "--key", "{inputs}/missing.pub"],
        ["--bundle", "{inputs}/bundle.json"],
        ["--bundle", "{inputs}/bundle.json", "--key", "{inputs}/notary.pub", "--all"],
        ["--bundle", "{inputs}/bundle.json", "--key", "{inputs}/notary.pub", "--case", "x"],
        ["--key", "{inputs}/notary.pub"],
        ["--bundle", "{inputs}/bundle.json", "--key", "{inputs}/notary.pub", "--since", "{inputs}"],
        *(
            ["--bundle", "{inputs}/bundle.json", "--key", "{inputs}/notary.pub", "--since", f]
            for f in ("{inputs}/missing.note", "{inputs}/bundle.json")
        ),
    ],
    ids=[
        "missing-bundle",
        "bundle-is-a-directory",
        "not-json",
        "unknown-format",
        "malformed-key",
        "missing-key",
        "bundle-without-key",
        "bundle-and-all",
        "bundle-and-case",
        "key-without-bundle",
        "since-is-a-directory",
        "missing-since",
        "since-not-a-note",
    ],
)
def test_bad_usage_exits_2_with_one_line(offline: Offline, args: list[str]) -> None:
    done = run(offline, *args)
    assert done.returncode == 2, done
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("verify: ")


def test_the_light_entry_point_runs_alike(offline: Offline) -> None:
    module = [sys.executable, "-m", "replay.offline"]
    done = run(offline, "{inputs}/bundle.json", "--key", "{inputs}/notary.pub", program=module)
    assert (done.returncode, done.stdout) == (0, "intact\n"), done
    done = run(offline, "{inputs}/tampered.json", "--key", "{inputs}/notary.pub", program=module)
    assert done.returncode == 1, done
    assert done.stdout.startswith(f"FAILED case {offline.first} version 2: ")
    for usage in (["{inputs}/bundle.json"], ["{inputs}/missing.json", "--key", "x"]):
        done = run(offline, *usage, program=module)
        assert (done.returncode, done.stdout, len(done.stderr.splitlines())) == (2, "", 1), done


def test_the_verifier_imports_no_store_api_or_aggregate(offline: Offline) -> None:
    probe = (
        "import sys\n"
        "from replay.offline import main\n"
        "code = main(sys.argv[1:])\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "own = sorted(m for m in sys.modules if m.split('.')[0] in ('ledger', 'replay', 'api'))\n"
        "print(code, heavy, own, file=sys.stderr)\n"
    )
    done = run(
        offline,
        "{inputs}/bundle.json",
        *("--key", "{inputs}/notary.pub", "--since", "{inputs}/pinned.note"),
        program=[sys.executable, "-c", probe],
    )
    assert done.stdout == "intact\n", done
    verdict = done.stderr.splitlines()[-1]
    own = "['ledger', 'ledger.checkpoint', 'ledger.integrity', 'ledger.merkle', "
    assert verdict == (
        f"0 [] {own}'replay', 'replay.bundle', 'replay.offline', 'replay.sar_bundle']"
    ), verdict


def test_help_shows_the_bundle_options(offline: Offline) -> None:
    done = run(offline, "--help")
    assert done.returncode == 0, done
    for option in ("--bundle", "--key", "--since"):
        assert option in done.stdout


def test_the_console_script_path_imports_no_more_than_the_verifier(offline: Offline) -> None:
    """``asb-ledger verify --bundle`` (``api.cli.entry``) takes the same light path."""
    probe = (
        "import sys\n"
        "from api.cli.entry import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as done:\n"
        "    code = done.code\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "own = sorted(m for m in sys.modules if m.split('.')[0] in ('ledger', 'replay', 'api'))\n"
        "print(code, heavy, own, file=sys.stderr)\n"
    )
    done = run(
        offline,
        "verify",
        *("--bundle", "{inputs}/bundle.json", "--key", "{inputs}/notary.pub"),
        program=[sys.executable, "-c", probe],
    )
    assert done.stdout == "intact\n", done
    verdict = done.stderr.splitlines()[-1]
    own = "['api', 'api.cli', 'api.cli.entry', 'ledger', 'ledger.checkpoint', 'ledger.integrity', "
    own += "'ledger.merkle', 'replay', 'replay.bundle', 'replay.offline', 'replay.sar_bundle']"
    assert verdict == f"0 [] {own}", verdict
