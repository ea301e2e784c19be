"""Full-ledger verification (``verify --all``'s one pass) against a bare loop, on both stores.

The bare loop, in this one process, reads the same notifications in pages of 500 and, for
each event the log holds, decodes it with the ledger's mapper, canonicalises what its hash
commits to (RFC 8785 JSON of its commitment) and takes the SHA-256 (``leaf_digest``, the
fastest way the project has): the least work that recomputes every hash. It checks nothing.

The product is ``replay.ledger_check.verify_ledger`` with a ``LogCheck``, as ``asb-ledger
verify --all`` runs it: every row decoded through the mapper's field check, its hash
recomputed and compared with the recorded one, each case's versions and ``prev_hash`` links,
every leaf compared with the notary's, the tree rebuilt and its root compared with the
signed checkpoint. Decoding and hashing run in one worker process per core; the parent
folds the results in log order. It is also timed with one worker, for context.

Setup (not timed): ``bench.population.fill`` makes the ledger through the real aggregate;
the notary's tables are filled by ``bench.notary.RawNotary`` (the same tree the notary
builds, as ``bench.notary`` checks), signed with a key the check is given.

Targets (issue 6): at least 0.5x the bare loop, and 1,000,000 events verified in under 60 s
on this machine's two cores.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import statistics
import sys
import time

from bench.common import Figure, Store, quiet_logging, store
from bench.notary import ORIGIN, RawNotary
from bench.population import fill
from ledger.application import CaseLedger
from ledger.checkpoint import SignerKey
from projections.notary import Notary, leaf_digest, logged_topics
from projections.store import ViewStore, open_view_store
from replay.ledger_check import verify_ledger
from replay.log_check import LogCheck

PAGE = 500
TARGET = 0.5
SIZES = (100_000, 1_000_000)
QUICK_SIZES = (5_000,)


def bare(ledger: CaseLedger) -> tuple[int, float]:
    """Decode, canonicalise, SHA-256: every event the log holds, in one process."""
    topics = frozenset(logged_topics())
    to_event = ledger.mapper.to_domain_event
    count = 0
    t0 = time.perf_counter()
    start = 1
    while notes := ledger.recorder.select_notifications(start, PAGE):
        for note in notes:
            if note.topic in topics:
                leaf_digest(to_event(note))  # canonical JSON of the commitment, SHA-256
                count += 1
        start = notes[-1].id + 1
    return count, time.perf_counter() - t0


def product(
    ledger: CaseLedger, notary: Notary, signer: SignerKey, workers: int | None
) -> tuple[int, float]:
    t0 = time.perf_counter()
    log = LogCheck(ledger, notary, signer.verifier())
    assert log.start() is None
    report = verify_ledger(ledger, log, workers=workers, in_process=0 if workers else 10**12)
    elapsed = time.perf_counter() - t0
    assert report.finding is None, report.finding
    return report.events, elapsed


def measure(ledger: CaseLedger, where: Store, views: ViewStore, rounds: int) -> list[Figure]:
    signer = SignerKey.generate(ORIGIN)
    notary = Notary(views, suffix="_bench_verify", application_name=ledger.name)
    RawNotary(ledger, where, "_bench_verify", into=notary, signer=signer).run()
    try:
        bare_rates: list[float] = []
        both: list[float] = []
        one: list[float] = []
        events = 0
        for round_ in range(rounds):
            order = ["bare", "both", "one"] if round_ % 2 == 0 else ["one", "both", "bare"]
            for name in order:
                gc.collect()
                if name == "bare":
                    done, elapsed = bare(ledger)
                    bare_rates.append(done / elapsed)
                else:
                    done, elapsed = product(ledger, notary, signer, 2 if name == "both" else None)
                    (both if name == "both" else one).append(done / elapsed)
                events = max(events, done)
        bare_rate, both_rate, one_rate = (statistics.median(r) for r in (bare_rates, both, one))
        seconds = events / both_rate
        return [
            Figure(
                "verify",
                where.kind,
                f"bare loop: decode, canonicalise, SHA-256; {events:,}",
                bare_rate,
                "events/s",
                1.0,
                note=f"one process; {rounds} round(s)",
            ),
            Figure(
                "verify",
                where.kind,
                f"verify --all (chains + Merkle log), 2 workers, {events:,}",
                both_rate,
                "events/s",
                both_rate / bare_rate,
                baseline="bare loop",
                target=TARGET,
                note=f"{seconds:.1f} s for {events:,} events",
            ),
            Figure(
                "verify",
                where.kind,
                f"the same, in one process, {events:,}",
                one_rate,
                "events/s",
                one_rate / bare_rate,
                baseline="bare loop",
                note="context",
            ),
        ]
    finally:
        views.drop(notary.owned_tables())


def run(stores: list[str], seconds: float, *, quick: bool = False) -> list[Figure]:
    """The section for ``bench.run``: 10^5 and 10^6 events (5,000 with ``quick``)."""
    del seconds
    figures: list[Figure] = []
    for size in QUICK_SIZES if quick else SIZES:
        rounds = 3 if size <= 100_000 else 1
        with contextlib.ExitStack() as stack:
            wheres = [stack.enter_context(store(kind)) for kind in stores]
            ledgers = [where.ledger() for where in wheres]
            try:
                t0 = time.perf_counter()
                head = fill(ledgers, size)
                print(
                    f"    {head:,} notifications in {time.perf_counter() - t0:.0f} s",
                    file=sys.stderr,
                )
                for where, ledger in zip(wheres, ledgers, strict=True):
                    views = open_view_store(ledger.store_config)
                    try:
                        figures += measure(ledger, where, views, rounds)
                    finally:
                        views.close()
            finally:
                for ledger in ledgers:
                    ledger.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.verify", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args(argv)
    from bench.run import table

    quiet_logging()
    print(table(run(args.stores.split(","), 0.0, quick=args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
