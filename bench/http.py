"""HTTP: requests per second and latency through the real server, against a raw-insert route.

The product is ``asb-ledger serve --host 127.0.0.1 --port P`` (one worker), started as a
subprocess on a fresh store (``ASB_DATA_DIR`` a temporary directory; on PostgreSQL also
``ASB_DATABASE_URL=...?schema=<fresh schema>``), with ``ASB_LOG_FORMAT=json`` and its
stderr sent to ``/dev/null``: it logs one JSON line per request as in production, and
runs its projection thread as it does by default. The baseline is ``bench.baseline_app``
under uvicorn with the same settings, whose ``def`` routes do one raw insert (or select)
of a row of exactly the size of the product's stored event, read back from the product's
store after set-up.

Workloads, each with ``CLIENTS`` threads, each thread with its own keep-alive
``httpx.Client``, after a short warm-up and for a fixed window (bodies are serialised once,
beforehand, for both servers):

- ``POST /cases/{id}/incidents`` (record an incident). Before each product round
  ``CASES`` new cases are opened (untimed); each client rotates over its own share of them,
  so no two clients write to the same case and no case grows long (the note says how
  long they got). Baseline: ``POST /raw/incident/{id}`` with a body of the same size,
  inserting a row the size of a stored ``IncidentRecorded``.
- ``POST /cases`` (open a case). Baseline: ``POST /raw/opened/{id}``, one row the size of
  a stored ``CaseOpened`` (the product also stores a ``CaseAssigned`` and a reference-index
  row, and commits the case's data keys and reference number first).
- ``GET /cases/{id}`` as a caseworker of the case's team, over ``CASES`` cases of
  ``READ_INCIDENTS`` incidents each; every read appends an access record. Baselines: ``GET
  /raw/access/{id}`` (one insert of a row the size of a stored access record) and
  ``GET /rows/{n}`` (select one row by primary key); both answer a body of the product's
  response size.

Product and baseline runs alternate, in alternating order, for a few rounds; the ratio is
taken per round and the median reported; latency percentiles pool every round. Each note
gives CPU per request of the server process, of this (client) process and of the local
PostgreSQL, and the machine's idle share, all from ``/proc``. Then the product is
restarted as ``bench.http_profile`` (the same CLI, with timers around the phases of a
request) and each workload runs once more with the same clients, to say where a request's
CPU and wall time go.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from api.auth import mint_token
from api.settings import ApiSettings
from bench.baseline_app import ENV as BASELINE_ENV
from bench.baseline_app import SEEDED
from bench.common import PG_URL, Figure, Store, percentile, pg_conninfo, store
from bench.concurrency import _machine_cpu, _postgres_cpu
from ledger.access import Accessed
from ledger.enums import Role
from ledger.events import CaseOpened, IncidentRecorded
from ledger.type_names import type_name

with warnings.catch_warnings():  # its TestClient import warns about httpx; unused here
    warnings.simplefilter("ignore")
    from tests.api.conftest import complaint

TARGET = 0.5
"""Commands per second through the server, as a ratio to the raw-insert route's."""
TAIL = 4.0
"""p99 latency must stay under this many times p50."""
CLIENTS = 4
CASES = 50
READ_INCIDENTS = 10
ROOT = Path(__file__).resolve().parents[1]

INCIDENT: dict[str, Any] = {
    "incident_type": "noise",
    "description": "Music and shouting from 23:00 to 02:00, three nights running.",
    "harms": ["targeted", "impact_on_health"],
}

Request = tuple[str, str, bytes | None]
"""(method, path, body) of one request; bodies are encoded once, before timing."""


@dataclass(frozen=True)
class Ceiling(Figure):
    """A figure whose ratio must stay *under* ``ceiling`` (p99 ÷ p50)."""

    ceiling: float = TAIL

    @property
    def met(self) -> str:
        if self.ratio is None:
            return ""
        return "yes" if self.ratio < self.ceiling else "**no**"


# ------------------------------------------------------------------ servers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _process_cpu(pid: int) -> float:
    """CPU seconds so far of one process (all its threads), from /proc."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """A server subprocess on a free loopback port; stderr and stdout to /dev/null."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.argv = [*argv, "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            self.argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_until(self, path: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{' '.join(self.argv)} exited with {self.proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{' '.join(self.argv)} did not answer {path} in {timeout:.0f} s")

    def cpu(self) -> float:
        return _process_cpu(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _product_argv() -> list[str]:
    script = Path(sys.executable).with_name("asb-ledger")
    return [str(script), "serve"] if script.exists() else ["asb-ledger", "serve"]


def _env(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without any ASB_* setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASB_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, **extra}


# ------------------------------------------------------------------ driving


@dataclass
class Run:
    """One timed window of one workload on one server."""

    seconds: float
    latencies: list[float]
    sent: int  # every request sent, warm-up included
    server_cpu: float
    client_cpu: float
    postgres_cpu: float
    idle: float
    ticks: float

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


def drive(
    server: Server,
    headers: dict[str, str],
    plans: list[list[Request]],
    warmup: float,
    window: float,
) -> Run:
    """``len(plans)`` client threads, each sending its plan in a loop, for ``warmup`` then
    ``window`` seconds. Only requests sent and answered inside the window count."""
    clients = [httpx.Client(base_url=server.url, headers=headers, timeout=60) for _ in plans]
    latencies: list[list[float]] = [[] for _ in plans]
    sent = [0] * len(plans)
    failures: list[str] = []
    barrier = threading.Barrier(len(plans) + 1)
    bounds = [0.0, 0.0]

    def work(i: int) -> None:
        client, plan, mine = clients[i], plans[i], latencies[i]
        barrier.wait()
        start, end = bounds
        n = 0
        try:
            while True:
                method, path, body = plan[n % len(plan)]
                t0 = time.perf_counter()
                if t0 >= end:
                    break
                response = client.request(method, path, content=body)
                t1 = time.perf_counter()
                n += 1
                if response.status_code >= 300:
                    failures.append(
                        f"{method} {path}: {response.status_code} {response.text[:200]}"
                    )
                    break
                if t0 >= start and t1 <= end:
                    mine.append(t1 - t0)
        finally:
            sent[i] = n

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(plans))]
    for thread in threads:
        thread.start()
    now = time.perf_counter()
    bounds[:] = [now + warmup, now + warmup + window]
    barrier.wait()
    time.sleep(max(0.0, bounds[0] - time.perf_counter()))
    server_cpu, client_cpu, pg = server.cpu(), time.process_time(), _postgres_cpu()
    idle, ticks = _machine_cpu()
    time.sleep(max(0.0, bounds[1] - time.perf_counter()))
    server_cpu, client_cpu = server.cpu() - server_cpu, time.process_time() - client_cpu
    pg_after = _postgres_cpu()
    idle_after, ticks_after = _machine_cpu()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    if failures:
        raise RuntimeError(f"{len(failures)} failed requests, the first: {failures[0]}")
    return Run(
        seconds=window,
        latencies=[x for per in latencies for x in per],
        sent=sum(sent),
        server_cpu=server_cpu,
        client_cpu=client_cpu,
        postgres_cpu=sum(c - pg[pid] for pid, c in pg_after.items() if pid in pg),
        idle=idle_after - idle,
        ticks=ticks_after - ticks,
    )


def _share(items: list[Any], clients: int) -> list[list[Any]]:
    return [items[i::clients] for i in range(clients)]


def _padded_body(size: int) -> bytes:
    """A JSON body ``{"data": "xxx..."}`` of exactly ``size`` bytes."""
    body = json.dumps({"data": "x" * max(0, size - len('{"data":""}'))}).replace(" ", "")
    return body.encode()


# ------------------------------------------------------------------ the product's side


class Product:
    """The product server on a store, a caseworker's token, and helpers to set up cases."""

    def __init__(self, where: Store, argv: list[str]) -> None:
        self.where = where
        extra = {"ASB_DATA_DIR": str(where.directory), "ASB_LOG_FORMAT": "json"}
        if where.kind == "postgres":
            extra["ASB_DATABASE_URL"] = f"{PG_URL}?schema={where.schema}"
        self.env = _env(extra)
        self.argv = argv
        self.server = self.start(argv)
        settings = ApiSettings(
            _env_file=None,
            data_dir=where.directory,
            database_url=extra.get("ASB_DATABASE_URL"),
        )
        token = mint_token(
            settings, user="cw-bench", role=Role.CASEWORKER, org="council", team="north"
        )
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.complaint = json.dumps(complaint(), separators=(",", ":")).encode()
        self.incident = json.dumps(INCIDENT, separators=(",", ":")).encode()
        self.reply_sizes: dict[str, list[int]] = {"opened": [], "incident": [], "read": []}

    def start(self, argv: list[str]) -> Server:
        server = Server(argv, self.env, cwd=self.where.directory)
        try:
            server.wait_until("/readyz")
        except BaseException:
            server.stop()
            raise
        return server

    def restart(self, argv: list[str]) -> None:
        self.server.stop()
        self.server = self.start(argv)

    def open_cases(self, count: int, incidents: int = 0) -> list[str]:
        """``count`` new cases (untimed), each with ``incidents`` incidents."""
        ids = []
        with httpx.Client(base_url=self.server.url, headers=self.headers, timeout=60) as client:
            for _ in range(count):
                response = client.post("/cases", content=self.complaint)
                response.raise_for_status()
                self.reply_sizes["opened"].append(len(response.content))
                case_id = response.json()["case_id"]
                for _ in range(incidents):
                    answer = client.post(f"/cases/{case_id}/incidents", content=self.incident)
                    answer.raise_for_status()
                    self.reply_sizes["incident"].append(len(answer.content))
                ids.append(case_id)
        return ids

    def read_all(self, case_ids: list[str]) -> None:
        with httpx.Client(base_url=self.server.url, headers=self.headers, timeout=60) as client:
            for case_id in case_ids:
                response = client.get(f"/cases/{case_id}")
                response.raise_for_status()
                self.reply_sizes["read"].append(len(response.content))

    def stored_rows(self) -> dict[str, tuple[str, int, int]]:
        """For each kind of row the benchmark writes: (topic, median bytes, rows) as stored."""
        if self.where.kind == "sqlite":
            path = self.where.directory / "ledger.sqlite3"
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
                rows = conn.execute("SELECT topic, length(state) FROM stored_events").fetchall()
        else:
            assert self.where.schema is not None
            with psycopg.connect(pg_conninfo()) as pg:
                rows = pg.execute(
                    sql.SQL("SELECT topic, length(state) FROM {}").format(
                        sql.Identifier(self.where.schema, "caseledger_events")
                    )
                ).fetchall()
        sizes: dict[str, list[int]] = {}
        for topic, size in rows:
            sizes.setdefault(topic, []).append(size)
        found = {}
        for kind, topic in (
            ("opened", type_name(CaseOpened)),
            ("incident", type_name(IncidentRecorded)),
            ("access", type_name(Accessed)),
        ):
            found[kind] = (topic, int(statistics.median(sizes[topic])), len(sizes[topic]))
        return found


def _baseline(where: Store, product: Product, rows: dict[str, tuple[str, int, int]]) -> Server:
    config: dict[str, Any] = {
        "store": where.kind,
        "rows": {kind: [topic, size] for kind, (topic, size, _) in rows.items()},
        "replies": {k: int(statistics.median(v)) for k, v in product.reply_sizes.items()},
    }
    if where.kind == "sqlite":
        config["sqlite_path"] = str(where.directory / "raw.sqlite3")
    else:
        schema = f"{where.schema}_raw"
        where.schemas.append(schema)
        config.update(conninfo=pg_conninfo(), schema=schema)
    env = _env({BASELINE_ENV: json.dumps(config)})
    server = Server([sys.executable, "-m", "bench.baseline_app"], env, cwd=ROOT)
    try:
        server.wait_until("/rows/0")
    except BaseException:
        server.stop()
        raise
    return server


# ------------------------------------------------------------------ the benchmark


@dataclass
class Variant:
    """One side of a comparison, with its runs across rounds."""

    name: str
    server: Server
    runs: list[Run] = field(default_factory=list)

    def pooled(self) -> list[float]:
        return [x for run in self.runs for x in run.latencies]

    def per_request(self, attribute: str) -> float:
        total = sum(getattr(run, attribute) for run in self.runs)
        count = sum(len(run.latencies) for run in self.runs)
        return total / count if count else 0.0

    def idle(self) -> float:
        ticks = sum(run.ticks for run in self.runs)
        return sum(run.idle for run in self.runs) / ticks if ticks else 0.0


def run(stores: list[str], seconds: float, *, quick: bool = False) -> list[Figure]:
    figures: list[Figure] = []
    for kind in stores:
        with store(kind) as where:
            figures.extend(_run(where, seconds, quick))
    return figures


def _run(where: Store, seconds: float, quick: bool) -> list[Figure]:
    rounds = 1 if quick else max(1, round(seconds / 2))
    window = seconds / rounds
    warmup = 0.25 if quick else 0.5
    product = Product(where, _product_argv())
    servers = [product.server]
    try:
        read_ids = product.open_cases(CASES, READ_INCIDENTS)
        product.read_all(read_ids)
        rows = product.stored_rows()
        baseline = _baseline(where, product, rows)
        servers.append(baseline)
        result = _compare(product, baseline, read_ids, rounds, window, warmup)
        grown = result.pop("grown")
        figures = _figures(where.kind, result, product, rows, grown)
        baseline.stop()
        product.restart([sys.executable, "-m", "bench.http_profile"])
        servers.append(product.server)
        figures.extend(_profile(where.kind, product, read_ids, 0.5 if quick else 1.5))
        final = product.stored_rows()
        figures.append(
            Figure(
                "http",
                where.kind,
                "stored rows after the run (median bytes)",
                float(sum(count for _, _, count in final.values())),
                "rows",
                note="; ".join(
                    f"{kind} {size} B ({count:,} rows)" for kind, (_, size, count) in final.items()
                ),
            )
        )
        return figures
    finally:
        for server in servers:
            server.stop()


def _compare(
    product: Product,
    baseline: Server,
    read_ids: list[str],
    rounds: int,
    window: float,
    warmup: float,
) -> dict[str, Any]:
    headers = product.headers
    body = {
        "incident": _padded_body(len(product.incident)),
        "opened": _padded_body(len(product.complaint)),
    }
    ids = [str(uuid.uuid4()) for _ in range(CASES)]
    baseline_plans = {
        "incident": _share(
            [("POST", f"/raw/incident/{i}", body["incident"]) for i in ids], CLIENTS
        ),
        "opened": _share([("POST", f"/raw/opened/{i}", body["opened"]) for i in ids], CLIENTS),
        "raw insert": _share([("GET", f"/raw/access/{i}", None) for i in read_ids], CLIENTS),
        "raw select": _share([("GET", f"/rows/{n}", None) for n in range(SEEDED)], CLIENTS),
    }
    opened_plan: list[list[Request]] = [[("POST", "/cases", product.complaint)]] * CLIENTS
    read_plan = _share([("GET", f"/cases/{i}", None) for i in read_ids], CLIENTS)
    workloads: dict[str, list[Variant]] = {
        "incident": [Variant("product", product.server), Variant("baseline", baseline)],
        "opened": [Variant("product", product.server), Variant("baseline", baseline)],
        "read": [
            Variant("product", product.server),
            Variant("raw insert", baseline),
            Variant("raw select", baseline),
        ],
    }
    grown: list[float] = []
    for r in range(rounds):
        for workload, variants in workloads.items():
            order = variants if r % 2 == 0 else variants[::-1]
            for variant in order:
                if variant.name == "product" and workload == "incident":
                    fresh = product.open_cases(CASES)
                    plans = _share(
                        [("POST", f"/cases/{i}/incidents", product.incident) for i in fresh],
                        CLIENTS,
                    )
                elif variant.name == "product":
                    plans = opened_plan if workload == "opened" else read_plan
                elif workload == "read":
                    plans = baseline_plans[variant.name]
                else:
                    plans = baseline_plans[workload]
                done = drive(variant.server, headers, plans, warmup, window)
                if variant.name == "product" and workload == "incident":
                    grown.append(done.sent / CASES)
                variant.runs.append(done)
    return {"grown": grown, **workloads}


def _ratio(variant: Variant, base: Variant) -> float:
    return statistics.median(
        p.rate / b.rate for p, b in zip(variant.runs, base.runs, strict=True) if b.rate
    )


def _tail(variant: Variant) -> float:
    latencies = variant.pooled()
    return percentile(latencies, 0.99) / percentile(latencies, 0.5)


def _cpu_note(variant: Variant) -> str:
    latencies = variant.pooled()
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    return (
        f"p50 {p50 * 1e3:.2f} ms, p99 {p99 * 1e3:.2f} ms (p99/p50 {p99 / p50:.1f});"
        f" CPU per request: server {variant.per_request('server_cpu') * 1e3:.2f} ms,"
        f" client {variant.per_request('client_cpu') * 1e3:.2f} ms,"
        f" PostgreSQL {variant.per_request('postgres_cpu') * 1e3:.2f} ms;"
        f" machine idle {variant.idle():.0%}"
    )


def _figures(
    kind: str,
    result: dict[str, list[Variant]],
    product: Product,
    rows: dict[str, tuple[str, int, int]],
    grown: list[float],
) -> list[Figure]:
    figures: list[Figure] = []
    sizes = {"incident": len(product.incident), "opened": len(product.complaint)}
    labels = {
        "incident": "POST /cases/{id}/incidents (record an incident)",
        "opened": "POST /cases (open a case)",
        "read": "GET /cases/{id} (+ its access record)",
    }
    for workload, variants in result.items():
        mine, base = variants[0], variants[1]
        rounds = len(mine.runs)
        if workload == "read":
            row = rows["access"][1]
            base_label = f"raw insert route, GET, one {row} B row"
        else:
            row = rows[workload][1]
            base_label = f"raw insert route, POST {sizes[workload]} B body, one {row} B row"
        figures.append(
            Figure(
                "http",
                kind,
                base_label,
                statistics.median(r.rate for r in base.runs),
                "req/s",
                1.0,
                note=f"{rounds} interleaved rounds of {base.runs[0].seconds:.1f} s,"
                f" {CLIENTS} clients; " + _cpu_note(base),
            )
        )
        if workload == "read":
            select = variants[2]
            figures.append(
                Figure(
                    "http",
                    kind,
                    "raw select route, GET, one row by key",
                    statistics.median(r.rate for r in select.runs),
                    "req/s",
                    _ratio(select, base),
                    baseline="raw insert route",
                    note=_cpu_note(select),
                )
            )
        note = _cpu_note(mine)
        if workload == "incident":
            note += (
                f"; {CASES} fresh cases per round, {CASES // CLIENTS}-{-(-CASES // CLIENTS)}"
                f" per client; each grew from 2 to about {2 + statistics.median(grown):.0f}"
                " events in a round"
            )
        elif workload == "read":
            note += f"; {CASES} cases of {2 + READ_INCIDENTS} events, rotated"
        figures.append(
            Figure(
                "http",
                kind,
                labels[workload],
                statistics.median(r.rate for r in mine.runs),
                "req/s",
                _ratio(mine, base),
                baseline="raw insert route",
                target=None if workload == "read" else TARGET,
                note=note,
            )
        )
        if workload == "read":
            select = variants[2]
            figures.append(
                Figure(
                    "http",
                    kind,
                    labels[workload],
                    statistics.median(r.rate for r in mine.runs),
                    "req/s",
                    _ratio(mine, select),
                    baseline="raw select route",
                )
            )
        latencies = mine.pooled()
        p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        figures.append(
            Ceiling(
                "http",
                kind,
                f"{labels[workload]}: p99 ÷ p50",
                p99 * 1e3,
                "ms p99",
                p99 / p50,
                baseline=f"its p50 ({p50 * 1e3:.2f} ms); target < {TAIL:g}x",
                note=f"the raw insert route's own p99 ÷ p50 here: {_tail(base):.1f}x",
            )
        )
    return figures


# ------------------------------------------------------------------ where the time goes

PHASES: tuple[tuple[str, int], ...] = (
    ("thread-pool hop (dispatch + return)", 1),
    ("auth: JWT verify", 1),
    ("body validation (pydantic)", 1),
    ("load case (get_case)", 1),
    ("load: select rows", 2),
    ("load: decode (ChainMapper.to_domain_event)", 2),
    ("handler (record_incident.handle)", 1),
    ("handler (open_case.handle)", 1),
    ("open: reserve reference + keys (commit)", 2),
    ("seal a field (AES-GCM)", 2),
    ("key for sealing", 3),
    ("build the event (Case.record_incident)", 2),
    ("build the events (Case.open)", 2),
    ("render the case view", 1),
    ("key for reading", 2),
    ("access record (AccessLog.record)", 1),
    ("save (Application.save)", 2),
    ("save: encode (to_stored_event)", 3),
    ("save: insert (recorder)", 3),
    ("hash an event (chain check on load; new events)", 2),
    ("receipt response", 1),
    ("response JSON (render)", 1),
    ("metrics", 1),
    ("request log line (structlog JSON)", 1),
)
TOTAL = "request, server side (middleware in to out)"
RUNNER = "projection runner (its own thread)"


def _profile(kind: str, product: Product, read_ids: list[str], window: float) -> list[Figure]:
    """Each workload once more on the timed server, with ``CLIENTS`` clients as measured."""
    server = product.server
    workloads: dict[str, list[Request]] = {
        "POST incident": [],
        "POST /cases": [("POST", "/cases", product.complaint)],
        "GET /cases/{id}": [("GET", f"/cases/{i}", None) for i in read_ids],
    }
    figures: list[Figure] = []
    with httpx.Client(base_url=server.url, timeout=60) as control:
        for workload, plan in workloads.items():
            if workload == "POST incident":
                fresh = product.open_cases(CASES)
                plan = [("POST", f"/cases/{i}/incidents", product.incident) for i in fresh]
            plans = _share(plan, CLIENTS) if len(plan) >= CLIENTS else [plan] * CLIENTS
            drive(server, product.headers, plans, 0.0, 0.3)  # warm
            control.get("/__bench/profile", params={"reset": True}).raise_for_status()
            done = drive(server, product.headers, plans, 0.0, window)
            counters: dict[str, list[float]] = control.get("/__bench/profile").json()
            figures.extend(_profile_figures(kind, workload, done, counters))
    return figures


def _profile_figures(
    kind: str, workload: str, done: Run, counters: dict[str, list[float]]
) -> list[Figure]:
    requests = counters.get(TOTAL, [0.0, 0.0, 0.0])[0]
    if not requests or not done.latencies:
        return []

    def us(value: float) -> float:
        return value / requests * 1e6

    server_cpu = done.server_cpu / len(done.latencies) * 1e6
    figures = [
        Figure(
            "http profile",
            kind,
            f"{workload}: server process CPU per request (/proc)",
            server_cpu,
            "µs CPU",
            note=f"{CLIENTS} clients, {len(done.latencies)} requests in {done.seconds:.1f} s;"
            f" client p50 {percentile(done.latencies, 0.5) * 1e3:.2f} ms; server side (in to"
            f" out of the middleware) {us(counters[TOTAL][1]):,.0f} µs wall",
        ),
    ]
    attributed = 0.0
    for name, depth in PHASES:
        if name not in counters:
            continue
        calls, wall, cpu = counters[name]
        nested = name == "response JSON (render)" and "receipt response" in counters
        if depth == 1 and not nested:
            attributed += us(cpu)
        label = f"{workload}: {'· ' * depth}{name}"
        per = f"{calls / requests:.1f} calls per request"
        if cpu:
            figures.append(
                Figure(
                    "http profile",
                    kind,
                    label,
                    us(cpu),
                    "µs CPU",
                    note=f"wall {us(wall):,.0f} µs; {per}",
                )
            )
        else:
            figures.append(Figure("http profile", kind, label, us(wall), "µs wall", note=per))
    runner, runner_wall = (
        (us(counters[RUNNER][2]), us(counters[RUNNER][1])) if RUNNER in counters else (0.0, 0.0)
    )
    figures.append(
        Figure(
            "http profile",
            kind,
            f"{workload}: {RUNNER}",
            runner,
            "µs CPU",
            note=f"per request, in the background (wall {runner_wall:,.0f} µs)",
        )
    )
    figures.append(
        Figure(
            "http profile",
            kind,
            f"{workload}: unattributed: uvicorn/h11, Starlette/FastAPI, thread pool, event loop",
            server_cpu - attributed - runner,
            "µs CPU",
            note="the server's CPU per request less the timed phases' and the runner's",
        )
    )
    return figures
