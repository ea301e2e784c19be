"""Concurrent writers on PostgreSQL: 4 writers appending to different cases, against 1.

Each writer keeps its own case in memory and records then saves one incident at a time.
Writers run in two ways:

- **threads** in one process, sharing one ``CaseLedger`` (and one GIL: a save spends most
  of its time in Python, so threads overlap only its waits on the database);
- **processes**, as the service scales in production (DESIGN §10: several server processes
  share one PostgreSQL). Writer processes are started once with the ``spawn`` method; each
  builds its own ``CaseLedger`` from the same ``Settings`` as the threads' ledger (so the
  same schema and tables) and opens its own cases, then waits for commands. A round sends
  each of its writers the configuration and the time; they start together behind a
  barrier (the parent is a party, so setup and messaging are not timed), save until the
  time is up, meet at a second barrier (the parent times the span between the two) and
  send back their counts and per-save latencies.

Configurations (raw inserts, the library's recorder, ours; 1 and 4 writers; threads and
processes) run round-robin for a fixed time per round after a short warm-up. Rates are
medians over rounds; ratios are taken within each round (4 writers ÷ 1 writer of the same
kind and way, or each kind ÷ raw inserts with 1 writer) and their median is reported;
latencies are pooled over rounds and writers. The raw baseline is a single-row insert per
transaction, one connection per writer, with no table lock.

Each row's note also gives the CPU time per save spent in the writers' process(es)
(``time.process_time``) and in the local PostgreSQL's processes (``/proc``; other users of
the same server count too), and how much of the machine's CPU stayed idle (``/proc/stat``):
on a small or shared machine, 4 writers cannot go faster than the spare CPU allows.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import statistics
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Barrier, Lock
from pathlib import Path
from threading import BrokenBarrierError
from typing import Any

import psycopg

from bench.append import _appender, stored_sizes
from bench.common import (
    Figure,
    Op,
    percentile,
    pg_conninfo,
    pg_raw_insert_statement,
    pg_raw_table,
    quiet_logging,
)
from bench.common import store as open_store
from ledger.application import CaseLedger
from ledger.settings import Settings

TARGET = 2.0
WRITERS = (1, 4)
KINDS = ("raw", "ours", "library")
WAYS = ("threads", "processes")
ROUNDS = 4
WARM_UP = 0.2  # seconds per configuration, untimed
RAW_TABLE = "raw_concurrent"
_WAIT = 60.0  # seconds: the most a barrier or a reply may take beyond the round's time

Key = tuple[str, str, int]
"""(way, kind, writers): one configuration."""


@dataclass(frozen=True)
class Sample:
    """One round of one configuration."""

    rate: float  # events/s, all writers together
    latencies: list[float]  # seconds per save
    cpu: float  # CPU seconds the writers' process(es) used in the round
    idle: float = 0.0  # the machine's idle CPU time in the round (/proc/stat ticks) ...
    ticks: float = 0.0  # ... out of all its CPU time (every core, steal included)
    server: float = 0.0  # CPU seconds of the local PostgreSQL's processes in the round


def _machine_cpu() -> tuple[float, float]:
    """(idle, total) CPU ticks of the whole machine so far; (0, 0) without /proc/stat."""
    try:
        with open("/proc/stat") as stat:
            fields = [float(x) for x in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0.0, 0.0
    # user nice system idle iowait irq softirq steal
    return fields[3] + fields[4], sum(fields)


def _postgres_cpu() -> dict[int, float]:
    """CPU seconds so far of each process named ``postgres`` on this machine (if it is local)."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = stat.read_text()
            name, rest = text[text.index("(") + 1 :].rsplit(")", 1)
            if name == "postgres":
                fields = rest.split()
                found[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / tick
    return found


def _measure(drive: Callable[[float], Sample], seconds: float) -> Sample:
    """One round of ``drive``, with the machine's idle CPU and the server's CPU meanwhile."""
    idle, ticks = _machine_cpu()
    server = _postgres_cpu()
    sample = drive(seconds)
    server_after = _postgres_cpu()
    idle_after, ticks_after = _machine_cpu()
    return dataclasses.replace(
        sample,
        idle=idle_after - idle,
        ticks=ticks_after - ticks,
        server=sum(cpu - server[pid] for pid, cpu in server_after.items() if pid in server),
    )


# ------------------------------------------------------------------ raw inserts


def _raw_op(
    conninfo: str, schema: str, row_bytes: int, topic: str
) -> tuple[Op, Callable[[], None]]:
    """A single-row insert per transaction on a connection of its own, no lock."""
    conn = psycopg.connect(conninfo, autocommit=True)
    statement = pg_raw_insert_statement(schema, RAW_TABLE).as_bytes(conn)
    state = os.urandom(row_bytes)

    def insert() -> int:
        conn.execute(statement, (uuid.uuid4(), 1, topic, state), prepare=True).fetchone()
        return 1

    return insert, conn.close


# ------------------------------------------------------------------ threads


def _drive_threads(ops: list[Op], seconds: float) -> Sample:
    """Runs each op in its own thread for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in ops]
    counts = [0] * len(ops)
    start = threading.Barrier(len(ops) + 1)
    deadline = [0.0]

    def work(n: int) -> None:
        start.wait()
        while True:
            t0 = time.perf_counter()
            if t0 >= deadline[0]:
                return
            counts[n] += ops[n]()
            latencies[n].append(time.perf_counter() - t0)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(ops))]
    for thread in threads:
        thread.start()
    cpu = time.process_time()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    cpu = time.process_time() - cpu
    return Sample(sum(counts) / elapsed, [x for per in latencies for x in per], cpu)


# ------------------------------------------------------------------ processes


@dataclass(frozen=True)
class WorkerSpec:
    """What one writer process needs to build its own writers (it must pickle)."""

    index: int
    settings: dict[str, Settings]  # "ours" and "library": the threads' ledgers' settings
    conninfo: str
    raw_schema: str
    row_bytes: int
    topic: str
    writers: tuple[int, ...]  # the configurations (by number of writers) it takes part in


@dataclass(frozen=True)
class Reply:
    """A writer process's answer: ready, one round's figures, or a failure."""

    kind: str  # "ready", "done" or "error"
    count: int = 0
    cpu: float = 0.0
    latencies: tuple[float, ...] = ()
    error: str = ""


def _worker(
    spec: WorkerSpec, pipe: Connection[Any, Any], barriers: dict[int, Barrier], setup: Lock
) -> None:
    """A writer process: builds its ledgers and cases, then runs the rounds it is sent."""
    quiet_logging()  # logging on, as in production, into /dev/null
    closers: list[Callable[[], None]] = []
    try:
        try:
            with setup:  # one at a time: building a ledger runs CREATE ... IF NOT EXISTS
                ops = _worker_ops(spec, closers)
        except Exception:
            pipe.send(Reply("error", error=traceback.format_exc()))
            return
        pipe.send(Reply("ready"))
        while True:
            command: tuple[str, str, int, float] = pipe.recv()
            if command[0] == "stop":
                return
            _, kind, writers, seconds = command
            barrier = barriers[writers]
            try:
                reply = _timed(ops[(kind, writers)], barrier, seconds)
            except Exception:
                barrier.abort()
                pipe.send(Reply("error", error=traceback.format_exc()))
                return
            pipe.send(reply)
    finally:
        for closer in reversed(closers):
            with contextlib.suppress(Exception):
                closer()


def _worker_ops(spec: WorkerSpec, closers: list[Callable[[], None]]) -> dict[tuple[str, int], Op]:
    """This process's writers: one case per (kind, writers), one ledger per recorder."""
    ops: dict[tuple[str, int], Op] = {}
    raw, close = _raw_op(spec.conninfo, spec.raw_schema, spec.row_bytes, spec.topic)
    closers.append(close)
    for writers in spec.writers:
        ops[("raw", writers)] = raw
    for kind, settings in spec.settings.items():
        ledger = CaseLedger(settings)
        closers.append(ledger.close)
        for writers in spec.writers:
            ops[(kind, writers)] = _appender(ledger)
    return ops


def _timed(op: Op, barrier: Barrier, seconds: float) -> Reply:
    """Saves one at a time from the start barrier until ``seconds`` have passed."""
    latencies: list[float] = []
    count = 0
    barrier.wait(_WAIT)
    cpu = time.process_time()
    deadline = time.perf_counter() + seconds
    while True:
        t0 = time.perf_counter()
        if t0 >= deadline:
            break
        count += op()
        latencies.append(time.perf_counter() - t0)
    cpu = time.process_time() - cpu
    barrier.wait(seconds + _WAIT)
    return Reply("done", count=count, cpu=cpu, latencies=tuple(latencies))


class WriterProcesses:
    """``max(WRITERS)`` writer processes; the first ``n`` run a configuration of ``n`` writers."""

    def __init__(self, specs: list[WorkerSpec]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.barriers = {n: ctx.Barrier(n + 1) for n in WRITERS}  # the parent is a party
        self._setup = ctx.Lock()  # kept: the children unpickle it after this returns
        self.pipes: list[Connection[Any, Any]] = []
        self.processes: list[SpawnProcess] = []
        for spec in specs:
            ours, theirs = ctx.Pipe()
            barriers = {n: b for n, b in self.barriers.items() if n > spec.index}
            process = ctx.Process(
                target=_worker,
                args=(spec, theirs, barriers, self._setup),
                name=f"bench-writer-{spec.index}",
                daemon=True,
            )
            process.start()
            theirs.close()
            self.pipes.append(ours)
            self.processes.append(process)

    def ready(self, timeout: float = 120.0) -> None:
        """Waits until every process has built its ledgers and cases."""
        for n in range(len(self.pipes)):
            self._receive(n, timeout)

    def drive(self, kind: str, writers: int, seconds: float) -> Sample:
        """One round: ``writers`` processes save for ``seconds``, started together."""
        for pipe in self.pipes[:writers]:
            pipe.send(("run", kind, writers, seconds))
        barrier = self.barriers[writers]
        try:
            barrier.wait(_WAIT)
            began = time.perf_counter()
            barrier.wait(seconds + _WAIT)
            elapsed = time.perf_counter() - began
        except BrokenBarrierError:
            barrier.reset()
            errors = []
            for n in range(writers):
                try:
                    self._receive(n, 5.0)
                except RuntimeError as error:
                    errors.append(str(error))
            # The writer that failed first is the one whose error is not the broken barrier.
            errors.sort(key=lambda text: "BrokenBarrierError" in text)
            raise RuntimeError("\n".join(errors) or "a writer process broke the barrier") from None
        replies = [self._receive(n, _WAIT) for n in range(writers)]
        return Sample(
            sum(r.count for r in replies) / elapsed,
            [x for r in replies for x in r.latencies],
            sum(r.cpu for r in replies),
        )

    def _receive(self, n: int, timeout: float) -> Reply:
        pipe, process = self.pipes[n], self.processes[n]
        if not pipe.poll(timeout):
            raise RuntimeError(f"{process.name} did not answer within {timeout:g} s")
        try:
            reply: Reply = pipe.recv()
        except EOFError:
            raise RuntimeError(f"{process.name} exited (code {process.exitcode})") from None
        if reply.kind == "error":
            raise RuntimeError(f"{process.name} failed:\n{reply.error}")
        return reply

    def close(self) -> None:
        """Stops the processes (they close their ledgers and connections first)."""
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(("stop", "", 0, 0.0))
        for process in self.processes:
            process.join(30)
            if process.is_alive():
                process.terminate()
                process.join(5)
        for pipe in self.pipes:
            pipe.close()


@contextlib.contextmanager
def writer_processes(specs: list[WorkerSpec]) -> Iterator[WriterProcesses]:
    pool = WriterProcesses(specs)
    try:
        yield pool
    finally:
        pool.close()


# ------------------------------------------------------------------ the run


def run(seconds: float, rounds: int = ROUNDS) -> list[Figure]:
    """``seconds`` per configuration, split over ``rounds`` interleaved rounds."""
    per_round = seconds / rounds
    load = os.getloadavg()[0]
    with open_store("postgres") as where:
        assert where.schema is not None
        settings = {"ours": where.settings(), "library": where.settings(fast_recorder=False)}
        ledgers = {kind: CaseLedger(s) for kind, s in settings.items()}
        closers: list[Callable[[], None]] = [ledger.close for ledger in ledgers.values()]
        try:
            _, (topic, row_bytes) = stored_sizes(ledgers["ours"])
            with psycopg.connect(pg_conninfo(), autocommit=True) as conn:
                pg_raw_table(conn, where.schema, RAW_TABLE)
            specs = [
                WorkerSpec(
                    index=n,
                    settings=settings,
                    conninfo=pg_conninfo(),
                    raw_schema=where.schema,
                    row_bytes=row_bytes,
                    topic=topic,
                    writers=tuple(w for w in WRITERS if w > n),
                )
                for n in range(max(WRITERS))
            ]
            # The processes start (and import) while this one builds the threads' writers.
            with writer_processes(specs) as processes:
                drivers: dict[Key, Callable[[float], Sample]] = {}
                for writers in WRITERS:
                    raw: list[Op] = []
                    for _ in range(writers):
                        op, close = _raw_op(pg_conninfo(), where.schema, row_bytes, topic)
                        closers.append(close)
                        raw.append(op)
                    thread_ops = {"raw": raw}
                    for kind in ("ours", "library"):
                        thread_ops[kind] = [_appender(ledgers[kind]) for _ in range(writers)]
                    for kind in KINDS:
                        drivers[("threads", kind, writers)] = _threads(thread_ops[kind])
                for writers in WRITERS:
                    for kind in KINDS:
                        drivers[("processes", kind, writers)] = _processes(processes, kind, writers)
                processes.ready()
                for drive in drivers.values():
                    drive(WARM_UP)
                samples: dict[Key, list[Sample]] = {key: [] for key in drivers}
                for _ in range(rounds):
                    for key, drive in drivers.items():
                        samples[key].append(_measure(drive, per_round))
        finally:
            for closer in closers:
                closer()
    return _figures(samples, row_bytes, rounds, per_round, load)


def _threads(ops: list[Op]) -> Callable[[float], Sample]:
    return lambda seconds: _drive_threads(ops, seconds)


def _processes(pool: WriterProcesses, kind: str, writers: int) -> Callable[[float], Sample]:
    return lambda seconds: pool.drive(kind, writers, seconds)


# ------------------------------------------------------------------ the report

_LABEL = {
    "raw": "raw insert ({row_bytes} B, no lock)",
    "ours": "our recorder",
    "library": "library recorder",
}
_NOUN = {"threads": ("thread", "threads"), "processes": ("process", "processes")}


def _writers(way: str, n: int) -> str:
    one, many = _NOUN[way]
    return f"{n} {one if n == 1 else many}"


def _cpu(runs: list[Sample], saves: int) -> str:
    """CPU per save in the writers' processes and in PostgreSQL's; the machine's idle share."""
    per_save = 1e3 / max(saves, 1)
    text = f"CPU per save: writers {sum(s.cpu for s in runs) * per_save:.2f} ms"
    server = sum(s.server for s in runs)
    if server > 0:
        text += f", PostgreSQL {server * per_save:.2f} ms"
    ticks = sum(s.ticks for s in runs)
    if ticks:
        text += f"; machine CPU idle {sum(s.idle for s in runs) / ticks:.0%}"
    return text


def _ms(latencies: list[float], fraction: float) -> str:
    return f"{percentile(latencies, fraction) * 1e3:.2f} ms"


def _figures(
    samples: dict[Key, list[Sample]],
    row_bytes: int,
    rounds: int,
    per_round: float,
    load: float,
) -> list[Figure]:
    label = {kind: text.format(row_bytes=row_bytes) for kind, text in _LABEL.items()}
    one, many = min(WRITERS), max(WRITERS)
    figures: list[Figure] = []
    for way in WAYS:
        raw_one = [s.rate for s in samples[(way, "raw", one)]]
        for writers in WRITERS:
            for kind in KINDS:
                runs = samples[(way, kind, writers)]
                lat = [x for s in runs for x in s.latencies]
                saves = len(lat)
                note = f"p50 {_ms(lat, 0.5)}, p99 {_ms(lat, 0.99)}; {_cpu(runs, saves)}"
                if writers == one and kind == "raw":
                    note += f"; {rounds} interleaved rounds of {per_round:.2f} s"
                figures.append(
                    Figure(
                        "concurrency",
                        "postgres",
                        f"{label[kind]}, {_writers(way, writers)}",
                        statistics.median(s.rate for s in runs),
                        "events/s",
                        statistics.median(s.rate / r for s, r in zip(runs, raw_one, strict=True)),
                        baseline=f"raw insert, {_writers(way, one)}",
                        note=note,
                    )
                )
        for kind in KINDS:
            fours, ones = samples[(way, kind, many)], samples[(way, kind, one)]
            speedups = [f.rate / o.rate for f, o in zip(fours, ones, strict=True)]
            p99 = (
                f"p99 {_ms([x for s in ones for x in s.latencies], 0.99)}"
                f" → {_ms([x for s in fours for x in s.latencies], 0.99)}"
            )
            target = None
            if way == "threads":
                note = f"{p99}; threads share one process's GIL (the service scales by processes)"
            elif kind == "ours":
                target = TARGET
                note = f"{p99}; 1-min load average {load:.2f} before this section"
            else:
                note = p99
            figures.append(
                Figure(
                    "concurrency",
                    "postgres",
                    f"{label[kind]}: {_writers(way, many)} ÷ {_writers(way, one)}",
                    statistics.median(s.rate for s in fours),
                    "events/s",
                    statistics.median(speedups),
                    baseline=f"{label[kind]}, {_writers(way, one)}",
                    target=target,
                    note=note,
                )
            )
    return figures
