"""Rebuilds on both stores: equal to the live view, never a failed or empty query while they
run, interrupted and run again, and runners that carry on into the new tables."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ledger.application import CaseLedger
from ledger.enums import RiskLevel
from projections import (
    CaseDirectory,
    ReadModels,
    ViewRunner,
    ViewStore,
    Visibility,
    open_view_store,
)
from projections.generations import BUILDING, DROPPED, Generations
from projections.rebuild import RebuildRunning, leftovers, rebuild
from projections.store import PostgresViewStore
from projections.view import LEDGER_NAME
from tests.integration.test_directory import Cases, cases, directory, runner, view_store
from tests.integration.test_projection_runner import record_access

__all__ = ["cases", "directory", "runner", "view_store"]  # fixtures shared with the directory

EVERYONE = Visibility.all()


def table_exists(store: ViewStore, name: str) -> bool:
    if isinstance(store, PostgresViewStore):
        rows = store.select("SELECT to_regclass(%s)", (f'"{store.schema}"."{name}"',))
        return rows[0][0] is not None
    return bool(store.select("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)))


def populate(cases: Cases, count: int) -> None:
    """Cases in every state the directory shows, and events it ignores."""
    for i in range(count):
        case = cases.open(team=("north", "south", "east")[i % 3], officer=f"cw-{i % 4}")
        if i % 2:
            cases.assess(case, RiskLevel.HIGH)
        if i % 3 == 0:
            cases.share(case, "Police")
        cases.note(case)
        record_access(cases.ledger, case.id)
        if i % 4 == 0:
            cases.close(case)
        if i % 8 == 0:
            cases.reopen(case)


def listed(directory: CaseDirectory) -> list[str]:
    return [e.reference for e in directory.list_cases(visibility=EVERYONE, limit=500).items]


@pytest.fixture
def other_store(ledger: CaseLedger) -> Iterator[ViewStore]:
    """Connections of their own: as another process would have."""
    store = open_view_store(ledger.store_config)
    yield store
    store.close()


# ------------------------------------------------------------------ equal to live


def test_a_rebuild_equals_the_live_view_and_takes_its_place(
    ledger: CaseLedger, cases: Cases, directory: CaseDirectory, runner: ViewRunner
) -> None:
    populate(cases, 12)
    runner.catch_up()
    live = directory.contents()
    assert len(live[0]) == 12
    steps: list[tuple[int, int]] = []

    report = rebuild(
        ledger,
        directory.store,
        CaseDirectory,
        page_size=7,
        keep_seconds=0,
        progress=lambda done, total: steps.append((done, total)),
        live=[directory],
    )

    head = runner.head()
    assert (report.tables, report.replaced, report.position) == ("_g1", "", head)
    assert report.events == head
    assert len(steps) == head // 7 + 1
    assert steps[-1] == (head, head)
    assert (directory.suffix, directory.view_name) == ("_g1", "case_directory_g1")
    assert directory.contents() == live
    assert table_exists(directory.store, "asb_view_case_directory_g1")
    assert not table_exists(directory.store, "asb_view_case_directory")
    assert not table_exists(directory.store, "asb_view_case_directory_shares")
    assert [(s.name, s.tables, s.position, s.lag) for s in runner.status()] == [
        ("case_directory", "_g1", head, 0)
    ]

    again = rebuild(ledger, directory.store, CaseDirectory, keep_seconds=0, live=[directory])
    assert (again.tables, again.replaced, directory.suffix) == ("_g2", "_g1", "_g2")
    assert directory.contents() == live
    assert not table_exists(directory.store, "asb_view_case_directory_g1")
    states = [(g.number, g.state) for g in Generations(directory.store).of("case_directory")]
    assert states == [(0, DROPPED), (1, DROPPED), (2, "active")]


def test_the_switch_brings_the_new_tables_up_to_the_old_ones_first(
    ledger: CaseLedger, cases: Cases, directory: CaseDirectory, runner: ViewRunner
) -> None:
    """Events saved (and processed live) after the replay's last page but before the
    switch reach the new tables inside the switch's transaction."""
    populate(cases, 4)
    runner.catch_up()
    late: list[str] = []

    def more_at_the_end(done: int, total: int) -> None:
        if done == total and not late:
            late.append(cases.open(team="north").reference)
            runner.catch_up()  # the live view is now ahead of the new tables

    report = rebuild(
        ledger,
        directory.store,
        CaseDirectory,
        page_size=5,
        keep_seconds=None,
        progress=more_at_the_end,
        live=[directory],
    )
    assert report.position == runner.head() == directory.position()
    assert late[0] in listed(directory)
    assert directory.suffix == "_g1"
    # The old tables were kept (keep_seconds=None) and hold the same rows.
    table = directory.store.table("asb_view_case_directory")
    old = directory.store.select(f"SELECT COUNT(*) FROM {table}")
    assert old[0][0] == len(listed(directory)) == 5


# ------------------------------------------------------------------ serving meanwhile


def test_queries_from_another_thread_never_fail_or_come_back_empty_during_a_rebuild(
    ledger: CaseLedger, cases: Cases, directory: CaseDirectory
) -> None:
    populate(cases, 30)
    models_runner = ViewRunner(ledger, [directory], interval=0.01)
    models_runner.catch_up()
    expected = len(listed(directory))
    answers: dict[str, int] = {}
    errors: list[BaseException] = []
    short: list[int] = []
    done = threading.Event()
    case_ids = list(cases.kits)

    def query() -> None:
        while not done.is_set():
            try:
                suffix = directory.suffix
                page = directory.list_cases(visibility=EVERYONE, limit=500)
                if len(page.items) < expected:
                    short.append(len(page.items))
                entry = directory.get(case_ids[len(answers) % len(case_ids)])
                if entry is None:
                    short.append(-1)
                answers[suffix] = answers.get(suffix, 0) + 1
            except BaseException as error:
                errors.append(error)
                return

    reader = threading.Thread(target=query)
    models_runner.start()  # the service's own runner keeps feeding the live view
    reader.start()
    try:
        opened: list[str] = []

        def slowly(position: int, head: int) -> None:
            time.sleep(0.01)  # overlap the reader with many pages
            if len(opened) < 3 and position > head // 2:
                opened.append(cases.open(team="north").reference)

        report = rebuild(
            ledger,
            directory.store,
            CaseDirectory,
            page_size=4,
            keep_seconds=0.3,
            progress=slowly,
            live=[directory],
        )
        time.sleep(0.2)
    finally:
        done.set()
        reader.join(10)
        models_runner.stop()
    assert errors == []
    assert short == []
    assert report.tables == "_g1"
    assert answers.get("", 0) > 10, answers  # many answers from the old tables ...
    assert answers.get("_g1", 0) > 3, answers  # ... and from the new ones, no gap between
    assert directory.wait_for(models_runner.head(), timeout=5.0)
    assert set(opened) <= set(listed(directory))


# ------------------------------------------------------------------ interrupted


@pytest.mark.parametrize("where", ["replay", "switch"])
def test_an_interrupted_rebuild_leaves_the_old_tables_serving_and_runs_again(
    ledger: CaseLedger,
    cases: Cases,
    directory: CaseDirectory,
    runner: ViewRunner,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    populate(cases, 6)
    runner.catch_up()
    live = directory.contents()
    calls: list[int] = []
    if where == "replay":
        real_insert = CaseDirectory.insert_case

        def fail_on_the_fourth(self: CaseDirectory, event: Any, position: int) -> None:
            calls.append(position)
            if len(calls) == 4:
                raise RuntimeError("injected")
            real_insert(self, event, position)

        monkeypatch.setattr(CaseDirectory, "insert_case", fail_on_the_fourth)
    else:

        def fail(*args: object) -> None:
            calls.append(0)
            raise RuntimeError("injected")

        monkeypatch.setattr(Generations, "switch", fail)

    with pytest.raises(RuntimeError, match="injected"):
        rebuild(ledger, directory.store, CaseDirectory, page_size=3, keep_seconds=0)
    assert calls

    # The old tables serve, and the half-built set is reported apart from them.
    directory.refresh()
    assert directory.suffix == ""
    assert directory.contents() == live
    head = runner.head()
    assert [(s.tables, s.position, s.lag) for s in runner.status()] == [("", head, 0)]
    [(half, position)] = leftovers(directory.store, "case_directory", ledger.name)
    assert (half.suffix, half.state) == ("_g1", BUILDING)
    assert 0 < position <= head
    assert table_exists(directory.store, "asb_view_case_directory_g1")

    # The live view is still fed; a second rebuild drops the half-built set and succeeds.
    monkeypatch.undo()
    late = cases.open(team="east")
    runner.catch_up()
    assert late.reference in listed(directory)
    live = directory.contents()
    report = rebuild(ledger, directory.store, CaseDirectory, keep_seconds=0, live=[directory])
    assert (report.tables, directory.suffix) == ("_g2", "_g2")
    assert directory.contents() == live
    assert not table_exists(directory.store, "asb_view_case_directory_g1")
    assert leftovers(directory.store, "case_directory", ledger.name) == []


def test_one_rebuild_of_a_view_at_a_time(
    ledger: CaseLedger, cases: Cases, directory: CaseDirectory, other_store: ViewStore
) -> None:
    cases.open()
    with other_store.exclusive("rebuild-case_directory") as held:
        assert held
        with pytest.raises(RebuildRunning, match="already running"):
            rebuild(ledger, directory.store, CaseDirectory, keep_seconds=0)
    assert directory.suffix == ""
    assert rebuild(ledger, directory.store, CaseDirectory, keep_seconds=0).tables == "_g1"


# ------------------------------------------------------------------ after the switch


def test_a_running_runner_carries_on_into_the_new_tables(
    ledger: CaseLedger, cases: Cases, other_store: ViewStore
) -> None:
    """The service's runner thread; the rebuild on connections of its own, as the
    ``projections rebuild`` command would be; the switch reaches the service by itself."""
    models = ReadModels.open(ledger, interval=0.02, switch_interval=0.05)
    try:
        populate(cases, 5)
        assert cases.last is not None
        models.directory.require(cases.last.position, timeout=5.0)
        before = listed(models.directory)

        report = rebuild(ledger, other_store, CaseDirectory, keep_seconds=None)
        assert report.tables == "_g1"
        deadline = time.monotonic() + 5.0
        while models.directory.suffix != "_g1" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert models.directory.suffix == "_g1"  # the watcher, with no query asking

        after = cases.open(team="west")
        cases.note(after)
        assert cases.last is not None
        page = models.directory.list_cases(
            visibility=EVERYONE, limit=100, min_position=cases.last.position
        )
        assert [e.reference for e in page.items] == [after.reference, *before]
        entry = models.directory.get(after.id)
        assert entry is not None
        assert entry.last_version == after.version
        assert models.runner.status()[0].tables == "_g1"
        # Nothing went into the old tables after the switch.
        table = other_store.table("asb_view_case_directory")
        assert other_store.select(f"SELECT COUNT(*) FROM {table}")[0][0] == len(before)
    finally:
        models.close()


def test_a_runner_bound_to_the_old_tables_writes_only_to_the_new_ones(
    ledger: CaseLedger, cases: Cases, directory: CaseDirectory, other_store: ViewStore
) -> None:
    """A runner elsewhere that has not heard of the switch: its next page locks its
    tracking row, sees the new generation, and goes there instead."""
    elsewhere = CaseDirectory(other_store)
    runner = ViewRunner(ledger, [elsewhere], page_size=3)
    populate(cases, 3)
    runner.catch_up()
    old_rows = len(listed(elsewhere))
    rebuild(ledger, directory.store, CaseDirectory, keep_seconds=None, live=[directory])
    assert elsewhere.suffix == ""

    late = cases.open(team="south")
    assert runner.catch_up() > 0
    assert elsewhere.suffix == "_g1"
    assert late.reference in listed(directory)
    assert directory.position() == runner.head()
    table = other_store.table("asb_view_case_directory")
    assert other_store.select(f"SELECT COUNT(*) FROM {table}")[0][0] == old_rows


def test_a_wait_for_a_position_follows_the_switch(
    ledger: CaseLedger, cases: Cases, directory: CaseDirectory, other_store: ViewStore
) -> None:
    """A query waiting on a view bound to the old tables reads the position of the new
    ones: a runner elsewhere feeds only those after the switch."""
    cases.open()
    directory.read_timeout = 0.05
    rebuild(ledger, other_store, CaseDirectory, keep_seconds=None)
    assert directory.suffix == ""  # nobody told this object yet
    cases.open(team="north")
    assert cases.last is not None
    elsewhere = CaseDirectory(other_store)
    assert elsewhere.suffix == "_g1"
    ViewRunner(ledger, [elsewhere]).catch_up()

    assert directory.wait_for(cases.last.position, timeout=2.0)
    assert directory.suffix == "_g1"
    assert len(listed(directory)) == 2


class Tuned(CaseDirectory):
    """A view with an option of its own and a helper that holds it, as other views have."""

    def __init__(
        self,
        store: ViewStore,
        *,
        suffix: str = "",
        application_name: str = LEDGER_NAME,
        limit: int = 10,
    ) -> None:
        self.limit = limit
        self.helper = object()
        self.cache: dict[str, int] = {}
        super().__init__(store, suffix=suffix, application_name=application_name)

    def switched(self) -> None:
        self.cache.clear()


def test_a_switch_replaces_table_names_only(
    ledger: CaseLedger, cases: Cases, view_store: ViewStore
) -> None:
    tuned = Tuned(view_store, limit=99)
    helper, tables = tuned.helper, (tuned.tables.rows, tuned.tables.shares)
    tuned.cache["seen"] = 1
    cases.open(team="north")
    rebuild(ledger, view_store, Tuned, keep_seconds=0, live=[tuned])
    assert (tuned.limit, tuned.helper) == (99, helper)
    assert (tuned.tables.rows, tuned.tables.shares) == tuple(t[:-1] + '_g1"' for t in tables)
    assert (tuned.suffix, tuned.view_name, tuned.cache) == ("_g1", "case_directory_g1", {})
    assert len(listed(tuned)) == 1


def test_read_models_rebuild_switches_their_own_view_at_once(
    ledger: CaseLedger, cases: Cases
) -> None:
    models = ReadModels.open(ledger, run=False, switch_interval=60)
    try:
        cases.open(team="north")
        models.runner.catch_up()
        before = models.directory.contents()
        report = models.rebuild("case_directory", page_size=2, keep_seconds=0)
        assert report.tables == models.directory.suffix == "_g1"
        assert models.directory.contents() == before
    finally:
        models.close()
