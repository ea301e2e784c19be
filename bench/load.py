"""Loading a case with its chain verified, against the library loading the same events unverified.

The product path is ``ledger.get_case`` unchanged. The baseline is the same library call,
``ledger.repository.get`` (same select, same mapper and transcodings, same repository),
given a projector that is the library's ``project_aggregate`` except that it calls the
``mutate`` that follows ``CaseEvent`` in each event's method order. So the one thing it
leaves out is the chain check: hashing each event and comparing hashes. Peak memory is measured
with tracemalloc for one load of a 10,000-event case, for both.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from eventsourcing.domain import CanMutateProtocol

from bench.common import Figure, Op, compare, store
from ledger.application import CaseLedger
from ledger.events import CaseEvent
from tests.builders import CaseKit

TARGET = 0.5
SIZES = (100, 1_000)
MEMORY_SIZE = 10_000
BATCH = 100


def build_case(ledger: CaseLedger, events: int) -> UUID:
    """A stored case of ``events`` events: the opening, then incidents saved 100 at a time."""
    kit = CaseKit(ledger)
    case = kit.open()
    ledger.save_new_case(case)
    while case.version < events:
        for _ in range(min(BATCH, events - case.version)):
            kit.incident(case)
        ledger.save_case(case)
    return case.id


def project_unverified(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's ``project_aggregate``, calling the mutate that follows ``CaseEvent``."""
    for event in events:
        assert isinstance(event, CanMutateProtocol)  # as the library's projector asserts
        if isinstance(event, CaseEvent):
            aggregate = super(CaseEvent, event).mutate(aggregate)
        else:
            aggregate = event.mutate(aggregate)
    return aggregate


def unverified(ledger: CaseLedger) -> Callable[[UUID], Any]:
    """The library's repository load of the same rows, with the chain check left out."""

    def load(case_id: UUID) -> Any:
        return ledger.repository.get(case_id, projector_func=project_unverified)

    return load


def _op(load: Callable[[UUID], Any], case_id: UUID, events: int) -> Op:
    def op() -> int:
        load(case_id)
        return events

    return op


def _peak(load: Callable[[UUID], Any], case_id: UUID) -> tuple[int, float]:
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    loaded = load(case_id)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del loaded
    return peak, elapsed


def run(stores: list[str], seconds: float, *, quick: bool = False) -> list[Figure]:
    figures: list[Figure] = []
    for kind in stores:
        with store(kind) as where:
            ledger = where.ledger()
            try:
                figures.extend(_loads(kind, ledger, seconds))
                figures.extend(_memory(kind, ledger, 1_000 if quick else MEMORY_SIZE))
            finally:
                ledger.close()
    return figures


def _loads(kind: str, ledger: CaseLedger, seconds: float) -> list[Figure]:
    figures = []
    baseline = unverified(ledger)
    for size in SIZES:
        case_id = build_case(ledger, size)
        assert ledger.get_case(case_id).version == size
        result = compare(
            {
                "library": _op(baseline, case_id, size),
                "verified": _op(ledger.get_case, case_id, size),
            },
            baseline="library",
            chunk={"library": max(1, 1_000 // size), "verified": max(1, 1_000 // size)},
            seconds=seconds,
        )
        figures.append(
            Figure(
                "load",
                kind,
                f"library load, unverified, {size:,} events",
                result.rates["library"],
                "events/s",
                1.0,
            )
        )
        figures.append(
            Figure(
                "load",
                kind,
                f"`get_case`, chain verified, {size:,} events",
                result.rates["verified"],
                "events/s",
                result.ratios["verified"],
                baseline="library load, unverified",
                target=TARGET,
                note=f"{result.rounds} interleaved rounds",
            )
        )
    return figures


def _memory(kind: str, ledger: CaseLedger, size: int) -> list[Figure]:
    case_id = build_case(ledger, size)
    stored = sum(len(e.state) for e in ledger.recorder.select_events(case_id))
    baseline = unverified(ledger)
    base_peak, _ = _peak(baseline, case_id)
    peak, _ = _peak(ledger.get_case, case_id)
    # Timed apart from tracemalloc, which slows allocation-heavy code several times over.
    result = compare(
        {"library": _op(baseline, case_id, size), "verified": _op(ledger.get_case, case_id, size)},
        baseline="library",
        chunk={"library": 1, "verified": 1},
        seconds=0.0,
        min_rounds=2,
    )
    mib = 1024 * 1024
    return [
        Figure(
            "memory",
            kind,
            f"library load, unverified, {size:,} events: peak",
            base_peak / mib,
            "MiB",
            note=f"{base_peak / size / 1024:.1f} KiB per event;"
            f" stored states {stored / mib:.1f} MiB in all",
        ),
        Figure(
            "memory",
            kind,
            f"`get_case`, chain verified, {size:,} events: peak (lower is better)",
            peak / mib,
            "MiB",
            peak / base_peak,
            baseline="library load, unverified",
            note=f"{peak / size / 1024:.1f} KiB per event; load at {result.rates['verified']:,.0f}"
            f" events/s ({result.ratios['verified']:.2f}x)",
        ),
    ]
