"""Paging for views judged at query time: opaque position cursors and a filtered keyset scan.

The risk and caseload views decide some filters (overdue, reassessment due) only once rows
are judged against a moment, so a page is found by reading rows in position order, a batch
at a time, judging each batch, and keeping the matches until the page is full.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from projections.store import ViewStore
from projections.visibility import Visibility

T = TypeVar("T")
R = TypeVar("R")


class BadCursor(ValueError):
    """A cursor that no page of this list gave (malformed, or another list's)."""


@dataclass(frozen=True)
class Cursor:
    """The opaque cursors of one list: a position, tagged with the list's ``prefix`` so
    that a cursor from one list is refused by another, in URL-safe base64."""

    prefix: str

    def encode(self, position: int) -> str:
        """A cursor for the page after the row at ``position``."""
        raw = f"{self.prefix}:{position}".encode("ascii")
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def decode(self, cursor: str) -> int:
        """The position ``cursor`` stands for; ``BadCursor`` if this list did not give it."""
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            text = base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
        except (binascii.Error, UnicodeError, ValueError):
            raise BadCursor("malformed cursor") from None
        digits = text.removeprefix(f"{self.prefix}:")
        if digits == text or not digits.isascii() or not digits.isdigit() or int(digits) < 1:
            raise BadCursor("malformed cursor")
        return int(digits)

    def after(self, cursor: str | None) -> int:
        """The position a page asked for with ``cursor`` starts after (0: the first page)."""
        return 0 if cursor is None else self.decode(cursor)

    def page(
        self,
        after: int,
        *,
        fetch: Callable[[int, int], Sequence[R]],
        judge: Callable[[Sequence[R]], Sequence[T]],
        position: Callable[[R], int],
        limit: int,
        keep: Callable[[T], bool] | None = None,
    ) -> tuple[list[T], str | None]:
        """A page of judged rows after position ``after`` (``scan``), and the cursor of the next
        page (None on the last). Without ``keep`` every row is kept, and a page reads
        ``limit + 1`` rows; with it, batches of 200 until the page is full."""
        items, last = scan(
            fetch=fetch,
            judge=judge,
            keep=keep or (lambda _: True),
            position=position,
            after=after,
            limit=limit,
            batch=limit + 1 if keep is None else 200,
        )
        return items, None if last is None else self.encode(last)


def scan(
    *,
    fetch: Callable[[int, int], Sequence[R]],
    judge: Callable[[Sequence[R]], Sequence[T]],
    keep: Callable[[T], bool],
    position: Callable[[R], int],
    after: int,
    limit: int,
    batch: int,
) -> tuple[list[T], int | None]:
    """Up to ``limit`` judged rows that ``keep`` accepts, after position ``after``.

    ``fetch(after, n)`` reads up to ``n`` rows with a position above ``after``, in
    ascending order; ``judge`` turns a batch into results, one per row, in order. Returns
    the page and the position of its last row if more may follow (else None).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    kept: list[tuple[T, int]] = []
    while True:
        rows = fetch(after, batch)
        for row, result in zip(rows, judge(rows), strict=True):
            if keep(result):
                kept.append((result, position(row)))
                if len(kept) > limit:
                    return [r for r, _ in kept[:limit]], kept[limit - 1][1]
        if len(rows) < batch:
            return [r for r, _ in kept], None
        after = position(rows[-1])


def uuid_in(store: ViewStore, column: str, ids: Iterable[UUID]) -> tuple[str, object]:
    """A condition that a uuid ``column`` is one of ``ids``, and its one parameter."""
    if store.kind == "postgres":
        return f"{column} = ANY(?)", sorted(ids)
    return store.in_list(column), store.list_param(str(i) for i in ids)


def visible(store: ViewStore, visibility: Visibility) -> tuple[list[str], list[object]] | None:
    """Conditions on ``team`` and ``officer`` for the cases a caller may see (the rule of
    ``api.policy.visibility``); None when they may see none. These views are not for
    partners, so a visibility by organisation alone sees nothing."""
    if visibility.everything:
        return [], []
    either: list[str] = []
    params: list[object] = []
    if visibility.teams:
        either.append(store.in_list("team"))
        params.append(store.list_param(visibility.teams))
    if visibility.officer:
        either.append("officer = ?")
        params.append(visibility.officer)
    if not either:
        return None
    return [f"({' OR '.join(either)})"], params
