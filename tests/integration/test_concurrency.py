"""Concurrent openings get distinct references; of two writers racing on a case, one loses."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar
from uuid import UUID

import pytest

from ledger.application import CaseLedger
from ledger.case import Case
from ledger.errors import ConcurrentWrite
from tests.builders import T0, CaseKit

OPENINGS = 50
SEPARATE_LEDGERS = 6  # each shared by a few threads: PostgreSQL allows 100 connections in all
ROUNDS = 8
T = TypeVar("T")


@contextmanager
def writers(ledger: CaseLedger, sharing: str, count: int) -> Iterator[list[CaseLedger]]:
    """``count`` ledgers on the same store: the fixture's one, or separate instances."""
    if sharing == "shared":
        yield [ledger] * count
        return
    settings = ledger.settings.model_copy(update={"postgres_pool_size": 1})
    others = [CaseLedger(settings, env={"POSTGRES_MAX_OVERFLOW": "1"}) for _ in range(count)]
    try:
        yield others
    finally:
        for other in others:
            other.close()


def all_at_once(count: int, work: Callable[[int], T]) -> list[T]:
    """Runs ``work(i)`` for each i in its own thread, released together by a barrier."""
    barrier = threading.Barrier(count)

    def run(i: int) -> T:
        barrier.wait(timeout=60)
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.parametrize("sharing", ["shared", "separate"])
def test_concurrent_openings_get_distinct_references(ledger: CaseLedger, sharing: str) -> None:
    with writers(ledger, sharing, SEPARATE_LEDGERS) as apps:

        def open_one(i: int) -> tuple[str, UUID]:
            app = apps[i % len(apps)]
            case = CaseKit(app).open()  # prepare_opening, then Case.open
            app.save_new_case(case)
            return case.reference, case.id

        opened = all_at_once(OPENINGS, open_one)

    references = [ref for ref, _ in opened]
    assert len(set(references)) == OPENINGS
    assert sorted(references) == [f"ASB-{T0.year}-{n:06d}" for n in range(1, OPENINGS + 1)]
    for reference, case_id in opened:
        assert ledger.find_case_id(reference) == case_id
        assert ledger.get_case(case_id).reference == reference
        assert ledger.verify_case(case_id).intact
    assert len(list(ledger.case_ids())) == OPENINGS


@pytest.mark.parametrize("sharing", ["shared", "separate"])
def test_of_two_concurrent_writers_exactly_one_conflicts_and_no_event_is_lost(
    ledger: CaseLedger, sharing: str
) -> None:
    kit = CaseKit(ledger)
    opened = kit.open()
    ledger.save_new_case(opened)
    expected: list[UUID] = []
    with writers(ledger, sharing, 2) as apps:
        for round_ in range(ROUNDS):
            copies = [app.get_case(opened.id) for app in apps]
            incidents = [kit.incident(copy, days=round_) for copy in copies]

            def save(i: int, copies: list[Case] = copies) -> str:
                try:
                    apps[i].save_case(copies[i])
                except ConcurrentWrite:
                    return "conflict"
                return "saved"

            outcome = all_at_once(2, save)
            assert sorted(outcome) == ["conflict", "saved"], (round_, outcome)
            winner = outcome.index("saved")
            expected.append(incidents[winner])

            stored = ledger.get_case(opened.id)
            assert stored.version == 1 + len(expected)
            assert list(stored.incidents) == expected
            assert stored.head_hash == copies[winner].head_hash

    # The loser reloads and records again: it goes in after the winners, and the chain holds.
    retry = ledger.get_case(opened.id)
    expected.append(kit.incident(retry, days=99))
    ledger.save_case(retry)
    final = ledger.get_case(opened.id)
    assert list(final.incidents) == expected
    verdict = ledger.verify_case(opened.id)
    assert verdict.intact, verdict
    assert verdict.events == 2 + ROUNDS
