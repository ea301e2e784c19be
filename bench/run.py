"""`make bench`: runs every benchmark, bounded in time, and prints the figures as Markdown.

Usage: ``python -m bench.run [--quick] [--only append,concurrency,load] [--seconds S]``
(``--million``: the projections section also rebuilds at 1,000,000 events).
PostgreSQL comes from ``ASB_BENCH_POSTGRES_URL`` (else ``ASB_TEST_POSTGRES_URL``, else the
local test database); without a server its figures are skipped and the report says so.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from bench import (
    append,
    case_reviews,
    concurrency,
    http,
    load,
    notary,
    people,
    projections,
    proofs,
    replay_bench,
    retention,
    rotation,
    sar,
    verify,
    web,
)
from bench.common import PG_URL, Figure, machine, pg_unavailable, quiet_logging

SECTIONS = (
    "append",
    "concurrency",
    "load",
    "http",
    "projections",
    "notary",
    "proofs",
    "replay",
    "verify",
    "search",
    "intake",
    "case_reviews",
    "rotation",
    "sar",
    "retention",
    "web",
)


def _format(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"


def table(figures: list[Figure]) -> str:
    lines = [
        "| section | store | workload | rate | ratio | ratio to | target | met | note |",
        "|---|---|---|---:|---:|---|---:|---|---|",
    ]
    for f in figures:
        ratio = "" if f.ratio is None else f"{f.ratio:.2f}x"
        target = "" if f.target is None else f"≥ {f.target:g}x"
        lines.append(
            f"| {f.section} | {f.store} | {f.workload} | {_format(f.rate)} {f.unit} | {ratio}"
            f" | {f.baseline} | {target} | {f.met} | {f.note} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--seconds", type=float, default=6.0, help="time per comparison")
    parser.add_argument("--quick", action="store_true", help="short runs, for a smoke test")
    parser.add_argument(
        "--million", action="store_true", help="projections: rebuilds at 1,000,000 events too"
    )
    args = parser.parse_args(argv)
    seconds = 1.0 if args.quick else args.seconds
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(wanted) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")

    quiet_logging()
    started = time.perf_counter()
    info = machine()
    print("## Machine\n")
    for key, value in info.items():
        print(f"- {key}: {value}")
    reason = pg_unavailable()
    stores = ["sqlite"] if reason else ["sqlite", "postgres"]
    if reason:
        print(f"\n**PostgreSQL figures skipped**: {reason}")
    else:
        print(f"- PostgreSQL URL: {PG_URL}")
    print(f"- command: python -m bench.run {' '.join(sys.argv[1:] if argv is None else argv)}")

    runs: dict[str, Callable[[], list[Figure]]] = {
        "append": lambda: [f for kind in stores for f in append.run(kind, seconds)],
        "concurrency": lambda: [] if reason else concurrency.run(seconds),
        "load": lambda: load.run(stores, seconds, quick=args.quick),
        "http": lambda: http.run(stores, seconds, quick=args.quick),
        "projections": lambda: projections.run(
            stores, seconds, quick=args.quick, million=args.million
        ),
        "notary": lambda: notary.run(stores, seconds, quick=args.quick),
        "proofs": lambda: proofs.run(stores, seconds, quick=args.quick),
        "replay": lambda: replay_bench.run(stores, seconds, quick=args.quick),
        "verify": lambda: verify.run(stores, seconds, quick=args.quick),
        "search": lambda: people.run_search(stores, seconds, quick=args.quick),
        "intake": lambda: people.run_intake(stores, seconds, quick=args.quick),
        "case_reviews": lambda: case_reviews.run(stores, seconds, quick=args.quick),
        "rotation": lambda: rotation.run(stores, seconds, quick=args.quick),
        "sar": lambda: sar.run(stores, seconds, quick=args.quick),
        "retention": lambda: retention.run(stores, seconds, quick=args.quick),
        "web": lambda: web.run(stores, seconds, quick=args.quick),
    }
    figures: list[Figure] = []
    for section in wanted:
        t0 = time.perf_counter()
        print(f"\n... {section}", file=sys.stderr, flush=True)
        found = runs[section]()
        figures.extend(found)
        print(f"\n## {section} ({time.perf_counter() - t0:.0f} s)\n")
        print(table(found), flush=True)
    print(f"\nTotal: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
