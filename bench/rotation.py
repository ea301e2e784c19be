"""Rotating the master key (``asb-ledger keys rotate``) against a bare rewrap loop, both stores.

Setup (not timed): a ledger (its check scope and kept keys), then ``--keys`` data keys
(100,000 by default) wrapped under its master key and inserted straight into the key table,
dated a year back as a live store's keys would be (a rotation walks again over the keys
made since it began, which in a live store are few).

- **Bare loop**: one SELECT of every row holding a key; then, in batches of the same size
  as the product's, AES-GCM unwrap under the old key, wrap under a new one, and a raw
  UPDATE of the batch's rows by scope (``executemany`` in one transaction on SQLite, one
  ``UPDATE ... FROM unnest`` on PostgreSQL); then the new key is written to the key file. It
  checks nothing and could not resume.
- **Product**: ``KeyRotation.run`` as the command runs it (without the progress bar): the
  next key written and fsynced, the rows counted, the check scope first, the rows read in
  keyset batches, each unwrapped under the old key and wrapped under the new, updated by
  compare-and-swap, the walk over recent rows, the rename.

Each run rotates from the key the file holds to a fresh one, so the variants alternate over
the same rows; rounds are interleaved and the median of the per-round ratios is reported.
Target (issue 13): at least 0.5x the bare loop.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import cast

import psycopg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg import sql

from bench.common import Figure, pg_conninfo, quiet_logging, store
from ledger.application import CaseLedger
from ledger.keystore import unwrap, wrap
from ledger.rotation import KeyRotation

TARGET = 0.5
KEYS = 100_000
QUICK_KEYS = 5_000
BATCH = 1_000
_OLD = datetime.now(UTC) - timedelta(days=365)


class Rows:
    """The key table of one store, as a bare loop reads and writes it."""

    def __init__(self, ledger: CaseLedger) -> None:
        config = ledger.store_config
        if config.sqlite_path is not None:
            self.lite = sqlite3.connect(config.sqlite_path, isolation_level=None)
            self.pg: psycopg.Connection[tuple[object, ...]] | None = None
        else:
            self.pg = psycopg.connect(pg_conninfo(), autocommit=True)
            self.table = sql.Identifier(config.postgres_schema, "asb_data_keys")

    def insert(self, rows: list[tuple[str, bytes]]) -> None:
        if self.pg is None:
            when = _OLD.strftime("%Y-%m-%d %H:%M:%S")
            self.lite.execute("BEGIN")
            self.lite.executemany(
                "INSERT INTO asb_data_keys (scope, wrapped, created_at) VALUES (?, ?, ?)",
                [(scope, wrapped, when) for scope, wrapped in rows],
            )
            self.lite.execute("COMMIT")
            return
        self.pg.execute(
            sql.SQL(
                "INSERT INTO {} (scope, wrapped, created_at)"
                " SELECT s, w, %s FROM unnest(%s::text[], %s::bytea[]) AS u(s, w)"
            ).format(self.table),
            (_OLD, [r[0] for r in rows], [r[1] for r in rows]),
        )

    def select_all(self) -> list[tuple[str, bytes]]:
        query = "SELECT scope, wrapped FROM {} WHERE wrapped IS NOT NULL"
        if self.pg is None:
            return self.lite.execute(query.format("asb_data_keys")).fetchall()
        found = self.pg.execute(sql.SQL(query).format(self.table)).fetchall()
        return [(str(scope), cast(bytes, wrapped)) for scope, wrapped in found]

    def update(self, rows: list[tuple[str, bytes]]) -> None:
        if self.pg is None:
            self.lite.execute("BEGIN")
            self.lite.executemany(
                "UPDATE asb_data_keys SET wrapped = ? WHERE scope = ?",
                [(wrapped, scope) for scope, wrapped in rows],
            )
            self.lite.execute("COMMIT")
            return
        self.pg.execute(
            sql.SQL(
                "UPDATE {} AS k SET wrapped = v.w FROM unnest(%s::text[], %s::bytea[]) AS v(s, w)"
                " WHERE k.scope = v.s"
            ).format(self.table),
            ([r[0] for r in rows], [r[1] for r in rows]),
        )

    def close(self) -> None:
        if self.pg is None:
            self.lite.close()
        else:
            self.pg.close()


def fill(ledger: CaseLedger, rows: Rows, keys: int) -> None:
    """``keys`` data keys under the ledger's master key, in the key table."""
    master = AESGCM(ledger.settings.master_key_path.read_bytes())
    for start in range(0, keys, 10_000):
        chunk = []
        for _ in range(min(10_000, keys - start)):
            scope = f"person:{uuid.uuid4()}"
            chunk.append((scope, wrap(master, scope, AESGCM.generate_key(bit_length=256))))
        rows.insert(chunk)


def bare(ledger: CaseLedger, rows: Rows, batch: int) -> tuple[int, float]:
    """Unwrap, wrap, raw UPDATE in batches; then the key file. Checks nothing."""
    path = ledger.settings.master_key_path
    t0 = time.perf_counter()
    old, fresh = AESGCM(path.read_bytes()), AESGCM.generate_key(bit_length=256)
    new = AESGCM(fresh)
    held = rows.select_all()
    for start in range(0, len(held), batch):
        rewrapped = []
        for scope, wrapped in held[start : start + batch]:
            key = unwrap(old, scope, wrapped)
            assert key is not None
            rewrapped.append((scope, wrap(new, scope, key)))
        rows.update(rewrapped)
    path.write_bytes(fresh)
    return len(held), time.perf_counter() - t0


def product(ledger: CaseLedger, batch: int) -> tuple[int, float]:
    t0 = time.perf_counter()
    count = KeyRotation(ledger.keys.table, ledger.settings.master_key_path, batch=batch).run()
    elapsed = time.perf_counter() - t0
    assert count.rewrapped == count.total, count
    assert not count.changed, count
    return count.rewrapped, elapsed


def measure(kind: str, keys: int, batch: int, rounds: int) -> list[Figure]:
    with store(kind) as where:
        ledger = where.ledger()
        rows = Rows(ledger)
        try:
            fill(ledger, rows, keys)
            runs: dict[str, Callable[[], tuple[int, float]]] = {
                "bare": lambda: bare(ledger, rows, batch),
                "product": lambda: product(ledger, batch),
            }
            rates: dict[str, list[float]] = {"bare": [], "product": []}
            for round_ in range(rounds):
                for name in ("bare", "product") if round_ % 2 == 0 else ("product", "bare"):
                    done, elapsed = runs[name]()
                    rates[name].append(done / elapsed)
            total = done
        finally:
            rows.close()
            ledger.close()
    ratio = statistics.median(p / b for p, b in zip(rates["product"], rates["bare"], strict=True))
    bare_rate, product_rate = statistics.median(rates["bare"]), statistics.median(rates["product"])
    return [
        Figure(
            "rotation",
            kind,
            f"bare loop: unwrap, wrap, raw UPDATE in batches of {batch:,}; {total:,} keys",
            bare_rate,
            "keys/s",
            1.0,
            note=f"{rounds} interleaved round(s)",
        ),
        Figure(
            "rotation",
            kind,
            f"keys rotate (KeyRotation.run), batches of {batch:,}; {total:,} keys",
            product_rate,
            "keys/s",
            ratio,
            baseline="bare loop",
            target=TARGET,
            note=f"{total / product_rate:.1f} s for {total:,} keys",
        ),
    ]


def run(
    stores: list[str], seconds: float, *, quick: bool = False, keys: int | None = None
) -> list[Figure]:
    """The section for ``bench.run``: 100,000 keys (5,000 with ``quick``), 3 rounds each."""
    del seconds
    size = keys or (QUICK_KEYS if quick else KEYS)
    return [f for kind in stores for f in measure(kind, size, BATCH, 3)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rotation", description=__doc__)
    parser.add_argument("--keys", type=int, default=KEYS, help="data keys to rotate")
    parser.add_argument("--batch", type=int, default=BATCH, help="rows per transaction")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args(argv)
    from bench.run import table

    quiet_logging()
    print(f"command: python -m bench.rotation {' '.join(argv or sys.argv[1:])}")
    figures = [
        f
        for kind in args.stores.split(",")
        for f in measure(kind, args.keys, args.batch, args.rounds)
    ]
    print(table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
