"""Issue 12's person register: search among 100,000 people, and opening a case with the
duplicate check, on both stores.

Search: ``ledger.people.search(PlainDetails(...))`` for a registered person picked at random
(name, phone, address and date of birth as they were registered), timed one call at a time,
everything it does included (hashing the tokens, the select, loading each candidate's record
to check that it exists and follow merges, ``kinds_of``). Raw baseline: one indexed select of
one blind token (the person's surname-and-birth token) from the same table,
``SELECT person_ref, kind FROM asb_person_tokens WHERE token = ?``, on a connection of the
same kind (``sqlite3`` on the same file; psycopg, autocommit, as the product's pool hands
out). Interleaved round-robin in chunks; p50 and p99 pool the rounds (the first discarded).

Intake: ``commands.handlers.handle(OpenCase(...), UnitOfWork(ledger=ledger))`` with
``check_duplicates=True`` against the same with ``False``, interleaved by ``compare``, each
opening naming a new complainant (a name drawn as the register's, a phone, home and date of
birth of their own, so nothing is found to be them) against a register of 10,000 people.
The register is made by ``bench/register.py``.
"""

from __future__ import annotations

import gc
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg
from psycopg import sql

from bench.common import Figure, Op, Store, compare, percentile, store
from bench.register import Loader, People, Someone, crowd
from commands.common import PersonText
from commands.handlers import handle
from commands.open_case import OpenCase
from commands.unit_of_work import UnitOfWork
from ledger.application import CaseLedger
from ledger.enums import Category, Channel, ContactMethod, Department
from ledger.identity import TokenKind
from tests.builders import CASEWORKER

SEARCH_TARGET = 0.5
INTAKE_TARGET = 0.8
PEOPLE = 100_000
INTAKE_PEOPLE = 10_000
QUICK_PEOPLE = 2_000


def _populate(ledger: CaseLedger, people: list[Someone]) -> float:
    t0 = time.perf_counter()
    Loader(ledger).load(people)
    return time.perf_counter() - t0


# ------------------------------------------------------------------ search


def _raw_select(ledger: CaseLedger) -> tuple[Callable[[str], int], Callable[[], None]]:
    """One indexed select of one token, on a connection of the product's kind."""
    config = ledger.store_config
    if config.sqlite_path is not None:
        conn = sqlite3.connect(config.sqlite_path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")

        def select(token: str) -> int:
            rows = conn.execute(
                "SELECT person_ref, kind FROM asb_person_tokens WHERE token = ?", (token,)
            ).fetchall()
            return len(rows)

        return select, conn.close
    assert config.postgres_conninfo is not None
    pg = psycopg.connect(config.postgres_conninfo, autocommit=True)
    statement = sql.SQL("SELECT person_ref, kind FROM {} WHERE token = %s").format(
        sql.Identifier(config.postgres_schema, "asb_person_tokens")
    )

    def select_pg(token: str) -> int:
        return len(pg.execute(statement, (token,)).fetchall())

    return select_pg, pg.close


def search(where: Store, people: int, seconds: float, *, searches: int) -> list[Figure]:
    ledger = where.ledger()
    close: Callable[[], None] = lambda: None  # noqa: E731
    try:
        crowd_ = list(crowd(people))
        built = _populate(ledger, crowd_)
        print(f"    {where.kind}: {people:,} people registered in {built:.0f} s", file=sys.stderr)
        select, close = _raw_select(ledger)
        index = ledger.people.index
        rng = random.Random(7)
        times: dict[str, list[float]] = {"search": [], "raw": []}
        ratios: list[float] = []
        candidates: list[float] = []
        chunk = {"search": 20, "raw": 100}
        started, rounds = time.perf_counter(), 0
        while (
            rounds <= 3
            or len(times["search"]) < searches
            or time.perf_counter() - started < seconds
        ):
            gc.collect()
            mean: dict[str, float] = {}
            for name in ("search", "raw"):
                picked = [rng.choice(crowd_) for _ in range(chunk[name])]
                spent: list[float] = []
                if name == "search":
                    for who in picked:
                        t0 = time.perf_counter()
                        found = ledger.people.search(who.details)
                        spent.append(time.perf_counter() - t0)
                        assert who.ref in [c.person_ref for c in found if c.strong]
                        if rounds:
                            candidates.append(len(found))
                else:
                    tokens = [
                        next(
                            t
                            for t, k in index.tokens(who.details.tokens()).items()
                            if k is TokenKind.SURNAME_AND_BIRTH
                        )
                        for who in picked
                    ]
                    for token in tokens:
                        t0 = time.perf_counter()
                        assert select(token) >= 1
                        spent.append(time.perf_counter() - t0)
                mean[name] = statistics.fmean(spent)
                if rounds:
                    times[name].extend(spent)
            if rounds:
                ratios.append(mean["raw"] / mean["search"])
            rounds += 1
    finally:
        close()
        ledger.close()
    return _search_figures(where.kind, people, times, ratios, candidates, rounds - 1)


def _search_figures(
    kind: str,
    people: int,
    times: dict[str, list[float]],
    ratios: list[float],
    candidates: list[float],
    rounds: int,
) -> list[Figure]:
    p = {name: (percentile(spent, 0.5), percentile(spent, 0.99)) for name, spent in times.items()}
    raw50, raw99 = p["raw"]
    ours50, ours99 = p["search"]
    label = f"{people:,} people"
    many = sorted(candidates)
    return [
        Figure(
            "search",
            kind,
            f"raw select of one blind token, {label}",
            1 / statistics.fmean(times["raw"]),
            "per s",
            1.0,
            note=f"p50 {raw50 * 1e3:.3f} ms, p99 {raw99 * 1e3:.3f} ms; {rounds} interleaved"
            f" rounds, {len(times['raw']):,} selects",
        ),
        Figure(
            "search",
            kind,
            f"`people.search`, a registered person, {label}: p50",
            1 / ours50,
            "per s",
            raw50 / ours50,
            baseline="raw select p50",
            target=SEARCH_TARGET,
            note=f"p50 {ours50 * 1e3:.2f} ms; {len(times['search']):,} searches; candidates"
            f" per search: median {percentile(many, 0.5):.0f}, p99 {percentile(many, 0.99):.0f},"
            f" max {many[-1]:.0f}",
        ),
        Figure(
            "search",
            kind,
            f"`people.search`, a registered person, {label}: p99",
            1 / ours99,
            "per s",
            raw99 / ours99,
            baseline="raw select p99",
            target=SEARCH_TARGET,
            note=f"p99 {ours99 * 1e3:.2f} ms",
        ),
        Figure(
            "search",
            kind,
            f"`people.search`, a registered person, {label}: mean",
            1 / statistics.fmean(times["search"]),
            "per s",
            statistics.median(ratios),
            baseline="raw select, mean",
            note="median over rounds of the ratio of the chunks' mean times",
        ),
    ]


# ------------------------------------------------------------------ intake


def _opener(ledger: CaseLedger, newcomers: People, *, check: bool) -> Op:
    def open_case() -> int:
        who = newcomers.someone()
        details = who.details
        assert details.name is not None
        when = datetime.now(UTC) - timedelta(minutes=1)
        handle(
            OpenCase(
                case_id=uuid4(),
                actor=CASEWORKER,
                occurred_at=when,
                channel=Channel.PHONE,
                received_at=when,
                category=Category.PERSONAL,
                description="Loud music late at night, most nights this month",
                location=f"Outside {details.address}",
                lead_department=Department.COMMUNITY_SAFETY,
                complainant_ref=who.ref,
                complainant=PersonText(
                    name=details.name,
                    contact=details.contact,
                    address=details.address,
                    date_of_birth=details.date_of_birth,
                ),
                preferred_contact=ContactMethod.PHONE,
                check_duplicates=check,
            ),
            UnitOfWork(ledger=ledger),
        )
        return 1

    return open_case


def intake(where: Store, people: int, seconds: float) -> list[Figure]:
    ledger = where.ledger()
    try:
        built = _populate(ledger, list(crowd(people)))
        print(f"    {where.kind}: {people:,} people registered in {built:.0f} s", file=sys.stderr)
        # One source for both: each newcomer is born on a day of their own.
        newcomers = People(21, first_serial=5_000_000, newcomers=True)
        ops = {
            "without": _opener(ledger, newcomers, check=False),
            "with": _opener(ledger, newcomers, check=True),
        }
        result = compare(
            ops, baseline="without", chunk={"without": 10, "with": 10}, seconds=seconds
        )
    finally:
        ledger.close()
    return [
        Figure(
            "intake",
            where.kind,
            f"open a case, no duplicate check, {people:,} people registered",
            result.rates["without"],
            "cases/s",
            1.0,
            note=f"{result.rounds} interleaved rounds of 10 openings each",
        ),
        Figure(
            "intake",
            where.kind,
            f"open a case with the duplicate check, {people:,} people registered",
            result.rates["with"],
            "cases/s",
            result.ratios["with"],
            baseline="without the check",
            target=INTAKE_TARGET,
            note="a new complainant each time; nothing found to be them",
        ),
    ]


# ------------------------------------------------------------------ the sections


def run_search(stores: list[str], seconds: float, *, quick: bool = False) -> list[Figure]:
    """Person search among 100,000 people (2,000 with ``quick``) on each store."""
    people = QUICK_PEOPLE if quick else PEOPLE
    figures: list[Figure] = []
    for kind in stores:
        with store(kind) as where:
            figures += search(where, people, seconds, searches=40 if quick else 400)
    return figures


def run_intake(stores: list[str], seconds: float, *, quick: bool = False) -> list[Figure]:
    """Openings with and without the duplicate check, 10,000 people registered."""
    people = QUICK_PEOPLE if quick else INTAKE_PEOPLE
    figures: list[Figure] = []
    for kind in stores:
        with store(kind) as where:
            figures += intake(where, people, seconds)
    return figures
