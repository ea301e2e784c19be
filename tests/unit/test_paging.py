"""The keyset scan behind the risk and caseload lists: filtered pages across batches; cursors."""

from __future__ import annotations

import base64
from collections.abc import Sequence

import pytest

from projections.paging import BadCursor, Cursor, scan

ROWS = list(range(1, 24))  # positions 1..23


def page(after: int, limit: int, batch: int, keep: int = 1) -> tuple[list[int], int | None]:
    reads: list[tuple[int, int]] = []

    def fetch(position: int, count: int) -> Sequence[int]:
        reads.append((position, count))
        return [r for r in ROWS if r > position][:count]

    return scan(
        fetch=fetch,
        judge=lambda rows: [r * 10 for r in rows],
        keep=lambda judged: judged % (10 * keep) == 0,
        position=lambda row: row,
        after=after,
        limit=limit,
        batch=batch,
    )


@pytest.mark.parametrize("batch", [1, 2, 3, 7, 50])
@pytest.mark.parametrize("limit", [1, 2, 5, 30])
@pytest.mark.parametrize("keep", [1, 3, 25])
def test_walking_the_pages_finds_every_match_once_in_order(
    batch: int, limit: int, keep: int
) -> None:
    seen: list[int] = []
    after: int | None = 0
    while after is not None:
        items, after = page(after, limit, batch, keep)
        assert len(items) <= limit
        if after is not None:
            assert len(items) == limit
            assert items[-1] == after * 10
        seen.extend(items)
    assert seen == [r * 10 for r in ROWS if r % keep == 0]


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        page(0, 0, 5)


def test_cursors_round_trip_and_refuse_others() -> None:
    caseload, risk = Cursor("cl1"), Cursor("rk1")
    assert caseload.decode(caseload.encode(42)) == 42
    for bad in ("", "!!!", risk.encode(42), base64.b64encode(b"cl1:-1").decode()):
        with pytest.raises(BadCursor, match="cursor"):
            caseload.decode(bad)
    with pytest.raises(BadCursor, match="cursor"):
        caseload.decode(base64.urlsafe_b64encode(b"cl1:0").decode())
