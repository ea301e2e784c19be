"""Rebuilds a view from position 0 into new tables beside the serving ones, then switches over.

1. One rebuild of a view at a time, in any process (``ViewStore.exclusive``).
2. What earlier rebuilds left is dropped: a half-built set (interrupted) or a retired set
   whose grace period was cut short. Their tracking rows go with them.
3. A new generation ``_g<n>`` is begun; its tables and tracking row start at position 0.
4. The log is replayed in pages (``page_size`` notifications, one transaction each), read
   as it goes, so memory stays flat however long the log.
5. The switch-over is one transaction: it locks the serving tables' tracking row (so no
   runner writes them meanwhile), brings the new tables up to that position if they are
   behind, and makes the new generation active. Every process sees old or new, never a
   mix, and the new tables are never behind what the old ones showed.
6. After ``keep_seconds`` (for queries already running on them, and for processes to notice
   the switch: they check at least once a second), the old tables are dropped.

Interrupted before 5 (an error, Ctrl-C, a killed process), nothing changes for readers; the
next rebuild starts again from step 2.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import structlog

from ledger.application import CaseLedger
from projections.generations import ACTIVE, BUILDING, DROPPED, RETIRED, Generation, Generations
from projections.runner import ViewRunner
from projections.store import ViewStore, Writer
from projections.view import TRACKING_TABLE, View

log = structlog.get_logger("projections")

Progress = Callable[[int, int], None]
"""Called after each page with (position reached, head of the log)."""


class RebuildRunning(RuntimeError):
    """Another rebuild of the same view holds its lock."""

    def __init__(self, name: str) -> None:
        super().__init__(f"a rebuild of {name} is already running")
        self.name = name


@dataclass(frozen=True)
class RebuildReport:
    """What a rebuild did."""

    view: str
    tables: str
    """The new tables' suffix."""
    replaced: str
    """The old tables' suffix (empty for the first set)."""
    events: int
    """Notifications processed into the new tables."""
    position: int
    seconds: float
    """From the first page to the switch-over, the grace period not included."""
    dropped: bool
    """Whether the old tables were dropped (not when ``keep_seconds`` is None)."""


def rebuild(
    ledger: CaseLedger,
    store: ViewStore,
    kind: type[View],
    *,
    page_size: int = 500,
    keep_seconds: float | None = 10.0,
    progress: Progress | None = None,
    live: Sequence[View] = (),
    sleep: Callable[[float], None] = time.sleep,
) -> RebuildReport:
    """Replays the whole log into new tables for ``kind``, then switches every process over.

    ``live`` views in this process re-bind at once (others within a second, or on their
    next page or position read). ``keep_seconds=None`` leaves the old tables for the next
    rebuild to drop. Raises ``RebuildRunning`` if another rebuild of the view holds its lock.
    """
    if page_size < 1 or (keep_seconds is not None and keep_seconds < 0):
        raise ValueError("page_size must be at least 1 and keep_seconds not negative")
    name = kind.name
    with store.exclusive(f"rebuild-{name}") as mine:
        if not mine:
            raise RebuildRunning(name)
        kind(store, application_name=ledger.name)  # the shared tables and generation 0
        generations = Generations(store)
        for left in generations.of(name):
            if left.state in (BUILDING, RETIRED):
                _drop(store, kind, left, ledger.name)
        generation = generations.begin(name)
        target = kind(store, suffix=generation.suffix, application_name=ledger.name)
        runner = ViewRunner(ledger, [target], page_size=page_size)
        log.info("projection.rebuild_started", view=name, tables=generation.suffix)
        started = time.monotonic()
        events = 0
        while True:
            head = runner.head()
            read, processed = runner.run_page([target])
            events += processed
            if progress is not None:
                progress(target.known_position, max(head, target.known_position))
            if read < page_size:
                break
        old, caught_up = _switch(runner, target, generations, generation)
        events += caught_up
        position = target.position()
        seconds = time.monotonic() - started
        log.info(
            "projection.switched",
            view=name,
            tables=generation.suffix,
            replaced=old.suffix or "(first)",
            events=events,
            position=position,
            seconds=round(seconds, 3),
        )
        for view in live:
            view.refresh()
        if keep_seconds is not None:
            sleep(keep_seconds)
            _drop(store, kind, old, ledger.name)
    return RebuildReport(
        view=name,
        tables=generation.suffix,
        replaced=old.suffix,
        events=events,
        position=position,
        seconds=seconds,
        dropped=keep_seconds is not None,
    )


def leftovers(store: ViewStore, name: str, application: str) -> list[tuple[Generation, int]]:
    """A view's tables that do not serve and are not dropped yet, with their positions:
    a rebuild running or interrupted (``building``) or old tables in their grace period."""
    generations = Generations(store)
    found = []
    for generation in generations.of(name):
        if generation.state in (BUILDING, RETIRED):
            rows = store.select(
                store.sql(
                    f"SELECT notification_id FROM {store.table(TRACKING_TABLE)}"  # noqa: S608
                    " WHERE view_name = ? AND application_name = ?"
                ),
                (name + generation.suffix, application),
            )
            found.append((generation, int(rows[0][0]) if rows else 0))
    return found


def _switch(
    runner: ViewRunner, target: View, generations: Generations, generation: Generation
) -> tuple[Generation, int]:
    """Makes ``generation`` active in one transaction; returns the old one and how many
    notifications it processed to reach the old tables' position first."""
    store = target.store
    tracking = store.table(TRACKING_TABLE)
    old = generations.active(generation.view_name)
    events = 0
    with store.transaction() as tx:
        serving = _locked_position(
            tx, store, tracking, generation.view_name + old.suffix, target.application_name
        )
        reached = _locked_position(tx, store, tracking, target.view_name, target.application_name)
        while reached < serving:
            notes = runner.recorder.select_notifications(reached + 1, runner.page_size, serving)
            if not notes:
                break
            events += runner.deliver(target, notes, writer=tx)
            reached = notes[-1].id
        generations.switch(tx, generation.view_name, generation.number)
    return replace(old, state=RETIRED), events


def _locked_position(
    tx: Writer, store: ViewStore, tracking: str, view_name: str, application_name: str
) -> int:
    row = tx.fetchone(
        store.sql(
            f"SELECT notification_id FROM {tracking}"  # noqa: S608 - names from code
            " WHERE view_name = ? AND application_name = ?" + store.lock_row
        ),
        (view_name, application_name),
    )
    return int(row[0]) if row is not None else 0


def _drop(store: ViewStore, kind: type[View], generation: Generation, application: str) -> None:
    """Drops a set of tables that no longer serves, with its tracking row."""
    if generation.state == ACTIVE:
        raise ValueError(f"view {generation.view_name}: the active tables are never dropped")
    store.drop(kind.tables_named(store, generation.suffix).owned())
    with store.transaction() as tx:
        tx.execute(
            store.sql(
                f"DELETE FROM {store.table(TRACKING_TABLE)}"  # noqa: S608 - names from code
                " WHERE view_name = ? AND application_name = ?"
            ),
            (generation.view_name + generation.suffix, application),
        )
    Generations(store).mark(generation.view_name, generation.number, DROPPED)
    log.info(
        "projection.tables_dropped",
        view=generation.view_name,
        tables=generation.suffix or "(first)",
        was=generation.state,
    )
