"""``verify --all``'s one pass (``replay/ledger_check.py``) on both stores: worker processes
find exactly what this process finds, in the same order."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import pytest

from ledger.application import CaseLedger
from replay.ledger_check import Report, verify_ledger
from tests.integration.test_tamper import EVENTS, RawEvents, build_case

Tamper = Callable[[RawEvents, UUID], None]


def _flip(raw: RawEvents, case: UUID) -> None:
    _, state = raw.row(case, 3)
    raw.set_state(case, 3, state.replace(b'"criminal":true', b'"criminal":tru3', 1))


def _delete(raw: RawEvents, case: UUID) -> None:
    raw.delete(case, 4)


def _first(raw: RawEvents, case: UUID) -> None:
    raw.delete(case, 1)


def _unreadable(raw: RawEvents, case: UUID) -> None:
    _, state = raw.row(case, 5)
    raw.set_state(case, 5, state[:20])


def both(ledger: CaseLedger) -> tuple[Report, Report]:
    here = verify_ledger(ledger, None, in_process=10**9)
    there = verify_ledger(ledger, None, workers=2, chunk=5, in_process=0)
    return here, there


def test_intact_in_both(ledger: CaseLedger) -> None:
    for _ in range(3):
        build_case(ledger)
    here, there = both(ledger)
    assert here == there
    assert here.finding is None
    assert (here.events, here.cases) == (3 * (EVENTS + 1), 3)


@pytest.mark.parametrize(
    ("tamper", "version"),
    [(_flip, 3), (_delete, 4), (_first, 1), (_unreadable, 5)],
    ids=["flipped", "deleted", "first-deleted", "unreadable"],
)
def test_workers_name_what_this_process_names(
    ledger: CaseLedger, tamper: Tamper, version: int
) -> None:
    build_case(ledger)
    target = build_case(ledger)
    build_case(ledger)
    tamper(RawEvents(ledger), target)
    here, there = both(ledger)
    assert here.finding == there.finding
    assert here.finding is not None
    assert (here.finding.case_id, here.finding.version) == (target, version)
