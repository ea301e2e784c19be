"""The view runner on both stores: live, catching up, exactly once, and whole pages or nothing."""

from __future__ import annotations

import threading
import time
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError, Tracking
from structlog.testing import capture_logs

from ledger.access import AccessRecord
from ledger.application import CaseLedger
from ledger.enums import AccessOutcome, AccessPurpose, RiskLevel
from ledger.idempotency import IdempotencyClaim
from projections import (
    CaseDirectory,
    ReadModels,
    UnsupportedStore,
    ViewRunner,
    ViewStore,
    Visibility,
    open_view_store,
)
from tests.builders import CASEWORKER, T0
from tests.integration.test_directory import Cases, cases, directory, runner, view_store

__all__ = ["cases", "directory", "runner", "view_store"]  # fixtures shared with the directory

EVERYONE = Visibility.all()


def record_access(ledger: CaseLedger, case_id: Any, grant_id: UUID | None = None) -> int:
    """A read of the case by a caseworker (or, under ``grant_id``, a break-glass read)."""
    return ledger.record_access(
        AccessRecord.record(
            grant_id=grant_id,
            actor=CASEWORKER,
            occurred_at=T0,
            request_id=str(uuid4()),
            case_id=case_id,
            case_version=1,
            view="case",
            purpose=AccessPurpose.CASE_MANAGEMENT,
            subjects=(),
            outcome=AccessOutcome.GRANTED,
            reason=None,
        )
    )


def listed(directory: CaseDirectory) -> list[str]:
    return [e.reference for e in directory.list_cases(visibility=EVERYONE, limit=500).items]


# ------------------------------------------------------------------ live and catching up


def test_the_runner_thread_shows_new_cases_within_a_bounded_wait(
    cases: Cases, directory: CaseDirectory, runner: ViewRunner
) -> None:
    runner.start()
    opened = [cases.open(team="north") for _ in range(3)]
    deadline = time.monotonic() + 5.0
    while len(listed(directory)) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert listed(directory) == [c.reference for c in reversed(opened)]

    cases.close(opened[0])
    assert cases.last is not None
    assert directory.wait_for(cases.last.position, timeout=5.0)
    entry = directory.get(opened[0].id)
    assert entry is not None
    assert entry.status == "closed"


def test_wait_for_is_bounded_and_true_once_the_view_has_the_position(
    cases: Cases, directory: CaseDirectory, runner: ViewRunner
) -> None:
    assert directory.wait_for(0, timeout=0.0)
    cases.open()
    assert cases.last is not None
    started = time.monotonic()
    assert not directory.wait_for(cases.last.position, timeout=0.2)
    assert 0.15 < time.monotonic() - started < 2.0
    runner.catch_up()
    assert directory.wait_for(cases.last.position, timeout=0.0)
    assert not directory.wait_for(runner.head() + 1, timeout=0.05)


def test_catch_up_processes_only_what_is_new_and_counts_it(
    ledger: CaseLedger, cases: Cases, directory: CaseDirectory, runner: ViewRunner
) -> None:
    first = cases.open(team="north")
    assert runner.catch_up() == runner.head() == 3  # index, opening, assignment
    assert runner.catch_up() == 0

    cases.assign(first, "south")
    second = cases.open()
    cases.note(second)
    assert runner.catch_up() == 4
    assert listed(directory) == [second.reference, first.reference]
    assert [(s.name, s.position, s.lag) for s in runner.status()] == [
        ("case_directory", runner.head(), 0)
    ]


def test_tracking_reaches_the_head_when_the_last_events_are_ignored(
    ledger: CaseLedger, cases: Cases, directory: CaseDirectory, runner: ViewRunner
) -> None:
    case = cases.open(team="north")
    for _ in range(9):  # more than a page (7) of events the view ignores, at the end
        record_access(ledger, case.id)
    claim = IdempotencyClaim(
        actor=CASEWORKER, key="k-1", command="assign", fingerprint="f", occurred_at=T0
    )
    cases.assign(case, "south", claim=claim)
    record_access(ledger, case.id)
    head = runner.head()
    assert head == 15

    assert runner.catch_up() == head
    assert directory.position() == head
    assert runner.status()[0].lag == 0
    entry = directory.get(case.id)
    assert entry is not None
    assert (entry.team, entry.last_version) == ("south", 3)


# ------------------------------------------------------------------ exactly once


def test_delivering_the_same_page_again_changes_nothing(
    ledger: CaseLedger, cases: Cases, directory: CaseDirectory, runner: ViewRunner
) -> None:
    case = cases.open(team="north", officer="cw-1")
    cases.share(case, "Police")
    cases.close(case)
    notes = ledger.recorder.select_notifications(1, 100)
    assert runner.deliver(directory, notes[:3]) == 3
    assert runner.deliver(directory, notes) == len(notes) - 3  # the overlap is passed over
    before = directory.contents()

    assert runner.deliver(directory, notes) == 0
    assert runner.run_page([directory]) == (0, 0)
    assert directory.contents() == before
    assert directory.position() == notes[-1].id


def test_an_old_position_is_refused_and_the_rows_ignore_events_they_have(
    ledger: CaseLedger,
    cases: Cases,
    directory: CaseDirectory,
    runner: ViewRunner,
    view_store: ViewStore,
) -> None:
    case = cases.open(team="north", officer="cw-1")
    cases.share(case, "Police")
    cases.assess(case, RiskLevel.HIGH)
    cases.close(case)
    runner.catch_up()
    before = directory.contents()
    notes = ledger.recorder.select_notifications(1, 100)
    projection = directory.projection()
    last = ledger.mapper.to_domain_event(notes[-1])

    # The tracking: a position already processed is an IntegrityError; the page rolls back.
    with pytest.raises(IntegrityError), directory.page():
        projection.process_event(last, Tracking(ledger.name, notes[-1].id))
    assert directory.contents() == before
    assert directory.position() == notes[-1].id

    # The rows: every event applied again, newest first (past the tracking), changes nothing.
    twice = CaseDirectory(view_store, suffix="_twice")
    projection = twice.projection()
    head = notes[-1].id
    first = [(note, note.id) for note in notes]
    again = [(note, head + i) for i, note in enumerate(reversed(notes), start=1)]
    with twice.page():
        for delivery in (first, again):
            for note, position in delivery:
                tracking = Tracking(ledger.name, position)
                if note.topic in projection.topics:
                    projection.process_event(ledger.mapper.to_domain_event(note), tracking)
                else:
                    projection.skip(tracking)
    assert twice.contents() == before


def test_a_failure_mid_page_leaves_neither_rows_nor_tracking(
    cases: Cases, directory: CaseDirectory, runner: ViewRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner.page_size = 100
    for team in ("north", "south", "east"):
        cases.open(team=team)
    real = CaseDirectory.insert_case
    calls: list[int] = []

    def fail_on_the_third(self: CaseDirectory, event: Any, position: int) -> None:
        calls.append(position)
        if len(calls) == 3:
            raise RuntimeError("injected")
        real(self, event, position)

    monkeypatch.setattr(CaseDirectory, "insert_case", fail_on_the_third)
    with pytest.raises(RuntimeError, match="injected"):
        runner.catch_up()
    assert len(calls) == 3
    assert directory.contents() == ([], [])
    assert directory.position() == 0

    monkeypatch.setattr(CaseDirectory, "insert_case", real)
    assert runner.catch_up() == runner.head()
    assert len(listed(directory)) == 3


def test_two_runners_of_one_view_process_each_event_once(
    ledger: CaseLedger, cases: Cases, directory: CaseDirectory
) -> None:
    """As a service and an ``asb-ledger projections run`` process would, on separate
    connections to the same tables."""
    for i in range(12):
        case = cases.open(team="north" if i % 2 else "south")
        cases.note(case)
    other_store = open_view_store(ledger.store_config)
    try:
        other = CaseDirectory(other_store)
        runners = [
            ViewRunner(ledger, [directory], page_size=3),
            ViewRunner(ledger, [other], page_size=3),
        ]
        counts = [0, 0]
        errors: list[BaseException] = []
        barrier = threading.Barrier(2)

        def run(i: int) -> None:
            barrier.wait()
            try:
                counts[i] = runners[i].catch_up()
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == []
        assert sum(counts) == runners[0].head()
        assert other.position() == directory.position() == runners[0].head()
        assert [e.last_version for e in directory.contents()[0]] == [3] * 12
    finally:
        other_store.close()


# ------------------------------------------------------------------ the thread


def test_the_thread_logs_a_failure_backs_off_and_recovers(
    cases: Cases,
    directory: CaseDirectory,
    ledger: CaseLedger,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner = ViewRunner(ledger, [directory], interval=0.01, max_backoff=0.05)
    real = CaseDirectory.insert_case
    failures: list[int] = []

    def flaky(self: CaseDirectory, event: Any, position: int) -> None:
        if len(failures) < 3:
            failures.append(position)
            raise RuntimeError(f"reference {event.reference} is personal-ish")
        real(self, event, position)

    monkeypatch.setattr(CaseDirectory, "insert_case", flaky)
    case = cases.open()
    assert cases.last is not None
    with capture_logs() as logs:
        runner.start()
        try:
            assert directory.wait_for(cases.last.position, timeout=5.0)
        finally:
            runner.stop()
    failed = [e for e in logs if e["event"] == "projection.failed"]
    assert len(failed) == 3
    assert [e["attempt"] for e in failed] == [1, 2, 3]
    assert all(e["error"] == "RuntimeError" for e in failed)
    assert case.reference not in repr(logs)
    assert any(e["event"] == "projection.recovered" for e in logs)
    assert listed(directory) == [case.reference]


def test_the_thread_survives_the_log_being_unreadable(
    cases: Cases, directory: CaseDirectory, ledger: CaseLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = ViewRunner(ledger, [directory], interval=0.01, max_backoff=0.05)
    real = runner.head
    calls: list[int] = []

    def unreachable() -> int:
        calls.append(1)
        if len(calls) <= 2:
            raise ConnectionError("database unreachable")
        return real()

    monkeypatch.setattr(runner, "head", unreachable)
    cases.open()
    assert cases.last is not None
    with capture_logs() as logs:
        runner.start()
        try:
            assert directory.wait_for(cases.last.position, timeout=5.0)
        finally:
            runner.stop()
    failed = [e for e in logs if e["event"] == "projections.read_failed"]
    assert [(e["error"], e["attempt"]) for e in failed] == [
        ("ConnectionError", 1),
        ("ConnectionError", 2),
    ]


def test_stop_is_prompt_and_a_runner_starts_once(ledger: CaseLedger, runner: ViewRunner) -> None:
    runner.interval = 30.0
    runner.start()
    with pytest.raises(RuntimeError, match="already running"):
        runner.start()
    time.sleep(0.05)
    started = time.monotonic()
    runner.stop()
    assert time.monotonic() - started < 1.0
    assert not runner.running
    runner.start()  # and again after a stop
    assert runner.running


def test_read_models_open_run_and_close_with_the_ledger(cases: Cases, ledger: CaseLedger) -> None:
    models = ReadModels.open(ledger, interval=0.02)
    try:
        assert models.runner.running
        case = cases.open(team="north")
        assert cases.last is not None
        page = models.directory.list_cases(
            visibility=Visibility(teams=frozenset({"north"})),
            limit=10,
            min_position=cases.last.position,
        )
        assert [e.case_id for e in page.items] == [case.id]
    finally:
        models.close()
    assert not models.runner.running


def test_views_refuse_the_in_memory_store(memory_ledger: CaseLedger) -> None:
    with pytest.raises(UnsupportedStore, match="memory"):
        open_view_store(memory_ledger.store_config)


def test_a_runner_needs_distinct_views(ledger: CaseLedger, view_store: ViewStore) -> None:
    directory = CaseDirectory(view_store)
    with pytest.raises(ValueError, match="distinct"):
        ViewRunner(ledger, [directory, CaseDirectory(view_store)])
    with pytest.raises(ValueError, match="distinct"):
        ViewRunner(ledger, [])


def test_a_rebuild_beside_the_live_view_has_its_own_tables_and_tracking(
    cases: Cases, ledger: CaseLedger, directory: CaseDirectory, view_store: ViewStore
) -> None:
    case = cases.open(team="north")
    cases.share(case, "Police")
    ViewRunner(ledger, [directory]).catch_up()
    fresh = CaseDirectory(view_store, suffix="_rebuild")
    assert fresh.position() == 0
    assert fresh.contents() == ([], [])
    ViewRunner(ledger, [fresh]).catch_up()
    assert fresh.contents() == directory.contents()
    assert fresh.position() == directory.position()
    cases.close(case)
    both = ViewRunner(ledger, [directory, fresh])
    assert both.catch_up() == 2
    assert fresh.contents() == directory.contents()
