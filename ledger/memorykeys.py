"""The key table in memory, for unit tests and the in-memory store."""

from __future__ import annotations

import threading
from datetime import UTC, datetime


class MemoryKeyTable:
    """For unit tests and the in-memory store."""

    def __init__(self) -> None:
        self.rows: dict[str, bytes | None] = {}
        self.created: dict[str, datetime] = {}
        self.numbers: dict[int, int] = {}
        self.tokens: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def load_key(self, scope: str) -> tuple[bool, bytes | None]:
        with self._lock:
            return scope in self.rows, self.rows.get(scope)

    def insert_key(self, scope: str, wrapped: bytes) -> bool:
        with self._lock:
            if scope in self.rows:
                return False
            self.rows[scope] = wrapped
            self.created[scope] = datetime.now(UTC)
            return True

    def load_keys(self, scopes: list[str]) -> dict[str, bytes | None]:
        with self._lock:
            return {scope: self.rows[scope] for scope in scopes if scope in self.rows}

    def key_rows(
        self, after: str, limit: int, *, since: datetime | None = None
    ) -> tuple[list[tuple[str, bytes]], str]:
        with self._lock:
            held = sorted(
                (scope, wrapped)
                for scope, wrapped in self.rows.items()
                if wrapped is not None
                and scope > after
                and (since is None or self.created.get(scope, since) >= since)
            )
        page = held[:limit]
        return page, page[-1][0] if page else after

    def count_keys(self) -> int:
        with self._lock:
            return sum(1 for wrapped in self.rows.values() if wrapped is not None)

    def swap_keys(self, rows: list[tuple[str, bytes, bytes]]) -> int:
        with self._lock:
            swapped = 0
            for scope, old, new in rows:
                if self.rows.get(scope) == old:
                    self.rows[scope] = new
                    swapped += 1
            return swapped

    def destroy_key(self, scope: str) -> bool:
        with self._lock:
            had = self.rows.get(scope) is not None
            self.rows[scope] = None
            if scope.startswith("person:"):
                person = scope.removeprefix("person:")
                self.tokens = {k: v for k, v in self.tokens.items() if k[1] != person}
            return had

    def reserve(self, year: int, rows: list[tuple[str, bytes]]) -> tuple[int, set[str]]:
        with self._lock:
            inserted = {scope for scope, _ in rows if scope not in self.rows}
            self.rows.update((scope, wrapped) for scope, wrapped in rows if scope in inserted)
            self.created.update(dict.fromkeys(inserted, datetime.now(UTC)))
            self.numbers[year] = self.numbers.get(year, 0) + 1
            return self.numbers[year], inserted

    def add_tokens(self, person_ref: str, tokens: dict[str, str]) -> None:
        with self._lock:
            self.tokens.update(((token, person_ref), kind) for token, kind in tokens.items())

    def match_tokens(
        self, tokens: list[str], *, within: list[str] | None = None, limit: int | None = None
    ) -> list[tuple[str, str]]:
        wanted = set(tokens)
        among = None if within is None else set(within)
        with self._lock:
            found = [
                (ref, kind)
                for (token, ref), kind in self.tokens.items()
                if token in wanted and (among is None or ref in among)
            ]
        return found if limit is None else found[:limit]

    def match_with_sound(self, exact: list[str], sound: list[str]) -> list[tuple[str, str]]:
        hits = self.match_tokens(exact)
        return [*hits, *self.match_tokens(sound, within=[ref for ref, _ in hits])]

    def repoint_tokens(self, from_ref: str, to_ref: str) -> None:
        with self._lock:
            moved = {(t, r): k for (t, r), k in self.tokens.items() if r == from_ref}
            for token, _ in moved:
                self.tokens.setdefault((token, to_ref), moved[(token, from_ref)])
                del self.tokens[(token, from_ref)]

    def kinds_of(self, person_refs: list[str]) -> list[tuple[str, str]]:
        wanted = set(person_refs)
        with self._lock:
            return sorted({(ref, kind) for (_, ref), kind in self.tokens.items() if ref in wanted})

    def count_tokens(self, person_ref: str) -> int:
        with self._lock:
            return sum(1 for _, ref in self.tokens if ref == person_ref)
