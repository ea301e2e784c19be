"""Inclusion and consistency proofs at 10⁵ and 10⁶ leaves, against the same rows read by hand.

Set-up (not timed): a ``Notary`` with its own ``suffix`` (so the real tables, keys and
indexes) is filled with synthetic leaves: seeded random 32-byte event hashes, their leaf
hashes and every perfect subtree computed by ``ledger.merkle.MemoryHashStore``, bulk-inserted
(``executemany`` on SQLite, ``COPY`` on PostgreSQL, then ``ANALYZE`` there, as autovacuum
would). Populating 10⁶ real events would take most of an hour; the proof code reads only
these two tables, whatever made them.

Timed: a few hundred proofs spread across the tree (random leaves and random old sizes, plus
both ends), ``notary.inclusion_proof(i, n)`` and ``notary.consistency_proof(m, n)`` at the
full size ``n``, interleaved round by round with the raw baseline: each proof's rows (the
same leaves and perfect subtrees, deduplicated as the notary does) fetched by one
hand-written query prepared beforehand, on a plain ``sqlite3`` or psycopg connection, with
no plan, no SQL building, no hex decoding and no pool. Per round: wall time
(``perf_counter``), this process's CPU (``process_time``) and, on a local PostgreSQL, the
serving backend's CPU from ``/proc`` (10 ms ticks, so it is totalled over all rounds).

Checked, outside the timed region: every proof of every round verifies
(``merkle.verify_inclusion`` / ``verify_consistency``) against ``merkle.tree_head`` of the
synthetic tree in memory, and equals the proof computed from that tree; an instrumented
``select`` counts the queries and rows each proof reads (one query, at most
``2·⌈log2 n⌉`` rows), the raw query returns the same number of rows, and the database's
plan (``EXPLAIN``) for the proof with the most rows finds them by index, with no table scan.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import os
import random
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import psycopg

from bench.common import Figure, quiet_logging, store
from ledger import merkle
from projections.notary import Notary
from projections.store import PostgresViewStore, Row, SQLiteViewStore, ViewStore, open_view_store

SIZES = (100_000, 1_000_000)
QUICK_SIZES = (10_000,)
PICKS = 300
CASES = 10_000
"""Synthetic leaves belong to this many cases, in turn (only the unique keys care)."""
CPU_TARGET = 1e-3
MIN_ROUNDS = 5
KINDS = ("inclusion", "consistency")


# ------------------------------------------------------------------ the synthetic tree


@dataclass
class Synthetic:
    """A tree of ``size`` random leaves, in memory and as the notary's rows."""

    size: int
    tree: merkle.MemoryHashStore
    leaves: list[tuple[int, int, str, int, str, str]]
    subtrees: list[tuple[int, int, str]]

    @property
    def root(self) -> bytes:
        return merkle.tree_head(self.tree, self.size)


def synthesize(size: int, seed: int = 6) -> Synthetic:
    rng = random.Random(seed)
    cases = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(CASES)]
    tree = merkle.MemoryHashStore()
    leaves: list[tuple[int, int, str, int, str, str]] = []
    for index in range(size):
        digest = rng.randbytes(32).hex()
        leaf = merkle.event_leaf_hash(digest)
        tree.append(leaf)
        leaves.append(
            (index, index + 1, cases[index % CASES], index // CASES + 1, digest, leaf.hex())
        )
    subtrees = [
        (start, width, tree.subtree(start, width).hex())
        for index in range(size)
        for start, width in merkle.completed_by(index)
    ]
    return Synthetic(size, tree, leaves, subtrees)


def load(views: ViewStore, notary: Notary, synthetic: Synthetic) -> None:
    """The synthetic rows into the notary's tables, in bulk."""
    if isinstance(views, PostgresViewStore):
        with views.pool.connection() as conn:
            with conn.transaction(), conn.cursor() as cursor:
                for table, rows in (
                    (notary.tables.leaves, synthetic.leaves),
                    (notary.tables.subtrees, synthetic.subtrees),
                ):
                    with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            conn.execute(f"ANALYZE {notary.tables.leaves}")
            conn.execute(f"ANALYZE {notary.tables.subtrees}")
        return
    with views.transaction() as tx:
        tx.executemany(
            f"INSERT INTO {notary.tables.leaves} VALUES (?, ?, ?, ?, ?, ?)", synthetic.leaves
        )
        tx.executemany(f"INSERT INTO {notary.tables.subtrees} VALUES (?, ?, ?)", synthetic.subtrees)


# ------------------------------------------------------------------ what a proof reads


def _parts(plan: list[tuple[int, int]]) -> tuple[list[int], list[tuple[int, int]]]:
    """The leaves and perfect subtrees a proof's plan reads, deduplicated as the notary does."""
    parts = [part for start, end in plan for part in merkle.perfect_subtrees(start, end)]
    leaves = sorted({start for start, size in parts if size == 1})
    nodes = sorted({(start, size) for start, size in parts if size > 1})
    return leaves, nodes


def _plan(kind: str, a: int, n: int) -> list[tuple[int, int]]:
    return merkle.inclusion_plan(a, n) if kind == "inclusion" else merkle.consistency_plan(a, n)


def raw_query(notary: Notary, plan: list[tuple[int, int]], mark: str) -> tuple[str, list[int]]:
    """One hand-written query for a proof's rows (as ``bench/notary.py`` writes it)."""
    leaves, nodes = _parts(plan)
    selects, params = [], []
    if leaves:
        selects.append(
            f"SELECT leaf_index, 1, leaf_hash FROM {notary.tables.leaves}"
            f" WHERE leaf_index IN ({', '.join([mark] * len(leaves))})"
        )
        params += leaves
    if nodes:
        selects.append(
            f"SELECT start, size, hash FROM {notary.tables.subtrees} WHERE "
            + " OR ".join([f"(start = {mark} AND size = {mark})"] * len(nodes))
        )
        params += [value for node in nodes for value in node]
    return " UNION ALL ".join(selects), params


@dataclass
class Reads:
    """Queries and rows read through a view store's ``select``."""

    select: Callable[..., list[Row]]
    queries: int = 0
    rows: int = 0

    def __call__(self, statement: str, params: Sequence[object] = ()) -> list[Row]:
        found = self.select(statement, params)
        self.queries += 1
        self.rows += len(found)
        return found


@dataclass
class Counted:
    queries: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)


def count_reads(
    views: ViewStore, prove: Callable[[int, int], list[bytes]], args: list[tuple[int, int]]
) -> Counted:
    counted = Counted()
    reads = Reads(views.select)
    with mock.patch.object(views, "select", reads):
        for a, n in args:
            reads.queries = reads.rows = 0
            proof = prove(a, n)
            counted.queries.append(reads.queries)
            counted.rows.append(reads.rows)
            counted.lengths.append(len(proof))
    return counted


# ------------------------------------------------------------------ server CPU


def _backend_ticks(pid: int | None) -> int | None:
    """utime + stime of a local PostgreSQL backend, in clock ticks; None if not readable."""
    if pid is None:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def _local_pid(pid: int) -> int | None:
    return pid if _backend_ticks(pid) is not None else None


# ------------------------------------------------------------------ timing


@dataclass
class Timed:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    server_ticks: int = 0
    server_known: bool = True


def interleave(
    ops: dict[str, tuple[Callable[[], None], int | None]],
    after: Callable[[], None],
    *,
    seconds: float,
    min_rounds: int = MIN_ROUNDS,
) -> tuple[dict[str, Timed], int]:
    """Each op once per round, the order alternating; round 0 warms up and is dropped.
    ``after`` runs after each round, outside the timings (it verifies the proofs)."""
    timed = {name: Timed() for name in ops}
    names = list(ops)
    started = time.perf_counter()
    rounds = 0
    while rounds <= min_rounds or time.perf_counter() - started < seconds:
        for name in names if rounds % 2 == 0 else names[::-1]:
            op, pid = ops[name]
            ticks = _backend_ticks(pid)
            c0, t0 = time.process_time(), time.perf_counter()
            op()
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            done = _backend_ticks(pid)
            if rounds > 0:
                timed[name].wall.append(wall)
                timed[name].cpu.append(cpu)
                if ticks is None or done is None:
                    timed[name].server_known = False
                else:
                    timed[name].server_ticks += done - ticks
        after()
        rounds += 1
    return timed, rounds - 1


# ------------------------------------------------------------------ one store, one size


@dataclass
class Raw:
    """A plain connection: ``fetch`` runs a query and returns how many rows it read;
    ``explain`` gives the database's plan for one; ``pid`` is a local backend's process."""

    fetch: Callable[[str, list[int]], int]
    explain: Callable[[str, list[int]], list[str]]
    pid: int | None = None


FULL_SCANS = ("SCAN ", "Seq Scan")
"""How a plan line that reads a whole table begins (SQLite) or names it (PostgreSQL)."""


@contextlib.contextmanager
def _raw_connection(views: ViewStore) -> Iterator[Raw]:
    if isinstance(views, SQLiteViewStore):
        lite = sqlite3.connect(views.path)
        try:
            yield Raw(
                lambda text, params: len(lite.execute(text, params).fetchall()),
                lambda text, params: [
                    str(row[3]) for row in lite.execute("EXPLAIN QUERY PLAN " + text, params)
                ],
            )
        finally:
            lite.close()
        return
    assert isinstance(views, PostgresViewStore)
    with psycopg.connect(views.conninfo, autocommit=True) as pg:
        row = pg.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        yield Raw(
            lambda text, params: len(pg.execute(text, params).fetchall()),
            lambda text, params: [str(r[0]).strip() for r in pg.execute("EXPLAIN " + text, params)],
            _local_pid(row[0]),
        )


def _index_only(raw: Raw, queries: list[tuple[str, list[int]]], rows: list[int]) -> str:
    """The plan of the query with the most rows: it must find them by index, not by a scan
    (SQLite: one SEARCH per list or pair; PostgreSQL: index and bitmap index scans)."""
    text, params = queries[rows.index(max(rows))]
    plan = raw.explain(text, params)
    scans = [line for line in plan if any(line.lstrip("-> ").startswith(s) for s in FULL_SCANS)]
    assert not scans, f"a proof's query scans a table: {scans}"
    searches = sum(("SEARCH " in line) or ("Index Scan" in line) for line in plan)
    return f"{max(rows)} rows by {searches} index searches, no table scan"


def _picks(kind: str, n: int, seed: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    if kind == "inclusion":
        chosen = [0, n - 1, *rng.sample(range(1, n - 1), PICKS - 2)]
    else:
        chosen = [1, n - 1, *rng.sample(range(2, n - 1), PICKS - 2)]
    return [(a, n) for a in chosen]


def _verifier(
    kind: str, synthetic: Synthetic
) -> Callable[[list[tuple[int, int]], list[Any]], None]:
    root = synthetic.root
    tree = synthetic.tree
    old_roots: dict[int, bytes] = {}

    def check(args: list[tuple[int, int]], proofs: list[Any]) -> None:
        assert len(proofs) == len(args)
        for (a, n), proof in zip(args, proofs, strict=True):
            if kind == "inclusion":
                merkle.verify_inclusion(tree.leaf(a), a, n, proof, root)
                assert proof == merkle.inclusion_proof(tree, a, n)
            else:
                if a not in old_roots:
                    old_roots[a] = merkle.tree_head(tree, a)
                merkle.verify_consistency(a, n, old_roots[a], root, proof)
                assert proof == merkle.consistency_proof(tree, a, n)

    return check


def measure(
    kind_of_store: str, views: ViewStore, synthetic: Synthetic, seconds: float
) -> list[Figure]:
    n = synthetic.size
    notary = Notary(views, suffix=f"_proofs_{n}")
    try:
        t0 = time.perf_counter()
        load(views, notary, synthetic)
        print(
            f"  {kind_of_store}: {n:,} leaves and {len(synthetic.subtrees):,} subtrees loaded"
            f" in {time.perf_counter() - t0:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        assert notary.tree_size() == n
        product_pid = None
        if isinstance(views, PostgresViewStore):
            product_pid = _local_pid(int(views.select("SELECT pg_backend_pid()")[0][0]))
        figures: list[Figure] = []
        with _raw_connection(views) as connection:
            mark = "?" if isinstance(views, SQLiteViewStore) else "%s"
            for number, kind in enumerate(KINDS):
                prove = notary.inclusion_proof if kind == "inclusion" else notary.consistency_proof
                args = _picks(kind, n, seed=n + number)
                counted = count_reads(views, prove, args)
                queries = [raw_query(notary, _plan(kind, a, n), mark) for a, n in args]
                raw_rows = [connection.fetch(text, params) for text, params in queries]
                assert raw_rows == counted.rows, "the raw query reads other rows"
                assert set(counted.queries) == {1}, counted.queries
                plan = _index_only(connection, queries, counted.rows)
                print(f"  {kind_of_store} {kind} plan: {plan}", file=sys.stderr, flush=True)
                proofs: list[Any] = [None] * len(args)

                def product(
                    prove: Callable[[int, int], list[bytes]] = prove,
                    args: list[tuple[int, int]] = args,
                    proofs: list[Any] = proofs,
                ) -> None:
                    for k, (a, size) in enumerate(args):
                        proofs[k] = prove(a, size)

                def raw(
                    queries: list[tuple[str, list[int]]] = queries,
                ) -> None:
                    for text, params in queries:
                        connection.fetch(text, params)

                check = _verifier(kind, synthetic)
                timed, rounds = interleave(
                    {"raw": (raw, connection.pid), "product": (product, product_pid)},
                    functools.partial(check, args, proofs),
                    seconds=seconds,
                )
                figures += _figures(kind_of_store, kind, n, timed, rounds, counted, len(args))
        return figures
    finally:
        views.drop(notary.owned_tables())


def _server(timed: Timed, operations: int) -> float | None:
    if not timed.server_known:
        return None
    return timed.server_ticks / os.sysconf("SC_CLK_TCK") / operations


def _figures(
    where: str,
    kind: str,
    n: int,
    timed: dict[str, Timed],
    rounds: int,
    counted: Counted,
    picks: int,
) -> list[Figure]:
    raw, product = timed["raw"], timed["product"]
    raw_rate = statistics.median(picks / w for w in raw.wall)
    rate = statistics.median(picks / w for w in product.wall)
    ratio = statistics.median(r / p for r, p in zip(raw.wall, product.wall, strict=True))
    cpu = statistics.median(c / picks for c in product.cpu)
    raw_cpu = statistics.median(c / picks for c in raw.cpu)
    server = _server(product, picks * rounds)
    raw_server = _server(raw, picks * rounds)
    bound = 2 * math.ceil(math.log2(n))
    rows = max(counted.rows)
    mean_rows = statistics.mean(counted.rows)
    longest = max(counted.lengths)

    def server_note(value: float | None) -> str:
        return "" if value is None else f" + server {value * 1e6:,.0f} µs"

    met = "yes" if cpu < CPU_TARGET else "**no**"
    return [
        Figure(
            "proofs",
            where,
            f"raw: each {kind} proof's rows by one query, {n:,} leaves",
            raw_rate,
            "queries/s",
            1.0,
            note=f"plain connection, query prepared beforehand; CPU {raw_cpu * 1e6:,.0f} µs"
            f" per query{server_note(raw_server)}",
        ),
        Figure(
            "proofs",
            where,
            f"`notary.{kind}_proof`, {n:,} leaves",
            rate,
            "proofs/s",
            ratio,
            baseline="raw: the same rows",
            note=f"CPU {cpu * 1e6:,.0f} µs per proof{server_note(server)} (< 1 ms: {met});"
            f" 1 query, ≤ {rows} rows (mean {mean_rows:.1f}; 2⌈log2 n⌉ = {bound}),"
            " by index (EXPLAIN: no scan);"
            f" proofs ≤ {longest} hashes; {picks} proofs x {rounds} rounds, all verified",
        ),
    ]


def run(stores: list[str], seconds: float, *, quick: bool = False) -> list[Figure]:
    """The section for ``bench.run``: proofs at 10⁵ and 10⁶ leaves (10⁴ with ``quick``)."""
    figures: list[Figure] = []
    for size in QUICK_SIZES if quick else SIZES:
        t0 = time.perf_counter()
        synthetic = synthesize(size)
        print(
            f"  {size:,} synthetic leaves hashed in {time.perf_counter() - t0:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        for kind in stores:
            with store(kind) as where:
                views = open_view_store(where.settings().store(), max_connections=1)
                try:
                    figures += measure(kind, views, synthetic, seconds)
                finally:
                    views.close()
        del synthetic
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.proofs", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args(argv)
    from bench.run import table

    quiet_logging()
    print(table(run(args.stores.split(","), args.seconds, quick=args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
