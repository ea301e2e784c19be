"""The lean SQLite recorder passes the library's own application-recorder tests."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.sqlite import SQLiteDatastore

from ledger.application import CaseLedger
from ledger.sqliterecorder import LeanSQLiteApplicationRecorder

# The library's test module imports eventsourcing.cipher, which needs pycryptodome; the
# project uses the `cryptography` package, for which the library ships the same AESCipher.
_SHIM_CIPHER = importlib.util.find_spec("Crypto") is None
if _SHIM_CIPHER:
    sys.modules["eventsourcing.cipher"] = importlib.import_module("eventsourcing.cryptography")
from eventsourcing.tests import persistence as library_tests  # noqa: E402

if _SHIM_CIPHER:
    del sys.modules["eventsourcing.cipher"]


class TestLeanApplicationRecorder(
    library_tests.ApplicationRecorderTestCase[LeanSQLiteApplicationRecorder]
):
    @pytest.fixture(autouse=True)
    def _datastore(self, tmp_path: Path) -> None:
        # Not closed here: the library's concurrency tests leave reader threads finishing
        # after the test returns, and closing their connections under them crashes SQLite.
        self.datastore = SQLiteDatastore(str(tmp_path / "events.sqlite3"))

    def create_recorder(self) -> LeanSQLiteApplicationRecorder:
        recorder = LeanSQLiteApplicationRecorder(self.datastore)
        recorder.create_table()
        self.addCleanup(recorder.close)
        return recorder


def _event(version: int, originator: UUID | None = None) -> StoredEvent:
    return StoredEvent(
        originator_id=originator or uuid4(), originator_version=version, topic="t", state=b"x"
    )


def test_a_conflict_inserts_nothing_of_the_batch(tmp_path: Path) -> None:
    datastore = SQLiteDatastore(str(tmp_path / "events.sqlite3"))
    recorder = LeanSQLiteApplicationRecorder(datastore)
    recorder.create_table()
    case_id = uuid4()
    assert recorder.insert_events([_event(1, case_id)]) == [1]
    with pytest.raises(IntegrityError):
        recorder.insert_events([_event(2, case_id), _event(1, case_id)])
    assert [e.originator_version for e in recorder.select_events(case_id)] == [1]
    # The rolled-back rows left no trace: SQLite gives the next row the next rowid.
    assert recorder.insert_events([_event(2, case_id)]) == [2]
    recorder.close()
    datastore.close()


def test_threads_writing_at_once_get_distinct_ordered_positions(tmp_path: Path) -> None:
    datastore = SQLiteDatastore(str(tmp_path / "events.sqlite3"))
    recorder = LeanSQLiteApplicationRecorder(datastore)
    recorder.create_table()
    positions: list[int] = []
    lock = threading.Lock()

    def write() -> None:
        for _ in range(50):
            ids = recorder.insert_events([_event(1), _event(1)])
            assert ids is not None
            with lock:
                positions.extend(ids)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(positions) == list(range(1, 401))
    assert [n.id for n in recorder.select_notifications(1, 1000)] == list(range(1, 401))
    recorder.close()
    datastore.close()


def test_the_ledger_uses_it_on_sqlite(tmp_path: Path) -> None:
    from tests.conftest import make_settings

    ledger = CaseLedger(make_settings("sqlite", tmp_path))
    assert isinstance(ledger.recorder, LeanSQLiteApplicationRecorder)
    ledger.close()
