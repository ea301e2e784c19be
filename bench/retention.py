"""The retention sweep over 100,000 closed cases, on both stores, against a raw loop (issue 13).

Setup (not timed): closed cases made through the real aggregate (``Case.open``,
``link_person``, ``close``: rules checked, hash-chained, sealed with real AES-GCM under the
right scopes as ``bench.population`` seals) in worker processes, their stored events
inserted a chunk at a time; a data key row for every scope (the case's, its complainant's,
its victim's; a tenth of victims are also on the next case) through the key table's own
``reserve``; ten cases held, and one victim (registered) held; the caseload view caught up
by its runner (timed, for the note).

The product is the real code path of ``asb-ledger dpo retention --apply``:
``RetentionSweep.due()`` (the view's list, with the holds), then ``RetentionSweep.apply``
on it, case by case: the case loaded and its chain checked, the holds read, each person's
other cases looked up, each key's destruction recorded then done (``CaseLedger.destroy_key``),
the ``CaseErased`` record saved. The raw loop, on its own copy of the key rows and its own
event table, does per case only what must reach the disk: one transaction that nulls the
same key rows and inserts one row per destruction and one for the case (JSON of the same
fields), skipping the same held cases. The two run interleaved, a slice of the cases at a
time, and the ratio is the median of the slices'.

Usage: ``python -m bench.retention [--cases N] [--stores sqlite,postgres]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg import sql

from api.retention import RetentionSweep
from bench.common import Figure, Store, pg_conninfo, pg_raw_table, quiet_logging, store
from bench.population import Population
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import (
    Category,
    Channel,
    ClosureReason,
    ContactMethod,
    Department,
    HoldReason,
    PersonRole,
    Role,
)
from ledger.erasure import CaseReferenceIndex
from ledger.holds import HoldScope, LegalHold
from ledger.people import Person
from ledger.sealing import case_scope, person_scope
from ledger.settings import Settings
from ledger.values import Actor, Feedback
from projections import ViewRunner, open_view_store
from projections.caseload.projection import Caseload

CASES = 100_000
QUICK_CASES = 2_000
SLICES = 20
CHUNK = 500
HELD = 10
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
FIRST_CLOSURE = datetime(2015, 1, 5, 10, 0, tzinfo=UTC)
WORKER = Actor(user_id="cw-1", display_name="Bench", role=Role.CASEWORKER, organisation="council")
BOSS = Actor(user_id="sv-1", display_name="Bench", role=Role.SUPERVISOR, organisation="council")
DPO = Actor(user_id="dpo-1", display_name="Bench DPO", role=Role.DPO, organisation="council")
_worker: dict[str, CaseLedger] = {}


# ------------------------------------------------------------------ setup


def _chunk(task: tuple[int, int, int]) -> tuple[list[StoredEvent], list[list[str]]]:
    """``count`` closed cases from number ``first``: their stored events, and each case's
    key scopes (its own first)."""
    seed, first, count = task
    ledger = _worker.get("ledger")
    if ledger is None:
        ledger = _worker["ledger"] = CaseLedger(Settings(database_url="memory://"))
    seal = Population(ledger, seed=seed)
    rng = random.Random(seed)
    aggregates: list[Any] = []
    scopes: list[list[str]] = []
    victim = uuid4()
    for number in range(first, first + count):
        case_id, complainant = uuid4(), uuid4()
        closed = FIRST_CLOSURE + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        opened = closed - timedelta(days=30)
        case = Case.open(
            case_id=case_id,
            actor=WORKER,
            occurred_at=opened,
            reference=f"ASB-{opened.year}-{number:07d}",
            channel=Channel.PHONE,
            received_at=opened,
            category=rng.choice(list(Category)),
            description=seal.note(case_id, "description"),
            location=seal.note(case_id, "location"),
            lead_department=Department.COMMUNITY_SAFETY,
            complainant_ref=complainant,
            complainant=seal.person(case_id, complainant),
            preferred_contact=ContactMethod.PHONE,
        )
        victim = victim if rng.random() < 0.1 else uuid4()  # a tenth: the last case's too
        case.link_person(
            actor=WORKER,
            occurred_at=opened,
            person_ref=victim,
            role=PersonRole.VICTIM,
            details=seal.person(case_id, victim),
        )
        case.close(
            actor=BOSS,
            occurred_at=closed,
            reason=ClosureReason.RESOLVED,
            full_reasons=seal.note(case_id, "full_reasons"),
            feedback=Feedback(
                method=ContactMethod.PHONE,
                given_at=closed,
                given_by=BOSS.user_id,
                preferred_method_used=True,
            ),
        )
        aggregates += [case, CaseReferenceIndex(reference=case.reference, case_id=case_id)]
        scopes.append([case_scope(case_id), person_scope(complainant), person_scope(victim)])
    to_stored = ledger.mapper.to_stored_event
    return [to_stored(e) for a in aggregates for e in a.collect_events()], scopes


def build(ledger: CaseLedger, cases: int) -> list[list[str]]:
    """Fills the store with ``cases`` closed cases and their key rows; returns each case's
    scopes, in the order made."""
    scopes: list[list[str]] = []
    tasks = [(1_000_003 + i, i, min(CHUNK, cases - i)) for i in range(0, cases, CHUNK)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for stored, made in pool.map(_chunk, tasks):
            ledger.recorder.insert_events(stored)
            fresh = list(dict.fromkeys(s for case in made for s in case))
            ledger.keys.table.reserve(2015, [(scope, os.urandom(60)) for scope in fresh])
            scopes.extend(made)
    return scopes


def hold_some(ledger: CaseLedger, scopes: list[list[str]]) -> set[str]:
    """``HELD`` cases held, and one victim (registered first): the scopes of the cases held."""
    rng = random.Random(7)
    held = rng.sample(range(len(scopes)), HELD + 1)
    for index in held[:HELD]:
        _hold(ledger, HoldScope(case_id=UUID(scopes[index][0].removeprefix("case:"))))
    victim = UUID(scopes[held[HELD]][2].removeprefix("person:"))
    seal = Population(ledger)
    ledger.save(
        Person.register(
            actor=WORKER, occurred_at=NOW, person_ref=victim, details=seal.person(victim, victim)
        )
    )
    _hold(ledger, HoldScope(person_ref=victim))
    return {scopes[i][0] for i in held[:HELD]} | {
        case[0] for case in scopes if case[2] == person_scope(victim)
    }


def _hold(ledger: CaseLedger, scope: HoldScope) -> None:
    ledger.holds.place(
        LegalHold.place(
            hold_id=uuid4(),
            actor=DPO,
            occurred_at=NOW,
            scope=scope,
            reason=HoldReason.LITIGATION,
            reference="KB-2025-1",
        )
    )


# ------------------------------------------------------------------ the raw loop


class RawLoop:
    """Its own key rows and event table: per case, one transaction nulling the key rows and
    inserting one row per key and one for the case."""

    def __init__(self, where: Store, scopes: list[list[str]]) -> None:
        self.kind = where.kind
        self.written = 0
        rows = [(s,) for s in dict.fromkeys(s for case in scopes for s in case)]
        if where.kind == "sqlite":
            self.lite = sqlite3.connect(where.directory / "raw.sqlite3", isolation_level=None)
            self.lite.execute("PRAGMA journal_mode=WAL")
            self.lite.execute("CREATE TABLE raw_keys (scope TEXT PRIMARY KEY, wrapped BLOB)")
            self.lite.execute(
                "CREATE TABLE raw_events (originator_id TEXT, originator_version INTEGER,"
                " topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
            )
            self.lite.execute("BEGIN")
            self.lite.executemany(f"INSERT INTO raw_keys VALUES (?, x'{'00' * 60}')", rows)
            self.lite.execute("COMMIT")
            return
        assert where.schema is not None
        schema = f"{where.schema}_raw"
        where.schemas.append(schema)
        self.pg = psycopg.connect(pg_conninfo(), autocommit=True)
        pg_raw_table(self.pg, schema, "raw_events")
        self.pg.execute(
            sql.SQL("CREATE TABLE {} (scope text PRIMARY KEY, wrapped bytea)").format(
                sql.Identifier(schema, "raw_keys")
            )
        )
        with self.pg.transaction(), self.pg.cursor() as cursor:
            cursor.executemany(
                sql.SQL("INSERT INTO {} VALUES (%s, %s)").format(
                    sql.Identifier(schema, "raw_keys")
                ),
                [(s, bytes(60)) for (s,) in rows],
            )
        self.keys_sql = sql.SQL(
            "UPDATE {} SET wrapped = NULL WHERE scope = ANY(%s) AND wrapped IS NOT NULL"
        ).format(sql.Identifier(schema, "raw_keys"))
        self.insert_sql = sql.SQL(
            "INSERT INTO {} (originator_id, originator_version, topic, state)"
            " VALUES (%s, 1, %s, %s)"
        ).format(sql.Identifier(schema, "raw_events"))

    def erase(self, scopes: list[str]) -> None:
        when = NOW.isoformat()
        rows = [
            (str(uuid4()), "asb.erasure.KeyDestroyed.v1", _state(scope=s, at=when)) for s in scopes
        ]
        rows.append((str(uuid4()), "asb.retention.CaseErased.v1", _state(scopes=scopes, at=when)))
        if self.kind == "sqlite":
            self.lite.execute("BEGIN")
            marks = ", ".join("?" * len(scopes))
            self.lite.execute(
                f"UPDATE raw_keys SET wrapped = NULL WHERE scope IN ({marks})"
                " AND wrapped IS NOT NULL",
                scopes,
            )
            self.lite.executemany("INSERT INTO raw_events VALUES (?, 1, ?, ?)", rows)
            self.lite.execute("COMMIT")
        else:
            with self.pg.transaction(), self.pg.cursor() as cursor:
                cursor.execute(self.keys_sql, (scopes,))
                cursor.executemany(self.insert_sql, [(UUID(i), t, s) for i, t, s in rows])
        self.written += len(rows)

    def close(self) -> None:
        if self.kind == "sqlite":
            self.lite.close()
        else:
            self.pg.close()


def _state(**fields: Any) -> bytes:
    return json.dumps({"actor": {"user_id": DPO.user_id, "role": "dpo"}, **fields}).encode()


# ------------------------------------------------------------------ the comparison


def run_store(kind: str, cases: int) -> list[Figure]:
    with store(kind) as where:
        ledger = where.ledger()
        views = open_view_store(ledger.store_config)
        try:
            return _compare(where, ledger, views, cases)
        finally:
            views.close()
            ledger.close()


def _compare(where: Store, ledger: CaseLedger, views: Any, cases: int) -> list[Figure]:
    t0 = time.perf_counter()
    scopes = build(ledger, cases)
    held = hold_some(ledger, scopes)
    built = time.perf_counter() - t0
    view = Caseload(views, application_name=ledger.name)
    t0 = time.perf_counter()
    ViewRunner(ledger, [view], page_size=500).catch_up()
    caught_up = time.perf_counter() - t0
    raw = RawLoop(where, scopes)
    by_case = {case[0]: case for case in scopes}

    sweep = RetentionSweep(ledger, view, actor=DPO, now=NOW)
    t0 = time.perf_counter()
    rows = [due.row for due in sweep.due()]
    listed = time.perf_counter() - t0
    assert len(rows) == cases, (len(rows), cases)
    step = max(1, len(rows) // SLICES)
    product: list[float] = []
    baseline: list[float] = []
    statuses: dict[str, int] = {}
    for start in range(0, len(rows), step):
        part = rows[start : start + step]
        t0 = time.perf_counter()
        for outcome in sweep.apply(part):
            statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
        product.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for row in part:
            if case_scope(row.case_id) not in held:
                raw.erase(by_case[case_scope(row.case_id)])
        baseline.append(time.perf_counter() - t0)
    raw.close()
    assert statuses.get("failed", 0) == 0, statuses
    assert statuses.get("held", 0) == len(held), (statuses, len(held))
    ratio = statistics.median(b / p for p, b in zip(product, baseline, strict=True))
    swept = listed + sum(product)
    workload = f"{cases:,} closed cases past retention, {len(held)} held"
    return [
        Figure(
            "retention",
            where.kind,
            f"raw loop: {workload}",
            cases / sum(baseline),
            "cases/s",
            1.0,
            note=f"{len(rows[::step])} interleaved slices; one transaction a case: the key"
            f" rows nulled, {raw.written:,} rows inserted",
        ),
        Figure(
            "retention",
            where.kind,
            f"`dpo retention --apply` (RetentionSweep): {workload}",
            cases / swept,
            "cases/s",
            ratio,
            "raw loop",
            note=f"erased {statuses.get('erased', 0):,}; listing {listed:.1f} s of"
            f" {swept:.0f} s; view catch-up {caught_up:.0f} s and setup {built:.0f} s not"
            " in the rate",
        ),
    ]


def run(stores: list[str], seconds: float, *, quick: bool = False) -> list[Figure]:
    """For ``bench.run``: ``seconds`` does not bound it (every case is swept once)."""
    return [f for kind in stores for f in run_store(kind, QUICK_CASES if quick else CASES)]


@contextmanager
def _timed(label: str) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    print(f"{label}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    from bench.run import table

    parser = argparse.ArgumentParser(prog="python -m bench.retention", description=__doc__)
    parser.add_argument("--cases", type=int, default=CASES, help="closed cases to sweep")
    parser.add_argument("--stores", default="sqlite,postgres", help="comma-separated")
    args = parser.parse_args(argv)
    quiet_logging()
    figures: list[Figure] = []
    for kind in [s.strip() for s in args.stores.split(",") if s.strip()]:
        with _timed(kind):
            figures += run_store(kind, args.cases)
    print(table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
