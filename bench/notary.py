"""The notary on both stores: catch-up against a raw loop that builds the same tree, and proofs.

Catch-up: ``ViewRunner(ledger, [notary], page_size=500).catch_up()`` into a fresh set of the
notary's tables (its own ``suffix``), from position 0 to the head, signing every 1,000
leaves; interleaved round by round with the raw loop, into tables of its own. The raw loop:
- reads the same notifications the same way, ``recorder.select_notifications(start, 500)``,
  and keeps those with a chained topic, as the runner does;
- takes the recorded ``event_hash`` straight from the stored JSON (``json.loads``), with no
  domain event, no recomputed hash and no continuity check: the least that still builds
  the tree (a case's reference record has no recorded hash: it is decoded and hashed);
- computes the leaf and perfect-subtree hashes with ``hashlib`` and a plain stack, writes
  them with the same multi-row inserts, the tracking position once per page, in one
  transaction per page (its own ``sqlite3`` connection, or a psycopg pipeline), and signs
  the same checkpoints with ``cryptography``'s Ed25519.
So the ratio is what the notary's checks cost: decoding each event, recomputing its hash,
checking its version and ``prev_hash`` against what it logged, and a consistency proof
before each signature. After the rounds, both trees' roots must be equal.

Proofs: inclusion and consistency proofs per second from the notary's tables at the full
size, against single primary-key lookups of the same tables (``raw``), and the rows read.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import json
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.common import Figure, Store, quiet_logging, store
from bench.population import fill
from ledger import merkle
from ledger.application import CaseLedger
from ledger.checkpoint import Checkpoint, SignerKey, sign
from projections.notary import (
    Notary,
    NotarySettings,
    chained_topics,
    leaf_digest,
    logged_topics,
)
from projections.runner import ViewRunner
from projections.store import ViewStore, open_view_store

EVENTS = 100_000
QUICK_EVENTS = 5_000
PAGE = 500
EVERY = 1000
ORIGIN = "asb-ledger.bench/notary"


class RawNotary:
    """The same tree, built with nothing but the stored JSON, hashlib and plain SQL."""

    def __init__(
        self,
        ledger: CaseLedger,
        where: Store,
        suffix: str,
        *,
        into: Notary | None = None,
        signer: SignerKey | None = None,
    ) -> None:
        """``into``: write a notary's own (empty) tables instead, to set up other benchmarks
        quickly, signing with ``signer``."""
        self.ledger = ledger
        self.where = where
        self.key = signer.private_key if signer is not None else Ed25519PrivateKey.generate()
        self.key_name = signer.name if signer is not None else "bench"
        self.own = into is None
        self.leaves_table = f"raw_notary_leaves{suffix}" if into is None else into.tables.leaves
        self.subtrees_table = (
            f"raw_notary_subtrees{suffix}" if into is None else into.tables.subtrees
        )
        self.tracking_table = f"raw_notary_tracking{suffix}"
        self.checkpoints_table = (
            f"raw_notary_checkpoints{suffix}" if into is None else into.tables.checkpoints
        )
        self.topics = frozenset(logged_topics())
        self.chained = frozenset(chained_topics())
        self.root = merkle.EMPTY_ROOT

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        config = self.ledger.store_config
        if config.kind == "sqlite":
            assert config.sqlite_path is not None
            conn = sqlite3.connect(config.sqlite_path, isolation_level=None, timeout=30)
            try:
                yield conn
            finally:
                conn.close()
        else:
            assert config.postgres_conninfo is not None
            with psycopg.connect(config.postgres_conninfo, autocommit=True) as pg:
                pg.execute(f"SET search_path TO {config.postgres_schema}")
                yield pg

    def run(self) -> int:
        sqlite = self.ledger.store_config.kind == "sqlite"
        mark = "?" if sqlite else "%s"
        with self._connection() as conn:
            own = [
                f"CREATE TABLE {self.leaves_table} (leaf_index BIGINT PRIMARY KEY,"
                " position BIGINT NOT NULL UNIQUE, originator_id TEXT NOT NULL,"
                " version BIGINT NOT NULL, event_hash TEXT NOT NULL, leaf_hash TEXT NOT NULL,"
                " UNIQUE (originator_id, version))",
                f"CREATE TABLE {self.subtrees_table} (start BIGINT NOT NULL, size BIGINT NOT NULL,"
                " hash TEXT NOT NULL, PRIMARY KEY (start, size))",
                f"CREATE TABLE {self.checkpoints_table} (tree_size BIGINT PRIMARY KEY,"
                " root TEXT NOT NULL, note TEXT NOT NULL, signed_at TEXT NOT NULL)",
            ]
            for statement in (
                *(own if self.own else []),
                f"CREATE TABLE {self.tracking_table} (notification_id BIGINT NOT NULL)",
                f"INSERT INTO {self.tracking_table} VALUES (0)",
            ):
                conn.execute(statement)
            stack: list[tuple[int, bytes]] = []  # (size, hash) of the largest perfect subtrees
            size = signed = 0
            start = 1
            while notes := self.ledger.recorder.select_notifications(start, PAGE):
                leaves: list[tuple[object, ...]] = []
                subtrees: list[tuple[object, ...]] = []
                for note in notes:
                    if note.topic not in self.topics:
                        continue
                    if note.topic in self.chained:
                        digest = json.loads(note.state)["event_hash"]
                    else:  # a reference or erasure record (one a case): decoded and hashed
                        digest = leaf_digest(self.ledger.mapper.to_domain_event(note))
                    leaf = hashlib.sha256(b"\x00" + bytes.fromhex(digest)).digest()
                    leaves.append(
                        (
                            size,
                            note.id,
                            str(note.originator_id),
                            note.originator_version,
                            digest,
                            leaf.hex(),
                        )
                    )
                    node, width = leaf, 1
                    while stack and stack[-1][0] == width:
                        left = stack.pop()[1]
                        node = hashlib.sha256(b"\x01" + left + node).digest()
                        width *= 2
                        subtrees.append((size + 1 - width, width, node.hex()))
                    stack.append((width, node))
                    size += 1
                with self._transaction(conn, sqlite):
                    for table, columns, rows in (
                        (self.leaves_table, 6, leaves),
                        (self.subtrees_table, 3, subtrees),
                    ):
                        for at in range(0, len(rows), 100):
                            chunk = rows[at : at + 100]
                            values = ", ".join(
                                ["(" + ", ".join([mark] * columns) + ")"] * len(chunk)
                            )
                            conn.execute(
                                f"INSERT INTO {table} VALUES {values}",
                                [v for row in chunk for v in row],
                            )
                    if size - signed >= EVERY:
                        root = self._root(stack)
                        checkpoint = Checkpoint(ORIGIN, size, root)
                        note_text = sign(checkpoint, self.key, self.key_name)
                        conn.execute(
                            f"INSERT INTO {self.checkpoints_table}"
                            f" VALUES ({mark}, {mark}, {mark}, {mark})",
                            (size, root.hex(), note_text, "2026-01-01T00:00:00+00:00"),
                        )
                        signed = size
                    conn.execute(
                        f"UPDATE {self.tracking_table} SET notification_id = {mark}",
                        (notes[-1].id,),
                    )
                start = notes[-1].id + 1
            self.root = self._root(stack)
        return size

    @staticmethod
    def _root(stack: list[tuple[int, bytes]]) -> bytes:
        if not stack:
            return merkle.EMPTY_ROOT
        node = stack[-1][1]
        for _, left in reversed(stack[:-1]):
            node = hashlib.sha256(b"\x01" + left + node).digest()
        return node

    @contextmanager
    def _transaction(self, conn: Any, sqlite: bool) -> Iterator[None]:
        if sqlite:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        else:
            with conn.transaction(), conn.pipeline():
                yield

    def drop(self) -> None:
        with self._connection() as conn:
            owned = [self.leaves_table, self.subtrees_table, self.checkpoints_table]
            for table in (*(owned if self.own else []), self.tracking_table):
                conn.execute(f"DROP TABLE IF EXISTS {table}")


def _product(ledger: CaseLedger, views: ViewStore, suffix: str) -> tuple[Notary, int, float]:
    settings = NotarySettings(
        signer=SignerKey.generate(ORIGIN), origin=ORIGIN, every=EVERY, seconds=3600.0
    )
    notary = Notary(views, suffix=suffix, application_name=ledger.name, settings=settings)
    t0 = time.perf_counter()
    ViewRunner(ledger, [notary], page_size=PAGE).catch_up()
    elapsed = time.perf_counter() - t0
    return notary, notary.tree_size(), elapsed


def _drop(views: ViewStore, notary: Notary) -> None:
    views.drop(notary.owned_tables())


def catch_up(ledger: CaseLedger, where: Store, views: ViewStore, rounds: int) -> list[Figure]:
    product: list[float] = []
    raw: list[float] = []
    leaves = 0
    for round_ in range(rounds + 1):  # round 0 warms the caches and is not counted
        order = ["product", "raw"] if round_ % 2 == 0 else ["raw", "product"]
        roots: dict[str, bytes] = {}
        for name in order:
            gc.collect()
            suffix = f"_bench_{round_}"
            if name == "product":
                notary, leaves, elapsed = _product(ledger, views, suffix)
                latest = notary.latest_checkpoint()
                roots[name] = merkle.tree_head(notary.hashes(), leaves)
                assert latest is not None
                _drop(views, notary)
            else:
                loop = RawNotary(ledger, where, suffix)
                t0 = time.perf_counter()
                done = loop.run()
                elapsed = time.perf_counter() - t0
                roots[name] = loop.root
                loop.drop()
                assert done == leaves or leaves == 0, (done, leaves)
                leaves = done
            if round_ > 0:
                (product if name == "product" else raw).append(leaves / elapsed)
        assert roots["product"] == roots["raw"], "the raw loop built another tree"
    ratio = statistics.median(p / r for p, r in zip(product, raw, strict=True))
    label = f"{leaves:,} leaves"
    return [
        Figure(
            "notary",
            where.kind,
            f"raw loop: {label}",
            statistics.median(raw),
            "events/s",
            1.0,
            note=f"{rounds} interleaved rounds; stored hash from json.loads, hashlib, same rows",
        ),
        Figure(
            "notary",
            where.kind,
            f"catch-up (ViewRunner + Notary): {label}",
            statistics.median(product),
            "events/s",
            ratio,
            baseline="raw loop",
            note="decodes, re-hashes and checks each event; same root as the raw loop",
        ),
    ]


def proofs(ledger: CaseLedger, where: Store, views: ViewStore, samples: int) -> list[Figure]:
    """Inclusion and consistency proofs at the full size, against the same rows read by a
    hand-written query on a plain connection (no plan, no hashing, no pool)."""
    notary, size, _ = _product(ledger, views, "_bench_proofs")
    figures = []
    try:
        notary.tick(force=True)
        step = max(size // samples, 1)
        picks = list(range(1, size, step))[:samples]
        kinds = {
            "inclusion proof": (notary.inclusion_proof, merkle.inclusion_plan),
            "consistency proof": (notary.consistency_proof, merkle.consistency_plan),
        }
        for label, (prove, plan_of) in kinds.items():
            plans = [plan_of(pick, size) for pick in picks]
            t0 = time.perf_counter()
            for pick in picks:
                prove(pick, size)
            product = len(picks) / (time.perf_counter() - t0)
            raw = _raw_reads(ledger, notary, plans)
            rows = max(len(_parts(plan)) for plan in plans)
            figures += [
                Figure(
                    "notary",
                    where.kind,
                    f"raw: the same rows, one query, {size:,} leaves",
                    raw,
                    "per s",
                    1.0,
                    note=f"plain connection; up to {rows} rows",
                ),
                Figure(
                    "notary",
                    where.kind,
                    f"{label}, {size:,} leaves",
                    product,
                    "per s",
                    product / raw,
                    baseline="the same rows, one query",
                    note=f"{len(picks)} across the tree",
                ),
            ]
    finally:
        _drop(views, notary)
    return figures


def _parts(plan: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [part for start, end in plan for part in merkle.perfect_subtrees(start, end)]


def _raw_reads(ledger: CaseLedger, notary: Notary, plans: list[list[tuple[int, int]]]) -> float:
    """Proofs' rows per second, each proof's rows by one hand-written query."""
    config = ledger.store_config
    sqlite = config.kind == "sqlite"
    mark = "?" if sqlite else "%s"
    queries = []
    for plan in plans:
        parts = _parts(plan)
        leaves = [start for start, size in parts if size == 1]
        nodes = [(start, size) for start, size in parts if size > 1]
        text = (
            f"SELECT leaf_hash FROM {notary.tables.leaves} WHERE leaf_index IN"
            f" ({', '.join([mark] * max(len(leaves), 1))}) UNION ALL SELECT hash FROM"
            f" {notary.tables.subtrees} WHERE "
            + (" OR ".join([f"(start = {mark} AND size = {mark})"] * len(nodes)) or "FALSE")
        )
        queries.append((text, [*(leaves or [-1]), *(v for node in nodes for v in node)]))
    if sqlite:
        assert config.sqlite_path is not None
        lite = sqlite3.connect(config.sqlite_path)
        try:
            t0 = time.perf_counter()
            for text, params in queries:
                lite.execute(text.replace("FALSE", "0"), params).fetchall()
            return len(queries) / (time.perf_counter() - t0)
        finally:
            lite.close()
    assert config.postgres_conninfo is not None
    with psycopg.connect(config.postgres_conninfo, autocommit=True) as pg:
        t0 = time.perf_counter()
        for text, params in queries:
            pg.execute(text, params).fetchall()
        return len(queries) / (time.perf_counter() - t0)


def run(stores: list[str], seconds: float, *, quick: bool = False) -> list[Figure]:
    """The section for ``bench.run``: notary catch-up at 100,000 events (5,000 with
    ``quick``) against the raw loop, and proof rates, on each store."""
    del seconds
    events = QUICK_EVENTS if quick else EVENTS
    rounds = 1 if quick else 3
    figures: list[Figure] = []
    with contextlib.ExitStack() as stack:
        wheres = [stack.enter_context(store(kind)) for kind in stores]
        ledgers = [where.ledger() for where in wheres]
        try:
            fill(ledgers, events)
            for where, ledger in zip(wheres, ledgers, strict=True):
                views = open_view_store(ledger.store_config)
                try:
                    figures += catch_up(ledger, where, views, rounds)
                    figures += proofs(ledger, where, views, 200)
                finally:
                    views.close()
        finally:
            for ledger in ledgers:
                ledger.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.notary", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args(argv)
    from bench.run import table

    quiet_logging()
    print(table(run(args.stores.split(","), 0.0, quick=args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
