"""An event class moved to another module changes nothing stored: loading, hashing,
``verify --all`` and an exported bundle are the same, on both stores.

The move is real: the project's packages are copied, ``IncidentRecorded`` is cut out of
``ledger/events.py`` into a new module ``ledger/moved/incidents.py``, and the copy runs in
processes of its own against the store the unmoved code wrote. Under the old scheme the
stored topic and the hash named ``ledger.events:IncidentRecorded``, so this move would have
made every stored incident unreadable and every chain after one broken.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from ledger.application import CaseLedger
from ledger.chain import HASH_KEY
from projections.notary import notary_settings
from tests.integration.test_export import cli
from tests.integration.test_tamper import EVENTS, build_case

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("ledger", "commands", "projections", "replay", "api")
MOVED_NAME = "asb.case.IncidentRecorded.v1"
NEW_HOME = '''"""Incidents, moved out of ``ledger/events.py`` (a test's copy of the project)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledger.case_state import Incident
from ledger.enums import HarmIndicator, IncidentType
from ledger.events import CaseEvent
from ledger.type_names import stored_as
from ledger.values import Sealed

if TYPE_CHECKING:
    from ledger.case import Case


'''

CHILD = """
import json, sys
from datetime import UTC, datetime
from uuid import UUID, uuid4
from ledger.application import CaseLedger
from ledger.chain import HASH_KEY, hash_event
from ledger.enums import IncidentType
from ledger.events import IncidentRecorded
from ledger.settings import Settings
from ledger.values import Actor
from ledger.enums import Role

ledger = CaseLedger(Settings())
case_id = UUID(sys.argv[1])
case = ledger.get_case(case_id)  # loading checks the whole chain
events = list(ledger.repository.event_store.get(case_id))
out = {
    "module": IncidentRecorded.__module__,
    "hashes": [vars(e)[HASH_KEY] for e in events],
    "recomputed": [hash_event(e) for e in events],
    "incident_modules": [type(e).__module__ for e in events if type(e) is IncidentRecorded],
}
if sys.argv[2] == "write":
    actor = Actor(user_id="cw-2", display_name="Moved", role=Role.CASEWORKER,
                  organisation="council", team="north")
    case.record_incident(
        actor=actor, occurred_at=datetime(2026, 3, 9, tzinfo=UTC), incident_id=uuid4(),
        incident_type=IncidentType.NOISE,
        description=ledger.sealer.seal_text("written by the moved class", case_id=case_id,
                                            field="incident.description"),
        harms=(), criminal=False, victim_refs=(),
    )
    out["written"] = ledger.save_case(case).version
ledger.close()
print(json.dumps(out))
"""


def moved_copy(root: Path) -> Path:
    """The project's packages with ``IncidentRecorded`` in a module of its own."""
    for package in PACKAGES:
        shutil.copytree(
            REPO / package, root / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    events_py = root / "ledger" / "events.py"
    source = events_py.read_text()
    start = source.index(f'@stored_as("{MOVED_NAME}")')
    end = source.index("@stored_as(", start + 1)
    # Imported where it was defined, so what builds on it (its v2) still finds it.
    moved = "from ledger.moved.incidents import IncidentRecorded  # noqa: E402\n\n\n"
    block, source = source[start:end], source[:start] + moved + source[end:]
    events_py.write_text(source)
    (root / "ledger" / "moved").mkdir()
    (root / "ledger" / "moved" / "__init__.py").write_text("")
    (root / "ledger" / "moved" / "incidents.py").write_text(NEW_HOME + block.rstrip() + "\n")
    return root


def run_moved(root: Path, ledger: CaseLedger, *args: str) -> subprocess.CompletedProcess[str]:
    settings = ledger.settings
    assert settings.database_url is not None
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "ASB_DATA_DIR": str(settings.data_dir),
        "ASB_DATABASE_URL": settings.database_url,
        "ASB_LOG_FORMAT": "json",
    }
    return subprocess.run(
        [sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def cases_of(bundle: Path) -> list[Any]:
    document = json.loads(bundle.read_text())
    return list(document["cases"])


def test_a_moved_event_class_changes_nothing_stored(ledger: CaseLedger, tmp_path: Path) -> None:
    notary_settings(ledger.settings)  # the notary's key, as the service makes on first run
    case_id = build_case(ledger)
    before = [vars(e)[HASH_KEY] for e in ledger.repository.event_store.get(case_id)]
    first = tmp_path / "before.json"
    assert cli(ledger, "export", "--case", str(case_id), "-o", str(first)).exit_code == 0

    root = moved_copy(tmp_path / "moved-src")
    read = run_moved(root, ledger, "-c", CHILD, str(case_id), "read")
    assert read.returncode == 0, read.stderr
    seen = json.loads(read.stdout.splitlines()[-1])  # after any log lines
    assert seen["module"] == "ledger.moved.incidents"
    assert seen["incident_modules"] == ["ledger.moved.incidents"]
    assert seen["hashes"] == seen["recomputed"] == before

    entry = ("-c", "from api.cli.entry import main; main()")
    verified = run_moved(root, ledger, *entry, "verify", "--all")
    assert (verified.returncode, verified.stdout) == (0, "intact\n"), verified.stderr
    second = tmp_path / "after.json"
    exported = run_moved(root, ledger, *entry, "export", "--case", str(case_id), "-o", str(second))
    assert exported.returncode == 0, exported.stderr
    assert cases_of(second) == cases_of(first)
    key = str(ledger.settings.data_dir / "notary.pub")
    offline = run_moved(root, ledger, *entry, "verify", "--bundle", str(first), "--key", key)
    assert (offline.returncode, offline.stdout) == (0, "intact\n"), offline.stderr

    written = run_moved(root, ledger, "-c", CHILD, str(case_id), "write")
    assert written.returncode == 0, written.stderr
    assert json.loads(written.stdout.splitlines()[-1])["written"] == EVENTS + 1
    (row,) = ledger.recorder.select_events(case_id, gt=EVENTS, lte=EVENTS + 1)
    assert row.topic == MOVED_NAME
    assert ledger.verify_case(case_id).intact  # the unmoved code reads what the moved wrote
    done = cli(ledger, "verify", "--all")
    assert (done.exit_code, done.stdout) == (0, "intact\n"), done.output
    assert len(ledger.get_case(case_id).incidents) == 2
