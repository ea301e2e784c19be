"""The fast PostgreSQL recorder: the library's own recorder tests, commit order, and conflicts."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import sql

from ledger.application import CaseLedger
from ledger.case import Case
from ledger.errors import ConcurrentWrite
from ledger.pgrecorder import (
    FastPostgresApplicationRecorder,
    FastPostgresProcessRecorder,
    GroupCommit,
)
from ledger.settings import Settings
from ledger.values import Receipt
from tests.builders import CaseKit
from tests.conftest import PG_URL, make_settings

# The library's test module imports eventsourcing.cipher, which needs pycryptodome; the
# project uses the `cryptography` package, for which the library ships the same AESCipher.
_SHIM_CIPHER = importlib.util.find_spec("Crypto") is None
if _SHIM_CIPHER:
    sys.modules["eventsourcing.cipher"] = importlib.import_module("eventsourcing.cryptography")
from eventsourcing.tests import persistence as library_tests  # noqa: E402

if _SHIM_CIPHER:
    del sys.modules["eventsourcing.cipher"]


def open_datastore(
    schema: str, pool_size: int = 4, *, single_row_tracking: bool = True
) -> PostgresDatastore:
    """A library datastore on a fresh schema (created here, dropped by ``pg_schema``)."""
    config = Settings(database_url=f"{PG_URL}?schema={schema}").store()
    assert config.postgres_conninfo is not None
    with psycopg.connect(config.postgres_conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    env = config.library_env
    return PostgresDatastore(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        schema=schema,
        pool_size=pool_size,
        max_overflow=12,
        single_row_tracking=single_row_tracking,
    )


@pytest.mark.postgres
class FreshSchema:
    """Gives each library test case its own schema through the ``pg_schema`` fixture."""

    schema: str
    datastore: PostgresDatastore
    single_row_tracking = True

    @pytest.fixture(autouse=True)
    def _fresh_schema(self, pg_schema: str) -> Iterator[None]:
        self.schema = pg_schema
        self.datastore = open_datastore(pg_schema, single_row_tracking=self.single_row_tracking)
        yield
        self.datastore.close()


class TestFastApplicationRecorder(
    FreshSchema, library_tests.ApplicationRecorderTestCase[FastPostgresApplicationRecorder]
):
    def create_recorder(self) -> FastPostgresApplicationRecorder:
        recorder = FastPostgresApplicationRecorder(self.datastore, events_table_name="app_events")
        recorder.create_table()
        self.addCleanup(recorder.close)
        return recorder

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestFastRecorderNonInterleaving(
    FreshSchema, library_tests.NonInterleavingNotificationIDsBaseCase
):
    def create_recorder(self) -> ApplicationRecorder:
        recorder = FastPostgresApplicationRecorder(self.datastore, events_table_name="app_events")
        recorder.create_table()
        self.addCleanup(recorder.close)
        return recorder


class TestFastProcessRecorder(FreshSchema, library_tests.ProcessRecorderTestCase):
    def create_recorder(self) -> FastPostgresProcessRecorder:
        recorder = FastPostgresProcessRecorder(
            self.datastore, events_table_name="proc_events", tracking_table_name="proc_tracking"
        )
        recorder.create_table()
        self.addCleanup(recorder.close)
        return recorder


class TestFastProcessRecorderMultiRowTracking(TestFastProcessRecorder):
    """Legacy multi-row tracking tables fall back to the library's transaction."""

    single_row_tracking = False

    @pytest.mark.skip(
        reason="multi-row tracking accepts a lower position later (library behaviour)"
    )
    def test_raises_when_lower_inserted_later(self) -> None:
        """Skipped."""


@pytest.fixture
def recorder(pg_schema: str) -> Iterator[FastPostgresApplicationRecorder]:
    datastore = open_datastore(pg_schema, pool_size=8)
    fast = FastPostgresApplicationRecorder(datastore, events_table_name="app_events")
    fast.create_table()
    yield fast
    fast.close()
    datastore.close()


def event(originator_id: UUID, version: int) -> StoredEvent:
    return StoredEvent(
        originator_id=originator_id, originator_version=version, topic="t", state=b"x" * 600
    )


@pytest.mark.postgres
def test_a_conflict_inserts_nothing_of_the_batch(recorder: FastPostgresApplicationRecorder) -> None:
    case_id = uuid4()
    recorder.insert_events([event(case_id, 1)])
    with pytest.raises(IntegrityError):
        recorder.insert_events([event(case_id, 2), event(case_id, 1)])
    assert [e.originator_version for e in recorder.select_events(case_id)] == [1]
    assert recorder.insert_events([event(case_id, 2)]) is not None


@pytest.mark.postgres
def test_concurrent_writers_never_show_a_reader_a_gap_filled_later(
    recorder: FastPostgresApplicationRecorder, pg_schema: str
) -> None:
    """A follower reading past its last position misses nothing, however writers interleave.

    Each writer has its own recorder and datastore, as separate processes would: within
    one recorder, group commit already sends one insert at a time.
    """
    writers, saves = 4, 250
    datastores = [open_datastore(pg_schema, pool_size=1) for _ in range(writers)]
    recorders = [
        FastPostgresApplicationRecorder(datastore, events_table_name="app_events")
        for datastore in datastores
    ]
    done = threading.Event()
    errors: list[BaseException] = []
    followed: list[int] = []

    def write(batch: int) -> None:
        try:
            case_id, version = uuid4(), 0
            for i in range(saves):
                size = 1 + (i + batch) % 3
                events = [event(case_id, version + n) for n in range(1, size + 1)]
                recorders[batch].insert_events(events)
                version += size
        except BaseException as error:
            errors.append(error)

    def follow() -> None:
        last = 0
        while True:
            finished = done.is_set()
            page = recorder.select_notifications(last, 500, inclusive_of_start=False)
            followed.extend(n.id for n in page)
            if page:
                last = page[-1].id
            elif finished:
                return

    follower = threading.Thread(target=follow)
    follower.start()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    follower.join()
    for each in recorders:
        each.close()
    for datastore in datastores:
        datastore.close()

    assert not errors
    stored = [n.id for n in recorder.select_notifications(None, 100_000)]
    assert followed == stored
    assert stored == list(range(1, len(stored) + 1))


@pytest.mark.postgres
def test_ledger_uses_the_fast_recorder_unless_turned_off(tmp_path: Path, pg_schema: str) -> None:
    fast = CaseLedger(make_settings("postgres", tmp_path, pg_schema))
    slow = CaseLedger(
        make_settings("postgres", tmp_path, pg_schema).model_copy(
            update={"pg_fast_recorder": False}
        )
    )
    try:
        assert isinstance(fast.recorder, FastPostgresApplicationRecorder)
        assert type(slow.recorder) is PostgresApplicationRecorder
        case = CaseKit(fast).open()
        receipt = fast.save_new_case(case)
        assert slow.get_case(case.id).head_hash == case.head_hash
        [note] = fast.recorder.select_notifications(receipt.position, 1)
        assert (note.originator_id, note.originator_version) == (case.id, 1)
    finally:
        fast.close()
        slow.close()


def race_saves(ledger: CaseLedger, copies: list[Case]) -> list[Receipt | ConcurrentWrite]:
    """Saves each copy from its own thread, all released at once."""
    start = threading.Barrier(len(copies))
    outcomes: list[Receipt | ConcurrentWrite | None] = [None] * len(copies)

    def save(n: int) -> None:
        start.wait()
        try:
            outcomes[n] = ledger.save_case(copies[n])
        except ConcurrentWrite as conflict:
            outcomes[n] = conflict

    threads = [threading.Thread(target=save, args=(n,)) for n in range(len(copies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [outcome for outcome in outcomes if outcome is not None]


@pytest.mark.postgres
def test_two_writers_on_one_case_one_conflicts_and_no_event_is_lost(
    tmp_path: Path, pg_schema: str
) -> None:
    ledger = CaseLedger(make_settings("postgres", tmp_path, pg_schema))
    try:
        kit = CaseKit(ledger)
        case = kit.open()
        ledger.save_new_case(case)
        for round_ in range(5):
            copies = [ledger.get_case(case.id), ledger.get_case(case.id)]
            incidents = [kit.incident(copy, days=round_) for copy in copies]

            outcomes = race_saves(ledger, copies)

            lost = [n for n, outcome in enumerate(outcomes) if isinstance(outcome, ConcurrentWrite)]
            assert len(outcomes) == 2
            assert len(lost) == 1, outcomes
            winner = 1 - lost[0]
            stored = ledger.get_case(case.id)
            assert stored.version == round_ + 2
            assert incidents[winner] in stored.incidents
            assert incidents[lost[0]] not in stored.incidents
            receipt = outcomes[winner]
            assert isinstance(receipt, Receipt)
            assert (receipt.case_id, receipt.version) == (case.id, stored.version)
        assert ledger.verify_case(case.id).intact
    finally:
        ledger.close()


# ------------------------------------------------------------------ group commit


class FakeStore:
    """Stands in for the server: slow enough that callers queue, strict about duplicates."""

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.calls: list[int] = []
        self.keys: set[tuple[UUID, int]] = set()
        self.last_id = 0
        self.fail_with = fail_with
        self._lock = threading.Lock()

    def send(self, events: Sequence[StoredEvent]) -> list[int]:
        time.sleep(0.002)
        with self._lock:
            self.calls.append(len(events))
            if self.fail_with is not None:
                raise self.fail_with
            keys = [(UUID(str(e.originator_id)), e.originator_version) for e in events]
            if len(set(keys)) < len(keys) or self.keys.intersection(keys):
                raise IntegrityError("duplicate")
            self.keys.update(keys)
            first, self.last_id = self.last_id + 1, self.last_id + len(keys)
            return list(range(first, self.last_id + 1))


def run_threads(count: int, work: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a caller never returned"


def test_group_commit_shares_calls_and_gives_each_save_its_own_ids() -> None:
    fake = FakeStore()
    commit = GroupCommit()
    results: dict[int, list[list[int]]] = {}

    def work(n: int) -> None:
        case_id = uuid4()
        results[n] = [
            commit([event(case_id, 2 * i + 1), event(case_id, 2 * i + 2)], fake.send)
            for i in range(20)
        ]

    run_threads(8, work)
    ids = [i for saves in results.values() for save in saves for i in save]
    assert sorted(ids) == list(range(1, 8 * 20 * 2 + 1))
    assert all(len(save) == 2 and save[1] == save[0] + 1 for s in results.values() for save in s)
    assert max(fake.calls) > 2, "no save ever shared a call"


def test_group_commit_fails_only_the_conflicting_save() -> None:
    fake = FakeStore()
    commit = GroupCommit()
    shared = uuid4()
    won: list[int] = []
    lost: list[int] = []
    mine: list[int] = []

    def work(n: int) -> None:
        own = uuid4()
        for version in range(1, 21):
            mine.extend(commit([event(own, version)], fake.send))
            try:
                commit([event(shared, version)], fake.send)
                won.append(version)
            except IntegrityError:
                lost.append(version)

    run_threads(6, work)
    assert len(mine) == 6 * 20
    assert sorted(won) == list(range(1, 21))
    assert len(lost) == 5 * 20


def test_group_commit_passes_other_errors_to_every_caller_and_recovers() -> None:
    fake = FakeStore(fail_with=OperationalError("server went away"))
    commit = GroupCommit()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            commit([event(uuid4(), 1)], fake.send)
        except OperationalError as error:
            errors.append(error)

    run_threads(6, work)
    assert len(errors) == 6
    fake.fail_with = None
    assert commit([event(uuid4(), 1)], fake.send) == [1]


@pytest.mark.postgres
def test_concurrent_saves_on_one_aggregate_fail_alone_on_postgres(
    recorder: FastPostgresApplicationRecorder,
) -> None:
    shared = uuid4()
    won: list[int] = []

    def work(n: int) -> None:
        own = uuid4()
        for version in range(1, 31):
            recorder.insert_events([event(own, version)])
            try:
                recorder.insert_events([event(shared, version)])
                won.append(version)
            except IntegrityError:
                pass

    run_threads(6, work)
    assert sorted(won) == list(range(1, 31))
    stored = recorder.select_notifications(None, 10_000)
    assert len(stored) == 6 * 30 + 30
    assert [n.id for n in stored] == sorted(n.id for n in stored)


@pytest.mark.postgres
def test_the_writer_connection_is_replaced_when_it_breaks(
    recorder: FastPostgresApplicationRecorder,
) -> None:
    recorder.insert_events([event(uuid4(), 1)])
    with recorder.writer.connection() as conn:
        pid = conn.info.backend_pid
    with recorder.datastore.get_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))
    recorder.insert_events([event(uuid4(), 1)])  # the library's retry, on a fresh connection
    with recorder.writer.connection() as conn:
        assert conn.info.backend_pid != pid
    assert len(recorder.select_notifications(None, 10)) == 2


@pytest.mark.postgres
def test_a_pool_of_one_is_borrowed_not_kept(pg_schema: str) -> None:
    config = Settings(database_url=f"{PG_URL}?schema={pg_schema}").store().library_env
    datastore = PostgresDatastore(
        dbname=config["POSTGRES_DBNAME"],
        host=config["POSTGRES_HOST"],
        port=config["POSTGRES_PORT"],
        user=config["POSTGRES_USER"],
        password=config["POSTGRES_PASSWORD"],
        schema=pg_schema,
        pool_size=1,
        max_overflow=0,
        connect_timeout=5,
    )
    open_datastore(pg_schema).close()  # creates the schema
    fast = FastPostgresApplicationRecorder(datastore, events_table_name="one_events")
    fast.create_table()
    try:
        case_id = uuid4()
        fast.insert_events([event(case_id, 1)])
        assert len(fast.select_events(case_id)) == 1  # would wait for the pool if kept
    finally:
        fast.close()
        datastore.close()
