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
  ``sqlite3`` connection, or a psycopg connection in a pipeline.
After the rounds, the product's and the raw loop's tables are compared row for row
(``contents()``): they must be equal, so the raw loop is doing the same work.

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
import sqlite3
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import Notification

from bench.common import Figure, Store, quiet_logging, store
from bench.population import fill
from ledger.application import CaseLedger
from ledger.settings import Settings
from projections.catalog import VIEW_TYPES
from projections.directory import CaseDirectory
from projections.runner import ViewRunner
from projections.stats import AnalystStats
from projections.stats_model import subject_token
from projections.store import ViewStore, open_view_store
from projections.view import TRACKING_TABLE, View

TARGET = 0.5
PAGE = 500
EVENTS = 100_000
QUICK_EVENTS = 10_000
MILLION = 1_000_000
Statement = tuple[str, tuple[object, ...]]


# ------------------------------------------------------------------ the raw loops


def _data(value: Any) -> Any:
    return value["_data_"] if isinstance(value, dict) else value


def _uuid(value: Any) -> UUID:
    return UUID(_data(value))


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


class RawWriter:
    """What a view writes for one notification, worked out from the stored JSON directly."""

    view: type[View]
    topics: frozenset[str]

    def __init__(self, target: View) -> None:
        self.store = target.store
        self.target = target

    def param(self, value: object) -> object:
        return self.store.uuid_param(value if isinstance(value, UUID) else UUID(str(value)))

    def rows(self, note: Notification, state: dict[str, Any]) -> list[Statement]:
        """Statements to send for one notification, in order (or none, if held back)."""
        raise NotImplementedError

    def flush(self) -> list[Statement]:
        """Statements held back until the end of the page."""
        return []


class RawDirectory(RawWriter):
    view = CaseDirectory

    def __init__(self, target: View) -> None:
        super().__init__(target)
        self.topics = frozenset(target.projection().topics)
        t = self.store.table
        self.rows_table = t("asb_view_case_directory" + target.suffix)
        self.shares = t("asb_view_case_directory_shares" + target.suffix)
        self.insert = (
            f"INSERT INTO {self.rows_table} (case_id, reference, status, team, officer,"
            " lead_department, category, risk_level, received_at, opened_position,"
            " last_version, last_event_at) VALUES (?, ?, 'open', NULL, NULL, ?, ?, NULL, ?, ?,"
            " ?, ?) ON CONFLICT (case_id) DO NOTHING"
        )
        self.share = (
            f"INSERT INTO {self.shares} (case_id, organisation) VALUES (?, ?)"
            " ON CONFLICT DO NOTHING"
        )

    def update(self, note: Notification, state: dict[str, Any], **columns: object) -> Statement:
        sets = "".join(f"{name} = ?, " for name in columns)
        return (
            f"UPDATE {self.rows_table} SET {sets}last_version = ?, last_event_at = ?"
            " WHERE case_id = ? AND last_version < ?",
            (
                *columns.values(),
                note.originator_version,
                _data(state["timestamp"]),
                self.param(note.originator_id),
                note.originator_version,
            ),
        )

    def rows(self, note: Notification, state: dict[str, Any]) -> list[Statement]:
        kind = note.topic.rsplit(":", 1)[1]
        if kind == "CaseOpened":
            return [
                (
                    self.insert,
                    (
                        self.param(note.originator_id),
                        state["reference"],
                        _data(state["lead_department"]),
                        _data(state["category"]),
                        _data(state["received_at"]),
                        note.id,
                        note.originator_version,
                        _data(state["timestamp"]),
                    ),
                )
            ]
        if kind == "CaseAssigned":
            return [self.update(note, state, team=state["team"], officer=state["officer"])]
        if kind == "RiskAssessed":
            return [self.update(note, state, risk_level=_data(state["level"]))]
        if kind == "InformationShared":
            organisation = _data(state["recipient"])["organisation"]
            return [
                (self.share, (self.param(note.originator_id), organisation)),
                self.update(note, state),
            ]
        if kind == "CaseClosed":
            return [self.update(note, state, status="closed")]
        if kind == "CaseReopened":
            return [self.update(note, state, status="open")]
        return [self.update(note, state)]


class RawStats(RawWriter):
    """The statistics view's rows, held for the page and sent as the view sends them: each
    table's new rows as multi-row inserts, then the version-guarded updates."""

    view = AnalystStats
    columns: dict[str, tuple[str, ...]] = {
        "cases": (
            *("case_id", "opened_month", "received_s", "category", "lead_department"),
            *("channel", "ward", "status", "risk_version", "status_version"),
        ),
        "subjects": ("case_id", "subject", "role", "self_declared"),
        "incidents": (
            *("incident_id", "case_id", "occurred_month", "incident_type", "criminal"),
            *("targeted", "hate_motivated", "violence_or_threat"),
        ),
        "victimisations": ("incident_id", "subject"),
        "contacts": ("case_id", "subject", "contact_s"),
    }

    def __init__(self, target: View) -> None:
        super().__init__(target)
        self.topics = frozenset(target.projection().topics)
        self.tables = {
            name: self.store.table(f"asb_view_stats_{name}" + target.suffix)
            for name in self.columns
        }
        self.inserts: dict[str, list[tuple[object, ...]]] = {name: [] for name in self.columns}
        self.risk: list[tuple[object, ...]] = []
        self.status: list[tuple[object, ...]] = []

    def rows(self, note: Notification, state: dict[str, Any]) -> list[Statement]:
        kind, case = note.topic.rsplit(":", 1)[1], self.param(note.originator_id)
        add = self.inserts
        version = note.originator_version
        if kind == "CaseOpened":
            received = _data(state["received_at"])
            add["cases"].append(
                (
                    case,
                    received[:7],
                    _epoch(received),
                    _data(state["category"]),
                    _data(state["lead_department"]),
                    _data(state["channel"]),
                    state["ward"],
                    "open",
                    0,
                    0,
                )
            )
            add["subjects"].append(
                (case, subject_token(_uuid(state["complainant_ref"])), "complainant", 0)
            )
        elif kind == "PersonLinked":
            add["subjects"].append(
                (
                    case,
                    subject_token(_uuid(state["person_ref"])),
                    _data(state["role"]),
                    int(state["self_declared_repeat_victim"]),
                )
            )
        elif kind == "IncidentRecorded":
            incident = self.param(_uuid(state["incident_id"]))
            harms = {_data(h) for h in state["harms"]}
            add["incidents"].append(
                (
                    incident,
                    case,
                    _data(state["occurred_at"])[:7],
                    _data(state["incident_type"]),
                    int(state["criminal"]),
                    int("targeted" in harms),
                    int("hate_motivated" in harms),
                    int("violence_or_threat" in harms),
                )
            )
            for ref in state["victim_refs"]:
                add["victimisations"].append((incident, subject_token(_uuid(ref))))
        elif kind == "ContactRecorded":
            if _data(state["outcome"]) in ("reached", "sent"):
                at = _epoch(_data(state["occurred_at"]))
                add["contacts"].append((case, subject_token(_uuid(state["person_ref"])), at))
        elif kind == "RiskAssessed":
            self.risk.append((_data(state["level"]), version, case, version))
        elif kind == "CaseClosed":
            closed = _data(state["occurred_at"])
            reason = _data(state["reason"])
            self.status.append(
                ("closed", reason, closed[:7], _epoch(closed), version, case, version)
            )
        elif kind == "CaseReopened":
            self.status.append(("open", None, None, None, version, case, version))
        return []

    def flush(self) -> list[Statement]:
        found: list[Statement] = []
        for name, rows in self.inserts.items():
            columns = self.columns[name]
            for start in range(0, len(rows), 250):
                chunk = rows[start : start + 250]
                values = ", ".join(["(" + ", ".join("?" * len(columns)) + ")"] * len(chunk))
                found.append(
                    (
                        f"INSERT INTO {self.tables[name]} ({', '.join(columns)}) VALUES"
                        f" {values} ON CONFLICT DO NOTHING",
                        tuple(v for row in chunk for v in row),
                    )
                )
            rows.clear()
        cases = self.tables["cases"]
        for sets, group, rows in (
            ("risk_level = ?, ", "risk", self.risk),
            (
                "status = ?, closure_reason = ?, closed_month = ?, closed_s = ?, ",
                "status",
                self.status,
            ),
        ):
            sql = (
                f"UPDATE {cases} SET {sets}{group}_version = ?"
                f" WHERE case_id = ? AND {group}_version < ?"
            )
            found.extend((sql, row) for row in rows)
            rows.clear()
        return found


RAW: dict[str, Callable[[View], RawWriter]] = {
    CaseDirectory.name: RawDirectory,
    AnalystStats.name: RawStats,
}


class RawLoop:
    """Pages of 500 notifications, one transaction each, on a connection of its own."""

    def __init__(self, ledger: CaseLedger, where: Store, writer: RawWriter) -> None:
        self.recorder = ledger.recorder
        self.writer = writer
        self.kind = where.kind
        view = writer.target
        self.tracking = (
            f"UPDATE {view.store.table(TRACKING_TABLE)} SET notification_id = ?"
            " WHERE view_name = ? AND application_name = ?"
        )
        self.names = (view.view_name, view.application_name)
        config = ledger.store_config
        if self.kind == "sqlite":
            assert config.sqlite_path is not None
            self.sqlite = sqlite3.connect(config.sqlite_path, isolation_level=None)
        else:
            assert config.postgres_conninfo is not None
            self.pg = psycopg.connect(config.postgres_conninfo)

    def close(self) -> None:
        if self.kind == "sqlite":
            self.sqlite.close()
        else:
            self.pg.close()

    def run(self) -> int:
        """From position 0 to the head; returns how many notifications it processed."""
        start, done = 1, 0
        topics, rows = self.writer.topics, self.writer.rows
        loads = json.loads
        while True:
            notes = self.recorder.select_notifications(start, PAGE)
            if not notes:
                return done
            statements: list[Statement] = []
            for note in notes:
                if note.topic in topics:
                    statements.extend(rows(note, loads(note.state)))
            statements.extend(self.writer.flush())
            statements.append((self.tracking, (notes[-1].id, *self.names)))
            self._write(statements)
            done += len(notes)
            start = notes[-1].id + 1
            if len(notes) < PAGE:
                return done

    def _write(self, statements: Sequence[Statement]) -> None:
        runs = _runs(statements)
        if self.kind == "sqlite":
            conn = self.sqlite
            conn.execute("BEGIN IMMEDIATE")
            for sql, params in runs:
                conn.executemany(sql, params)
            conn.execute("COMMIT")
            return
        with self.pg.transaction(), self.pg.pipeline(), self.pg.cursor() as cursor:
            for sql, params in runs:
                cursor.executemany(sql.replace("?", "%s"), params)


def _runs(statements: Iterable[Statement]) -> list[tuple[str, list[tuple[object, ...]]]]:
    """Adjacent statements with the same SQL, as one statement and its parameter rows."""
    runs: list[tuple[str, list[tuple[object, ...]]]] = []
    for sql, params in statements:
        if runs and runs[-1][0] == sql:
            runs[-1][1].append(params)
        else:
            runs.append((sql, [params]))
    return runs


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


def _raw(ledger: CaseLedger, where: Store, view: View) -> tuple[int, float]:
    loop = RawLoop(ledger, where, RAW[view.name](view))
    try:
        t0 = time.perf_counter()
        done = loop.run()
        return done, time.perf_counter() - t0
    finally:
        loop.close()


def catch_up(
    ledger: CaseLedger, where: Store, views: ViewStore, kind: type[View], rounds: int
) -> list[Figure]:
    """The product against the raw loop, ``rounds`` interleaved rounds after one warm-up,
    each into fresh tables; then the last round's two sets of tables compared."""
    product: list[float] = []
    raw: list[float] = []
    head = ledger.recorder.max_notification_id() or 0
    for round_ in range(rounds + 1):
        ours = kind(views, suffix=f"_bench_p{round_}", application_name=ledger.name)
        theirs = kind(views, suffix=f"_bench_r{round_}", application_name=ledger.name)
        order = [("product", ours), ("raw", theirs)]
        for name, view in order if round_ % 2 == 0 else reversed(order):
            gc.collect()
            done, elapsed = (
                _product(ledger, [view]) if name == "product" else _raw(ledger, where, view)
            )
            assert done == head, (name, done, head)
            if round_ > 0:
                (product if name == "product" else raw).append(head / elapsed)
        if round_ == rounds:
            same = ours.contents() == theirs.contents()  # type: ignore[attr-defined]
            assert same, f"{kind.name}: the raw loop's rows differ from the product's"
        _drop(ours)
        _drop(theirs)
    ratio = statistics.median(p / r for p, r in zip(product, raw, strict=True))
    label = f"{kind.name}, {head:,} events"
    return [
        Figure(
            "projections",
            where.kind,
            f"raw loop: {label}",
            statistics.median(raw),
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
            ratio,
            baseline="raw loop",
            target=TARGET,
            note="rows equal to the raw loop's",
        ),
    ]


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
