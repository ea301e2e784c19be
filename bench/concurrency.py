"""Concurrent writers on PostgreSQL: 4 threads appending to different cases, against 1.

Each writer keeps its own case in memory and records then saves one incident at a time.
Configurations run round-robin (raw inserts, the library's recorder, ours; 1 and 4
threads each) for a fixed time per round; rates are medians over rounds, latencies are
pooled over rounds. The raw baseline is a single-row insert per transaction, one
connection per thread, with no table lock.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

import psycopg

from bench.append import _appender, stored_sizes
from bench.common import Figure, Op, percentile, pg_conninfo, pg_raw_insert_statement, pg_raw_table
from bench.common import store as open_store
from ledger.application import CaseLedger

TARGET = 2.0
WRITERS = (1, 4)


def _raw_ops(
    schema: str, threads: int, row_bytes: int, topic: str
) -> tuple[list[Op], Callable[[], None]]:
    import os
    import uuid

    conns = [psycopg.connect(pg_conninfo(), autocommit=True) for _ in range(threads)]
    pg_raw_table(conns[0], schema, "raw_concurrent")
    statement = pg_raw_insert_statement(schema, "raw_concurrent").as_bytes(conns[0])
    state = os.urandom(row_bytes)

    def op_for(conn: psycopg.Connection[tuple[object, ...]]) -> Op:
        def insert() -> int:
            conn.execute(statement, (uuid.uuid4(), 1, topic, state), prepare=True).fetchone()
            return 1

        return insert

    def close() -> None:
        for conn in conns:
            conn.close()

    return [op_for(conn) for conn in conns], close


def _drive(ops: list[Op], seconds: float) -> tuple[float, list[float]]:
    """Runs each op in its own thread for ``seconds``; (events/s, latencies in seconds)."""
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
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return sum(counts) / elapsed, [x for per in latencies for x in per]


def run(seconds_per_round: float, rounds: int = 3) -> list[Figure]:
    with open_store("postgres") as where:
        ledgers = {"ours": where.ledger(), "library": where.ledger(fast_recorder=False)}
        assert where.schema is not None
        closers: list[Callable[[], None]] = [ledger.close for ledger in ledgers.values()]
        try:
            _, (topic, row_bytes) = stored_sizes(ledgers["ours"])
            configs: dict[tuple[str, int], list[Op]] = {}
            for threads in WRITERS:
                ops, close = _raw_ops(where.schema, threads, row_bytes, topic)
                closers.append(close)
                configs[("raw", threads)] = ops
                for name, ledger in ledgers.items():
                    configs[(name, threads)] = _writers(ledger, threads)
            rates: dict[tuple[str, int], list[float]] = {key: [] for key in configs}
            latencies: dict[tuple[str, int], list[float]] = {key: [] for key in configs}
            for ops in configs.values():  # warm-up
                _drive(ops, 0.2)
            for _ in range(rounds):
                for key, ops in configs.items():
                    rate, lat = _drive(ops, seconds_per_round)
                    rates[key].append(rate)
                    latencies[key].extend(lat)
        finally:
            for closer in closers:
                closer()
    return _figures(rates, latencies, row_bytes)


def _writers(ledger: CaseLedger, threads: int) -> list[Op]:
    return [_appender(ledger) for _ in range(threads)]


def _figures(
    rates: dict[tuple[str, int], list[float]],
    latencies: dict[tuple[str, int], list[float]],
    row_bytes: int,
) -> list[Figure]:
    raw_one = statistics.median(rates[("raw", 1)])
    label = {
        "raw": f"raw insert ({row_bytes} B, no lock)",
        "library": "library recorder",
        "ours": "our recorder",
    }
    figures = []
    for (name, threads), values in rates.items():
        lat = latencies[(name, threads)]
        figures.append(
            Figure(
                "concurrency",
                "postgres",
                f"{label[name]}, {threads} writer{'s' if threads > 1 else ''}",
                statistics.median(values),
                "events/s",
                statistics.median(values) / raw_one,
                baseline="raw, 1 writer",
                note=f"p50 {percentile(lat, 0.5) * 1e3:.2f} ms,"
                f" p99 {percentile(lat, 0.99) * 1e3:.2f} ms",
            )
        )
    for name in ("raw", "library", "ours"):
        speedups = [
            four / one for four, one in zip(rates[(name, 4)], rates[(name, 1)], strict=True)
        ]
        figures.append(
            Figure(
                "concurrency",
                "postgres",
                f"{label[name]}: 4 writers ÷ 1 writer",
                statistics.median(rates[(name, 4)]),
                "events/s",
                statistics.median(speedups),
                baseline=f"{label[name]}, 1 writer",
                target=TARGET if name == "ours" else None,
            )
        )
    return figures
