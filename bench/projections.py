"""Projection catch-up and rebuild on both stores, against a raw loop that writes the same rows.

Catch-up: ``ViewRunner(ledger, [view], page_size=500).catch_up()`` into a fresh set of the
view's tables (its own ``suffix`` and tracking row), from position 0 to the head, timed;
interleaved round by round with the raw loop, into another fresh set. The raw loop:
- reads the same notifications the same way, ``recorder.select_notifications(start, 500)``;
- skips the topics the view does not read, as the runner does, and for the rest parses the
  stored JSON with ``json.loads`` and takes the fields it needs straight from the dicts
  (no transcoding, no domain event objects, no dispatch): decoding is part of the work, and
  this is the least of it that still knows what to write;
- writes the same statements with the same parameters (adjacent runs of one statement as one
  ``executemany``), and the tracking position once, in one transaction per page: its own
  ``sqlite3`` connection, or a psycopg connection in a pipeline. Where a view holds a page's
  rows and sends them folded at its end (the directory per case, the statistics per table),
  the raw loop does the same fold, by hand, with plain dicts and lists.
For the directory, the raw loop it was first measured against (one statement per event) runs
in the same rounds as context.
The raw loops are in ``bench/projections_raw.py``. After the rounds, the product's and the
raw loops' tables are compared row for row (``contents()``): they must be equal, so the raw
loops are doing the same work.

Rebuild: ``projections.rebuild.rebuild`` of every view in the catalogue in turn (each
replays the whole log into new tables, then switches over), in a fresh process, so its peak
resident memory (``ru_maxrss``) is the rebuild's own; ``tracemalloc`` peaks are taken in a
second run (tracemalloc slows allocation, so those runs are not timed).

The ledger is made by ``bench.population`` through the real aggregate (about 15
notifications per case, a fifth of them events no view reads).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import multiprocessing
import os
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from eventsourcing.persistence import Notification

from bench.common import Figure, Store, quiet_logging, store
from bench.population import fill
from bench.projections_raw import CONTEXT, PAGE, RAW, RawLoop, RawWriter
from ledger.application import CaseLedger
from ledger.settings import Settings
from projections.catalog import VIEW_TYPES
from projections.directory.projection import CaseDirectory
from projections.runner import ViewRunner
from projections.stats.projection import AnalystStats
from projections.store import ViewStore, open_view_store
from projections.view import TRACKING_TABLE, View

TARGET = 0.5
EVENTS = 100_000
QUICK_EVENTS = 10_000
MILLION = 1_000_000


# ------------------------------------------------------------------ catch-up


def _drop(view: View) -> None:
    view.store.drop(view.owned_tables())
    with view.store.transaction() as tx:
        tx.execute(
            view.store.sql(
                f"DELETE FROM {view.store.table(TRACKING_TABLE)}"
                " WHERE view_name = ? AND application_name = ?"
            ),
            (view.view_name, view.application_name),
        )


def _product(ledger: CaseLedger, views: Sequence[View]) -> tuple[int, float]:
    runner = ViewRunner(ledger, views, page_size=PAGE)
    t0 = time.perf_counter()
    runner.catch_up()
    elapsed = time.perf_counter() - t0
    return views[0].position(), elapsed


def _raw(
    ledger: CaseLedger, where: Store, view: View, writer: Callable[[View], RawWriter]
) -> tuple[int, float]:
    loop = RawLoop(ledger, where, writer(view))
    try:
        t0 = time.perf_counter()
        done = loop.run()
        return done, time.perf_counter() - t0
    finally:
        loop.close()


def catch_up(
    ledger: CaseLedger,
    where: Store,
    views: ViewStore,
    kind: type[View],
    rounds: int,
    raw: Callable[[View], RawWriter] | None = None,
) -> list[Figure]:
    """The product against the raw loop (``raw``, else the view's in ``RAW``; and a context
    loop, for the directory), ``rounds`` interleaved rounds after one warm-up, each into
    fresh tables; then the last round's sets of tables compared."""
    head = ledger.recorder.max_notification_id() or 0
    writers: dict[str, Callable[[View], RawWriter]] = {"raw": raw or RAW[kind.name]}
    if kind.name in CONTEXT:
        writers["context"] = CONTEXT[kind.name][1]
    rates: dict[str, list[float]] = {"product": [], **{name: [] for name in writers}}
    for round_ in range(rounds + 1):
        order = [
            (name, kind(views, suffix=f"_bench_{name[0]}{round_}", application_name=ledger.name))
            for name in rates
        ]
        for name, view in order if round_ % 2 == 0 else reversed(order):
            gc.collect()
            done, elapsed = (
                _product(ledger, [view])
                if name == "product"
                else _raw(ledger, where, view, writers[name])
            )
            assert done == head, (name, done, head)
            if round_ > 0:
                rates[name].append(head / elapsed)
        if round_ == rounds:
            ours = order[0][1].contents()  # type: ignore[attr-defined]
            for name, view in order[1:]:
                same = view.contents() == ours  # type: ignore[attr-defined]
                assert same, f"{kind.name}: the {name} loop's rows differ from the product's"
        for _, view in order:
            _drop(view)
    product = rates["product"]

    def ratio(to: str) -> float:
        return statistics.median(p / r for p, r in zip(product, rates[to], strict=True))

    label = f"{kind.name}, {head:,} events"
    figures = [
        Figure(
            "projections",
            where.kind,
            f"raw loop: {label}",
            statistics.median(rates["raw"]),
            "events/s",
            1.0,
            note=f"{rounds} interleaved rounds; json.loads, same statements, page of 500",
        ),
        Figure(
            "projections",
            where.kind,
            f"catch-up (ViewRunner): {label}",
            statistics.median(product),
            "events/s",
            ratio("raw"),
            baseline="raw loop",
            target=TARGET,
            note="rows equal to the raw loop's",
        ),
    ]
    if "context" in rates:
        figures.append(
            Figure(
                "projections",
                where.kind,
                f"{CONTEXT[kind.name][0]}: {label}",
                statistics.median(rates["context"]),
                "events/s",
                note=f"context; the catch-up is {ratio('context'):.2f}x of it; rows equal",
            )
        )
    return figures


def every_view(ledger: CaseLedger, where: Store, views: ViewStore) -> list[Figure]:
    """All the catalogue's views in one runner (each notification decoded once for all)."""
    head = ledger.recorder.max_notification_id() or 0
    fresh = [kind(views, suffix="_bench_all", application_name=ledger.name) for kind in VIEW_TYPES]
    try:
        _, elapsed = _product(ledger, fresh)
    finally:
        for view in fresh:
            _drop(view)
    names = ", ".join(kind.name for kind in VIEW_TYPES)
    return [
        *_reads(ledger, where),
        Figure(
            "projections",
            where.kind,
            f"catch-up, all {len(VIEW_TYPES)} views in one runner, {head:,} events",
            head / elapsed,
            "events/s",
            note=names,
        ),
    ]


def _reads(ledger: CaseLedger, where: Store) -> list[Figure]:
    """What reading alone costs: the pages, then each notification parsed or decoded."""
    head = ledger.recorder.max_notification_id() or 0
    decoders: dict[str, Callable[[Notification], object] | None] = {
        "read the notifications, pages of 500": None,
        "read and json.loads every notification": lambda note: json.loads(note.state),
        "read and decode every notification (mapper)": ledger.mapper.to_domain_event,
    }
    figures = []
    for label, decode in decoders.items():
        t0 = time.perf_counter()
        start = 1
        while notes := ledger.recorder.select_notifications(start, PAGE):
            if decode is not None:
                for note in notes:
                    decode(note)
            start = notes[-1].id + 1
        rate = head / (time.perf_counter() - t0)
        figures.append(
            Figure(
                "projections", where.kind, f"{label}, {head:,}", rate, "events/s", note="context"
            )
        )
    return figures


# ------------------------------------------------------------------ rebuild


def _rebuild_job(settings: Settings, names: list[str], trace: bool) -> dict[str, Any]:
    """In a fresh process: rebuilds the named views in turn; times, and peak memory."""
    from projections.rebuild import rebuild

    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the process's own log lines
    quiet_logging()
    ledger = CaseLedger(settings)
    views = open_view_store(ledger.store_config)
    kinds = [kind for kind in VIEW_TYPES if kind.name in names]
    try:
        for kind in kinds:
            kind(views, application_name=ledger.name)
        gc.collect()
        start_rss = _memory("VmRSS")
        if trace:
            tracemalloc.start()
        found: dict[str, Any] = {"views": {}, "start_rss_kb": start_rss}
        for kind in kinds:
            if trace:
                tracemalloc.reset_peak()
            t0 = time.perf_counter()
            report = rebuild(ledger, views, kind, page_size=PAGE, keep_seconds=0)
            elapsed = time.perf_counter() - t0
            peak = tracemalloc.get_traced_memory()[1] if trace else None
            found["views"][kind.name] = {
                "events": report.events,
                "seconds": elapsed,
                "traced_peak": peak,
            }
        found["peak_rss_kb"] = _memory("VmHWM")
        return found
    finally:
        views.close()
        ledger.close()


def _memory(field: str) -> int:
    """A line of ``/proc/self/status`` in kB: ``VmHWM`` is this process's peak resident
    memory since it started (``ru_maxrss`` would count the parent's, kept across exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _in_process(settings: Settings, names: list[str], trace: bool) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        result: dict[str, Any] = pool.apply(_rebuild_job, (settings, names, trace))
    return result


def rebuilds(
    ledger: CaseLedger, where: Store, kinds: Sequence[type[View]], *, trace: bool
) -> list[Figure]:
    head = ledger.recorder.max_notification_id() or 0
    names = [kind.name for kind in kinds]
    timed = _in_process(ledger.settings, names, False)
    traced_names = [kind.name for kind in RAW_KINDS if kind in kinds]
    traced = _in_process(ledger.settings, traced_names, True) if trace else None
    figures = []
    total = 0.0
    for name, result in timed["views"].items():
        total += result["seconds"]
        note = f"{result['events']:,} notifications replayed"
        if traced is not None and name in traced["views"]:
            note += f"; tracemalloc peak {traced['views'][name]['traced_peak'] / 2**20:.1f} MiB"
        figures.append(
            Figure(
                "projections",
                where.kind,
                f"rebuild {name}, {head:,} events",
                result["seconds"],
                "s",
                note=note,
            )
        )
    grown = (timed["peak_rss_kb"] - timed["start_rss_kb"]) / 1024
    figures.append(
        Figure(
            "projections",
            where.kind,
            f"rebuild all {len(timed['views'])} views in turn, {head:,} events",
            total,
            "s",
            note=f"peak RSS {timed['peak_rss_kb'] / 1024:.0f} MiB, of which"
            f" {grown:.0f} MiB over the process before the first rebuild",
        )
    )
    return figures


# ------------------------------------------------------------------ the section

RAW_KINDS: tuple[type[View], ...] = (CaseDirectory, AnalystStats)


def run(
    stores: list[str], seconds: float, *, quick: bool = False, million: bool = False
) -> list[Figure]:
    """The section for ``bench.run``: catch-up ratios and rebuilds of every view at 100,000
    events (10,000 with ``quick``); with ``million``, rebuilds of the case directory and the
    statistics at 1,000,000 too (every view there takes over ten minutes on PostgreSQL)."""
    del seconds  # rounds, not seconds, bound these runs
    events = QUICK_EVENTS if quick else EVENTS
    rounds = 1 if quick else 3
    figures = _measure(stores, events, rounds=rounds, trace=not quick, kinds=VIEW_TYPES)
    if million:
        figures += _measure(stores, MILLION, rounds=0, trace=False, kinds=RAW_KINDS)
    return figures


def _measure(
    stores: list[str],
    events: int,
    *,
    rounds: int,
    trace: bool,
    kinds: Sequence[type[View]],
) -> list[Figure]:
    figures: list[Figure] = []
    with _stores(stores) as wheres:
        ledgers = [where.ledger() for where in wheres]
        try:
            t0 = time.perf_counter()
            head = fill(ledgers, events)
            built = time.perf_counter() - t0
            print(f"    {head:,} notifications made in {built:.0f} s", file=sys.stderr)
            for where, ledger in zip(wheres, ledgers, strict=True):
                views = open_view_store(ledger.store_config)
                try:
                    if rounds:
                        for kind in RAW_KINDS:
                            figures += catch_up(ledger, where, views, kind, rounds)
                        figures += every_view(ledger, where, views)
                finally:
                    views.close()
                figures += rebuilds(ledger, where, kinds, trace=trace)
        finally:
            for ledger in ledgers:
                ledger.close()
    return figures


@contextlib.contextmanager
def _stores(kinds: list[str]) -> Iterator[list[Store]]:
    """Several ``bench.common.store`` contexts at once."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(store(kind)) for kind in kinds]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.projections", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--million", action="store_true", help="rebuilds at 1,000,000 too")
    parser.add_argument(
        "--million-only", action="store_true", help="only the rebuilds at 1,000,000"
    )
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args(argv)
    from bench.run import table

    quiet_logging()
    stores = args.stores.split(",")
    if args.million_only:
        found = _measure(stores, MILLION, rounds=0, trace=False, kinds=RAW_KINDS)
    else:
        found = run(stores, 0.0, quick=args.quick, million=args.million)
    print(table(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
