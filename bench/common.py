"""Shared benchmark machinery: interleaved timing, stores on SQLite and PostgreSQL, raw baselines.

Every comparison runs its variants round-robin in short chunks and reports medians, so
a neighbour's load on a shared machine moves all variants alike and the ratios hold.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import psycopg
from psycopg import sql

from ledger.application import CaseLedger
from ledger.settings import Settings

PG_URL = os.environ.get(
    "ASB_BENCH_POSTGRES_URL",
    os.environ.get("ASB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
)

Op = Callable[[], int]
"""One operation of a workload; returns how many events (or rows) it wrote or read."""


def quiet_logging() -> None:
    """The service's JSON logging, written to /dev/null: its cost counts, its output does not."""
    from api.logs import configure_logging

    sink = open(os.devnull, "w")  # noqa: SIM115 - kept open for the process's loggers
    with contextlib.redirect_stderr(sink):
        configure_logging("json")


@dataclass(frozen=True)
class Figure:
    """One line of the report."""

    section: str
    store: str
    workload: str
    rate: float
    unit: str
    ratio: float | None = None
    baseline: str = ""
    target: float | None = None
    note: str = ""

    @property
    def met(self) -> str:
        if self.target is None or self.ratio is None:
            return ""
        return "yes" if self.ratio >= self.target else "**no**"


@dataclass
class Comparison:
    """Median rates of interleaved variants, and each variant's median ratio to the baseline."""

    baseline: str
    rates: dict[str, float] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)
    rounds: int = 0


def compare(
    ops: dict[str, Op], *, baseline: str, chunk: dict[str, int], seconds: float, min_rounds: int = 3
) -> Comparison:
    """Runs each op ``chunk[name]`` times per round, round-robin, for about ``seconds``.

    The first round warms up and is discarded. Ratios are taken within each round (so
    drift in the machine's load cancels) and the median across rounds is reported.
    """
    per_round: dict[str, list[float]] = {name: [] for name in ops}
    started = time.perf_counter()
    rounds = 0
    while rounds <= min_rounds or time.perf_counter() - started < seconds:
        for name, op in ops.items():
            count = 0
            t0 = time.perf_counter()
            for _ in range(chunk[name]):
                count += op()
            rate = count / (time.perf_counter() - t0)
            if rounds > 0:
                per_round[name].append(rate)
        rounds += 1
    result = Comparison(baseline=baseline, rounds=rounds - 1)
    base = per_round[baseline]
    for name, rates in per_round.items():
        result.rates[name] = statistics.median(rates)
        result.ratios[name] = statistics.median(r / b for r, b in zip(rates, base, strict=True))
    return result


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# ------------------------------------------------------------------ stores


def pg_conninfo() -> str:
    config = Settings(database_url=PG_URL).store()
    assert config.postgres_conninfo is not None
    return config.postgres_conninfo


def pg_unavailable() -> str | None:
    try:
        with psycopg.connect(pg_conninfo(), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return f"no PostgreSQL at {PG_URL}: {error}".strip()
    return None


@dataclass
class Store:
    """Where one benchmark's ledgers and raw tables live; removed afterwards."""

    kind: str  # "sqlite" or "postgres"
    directory: Path
    schema: str | None = None
    schemas: list[str] = field(default_factory=list)

    def settings(self, *, fast_recorder: bool = True, pool_size: int | None = None) -> Settings:
        """The product's settings; on PostgreSQL each variant has its own schema."""
        if self.kind == "sqlite":
            url = f"sqlite:///{self.directory / 'ledger.sqlite3'}"
        else:
            suffix = ("" if fast_recorder else "_lib") + (f"_pool{pool_size}" if pool_size else "")
            self.schemas.append(f"{self.schema}{suffix}")
            url = f"{PG_URL}?schema={self.schema}{suffix}"
        settings = Settings(
            data_dir=self.directory, database_url=url, pg_fast_recorder=fast_recorder
        )
        if pool_size is not None:
            settings = settings.model_copy(update={"postgres_pool_size": pool_size})
        return settings

    def ledger(self, *, fast_recorder: bool = True, pool_size: int | None = None) -> CaseLedger:
        """The ledger with the product's settings (``settings``)."""
        return CaseLedger(self.settings(fast_recorder=fast_recorder, pool_size=pool_size))

    def raw_inserter(self, row_bytes: int, topic: str) -> tuple[Op, Callable[[], None]]:
        """One row per transaction, the library's table layout, a row of ``row_bytes``."""
        if self.kind == "sqlite":
            return _sqlite_inserter(self.directory / "raw.sqlite3", row_bytes, topic)
        assert self.schema is not None
        return _pg_inserter(self.schema, row_bytes, topic)


@contextlib.contextmanager
def store(kind: str) -> Iterator[Store]:
    directory = Path(tempfile.mkdtemp(prefix=f"asb-bench-{kind}-"))
    schema = f"bench_{uuid.uuid4().hex[:10]}" if kind == "postgres" else None
    where = Store(kind, directory, schema, [schema] if schema else [])
    try:
        yield where
    finally:
        if schema is not None:
            with psycopg.connect(pg_conninfo(), autocommit=True) as conn:
                for name in set(where.schemas):
                    conn.execute(
                        sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name))
                    )
        shutil.rmtree(directory, ignore_errors=True)


def _sqlite_inserter(path: Path, row_bytes: int, topic: str) -> tuple[Op, Callable[[], None]]:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS raw_events (originator_id TEXT, originator_version INTEGER,"
        " topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
    )
    state = os.urandom(row_bytes)

    def insert() -> int:
        conn.execute(
            "INSERT INTO raw_events VALUES (?, ?, ?, ?)", (uuid.uuid4().hex, 1, topic, state)
        )
        return 1

    return insert, conn.close


def pg_raw_table(conn: psycopg.Connection[tuple[object, ...]], schema: str, table: str) -> None:
    """The library's application table layout (bigserial position, unique index)."""
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    conn.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (originator_id uuid NOT NULL,"
            " originator_version bigint NOT NULL, topic text, state bytea,"
            " notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
        ).format(sql.Identifier(schema, table))
    )
    conn.execute(
        sql.SQL("CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} (notification_id)").format(
            sql.Identifier(f"{table}_nid"), sql.Identifier(schema, table)
        )
    )


def pg_raw_insert_statement(schema: str, table: str) -> sql.Composed:
    return sql.SQL(
        "INSERT INTO {} (originator_id, originator_version, topic, state)"
        " VALUES (%s, %s, %s, %s) RETURNING notification_id"
    ).format(sql.Identifier(schema, table))


def _pg_inserter(schema: str, row_bytes: int, topic: str) -> tuple[Op, Callable[[], None]]:
    conn = psycopg.connect(pg_conninfo(), autocommit=True)
    pg_raw_table(conn, schema, "raw_events")
    statement = pg_raw_insert_statement(schema, "raw_events").as_bytes(conn)
    state = os.urandom(row_bytes)

    def insert() -> int:
        conn.execute(statement, (uuid.uuid4(), 1, topic, state), prepare=True).fetchone()
        return 1

    return insert, conn.close


# ------------------------------------------------------------------ the machine


def machine() -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    info = {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "psycopg": version("psycopg"),
        "eventsourcing": version("eventsourcing"),
        "postgresql": "unavailable",
        "load average (1, 5, 15 min)": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    if pg_unavailable() is None:
        with psycopg.connect(pg_conninfo()) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            settings = conn.execute(
                "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings"
                " WHERE name IN ('synchronous_commit', 'fsync', 'shared_buffers')"
            ).fetchone()
        info["postgresql"] = f"{row[0] if row else '?'} ({settings[0] if settings else ''})"
    return info
