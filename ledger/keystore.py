"""Data keys, wrapped by a master key and kept apart from the events (DESIGN §6)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.errors import MasterKeyError, Rule, RuleViolation, UnknownKey

KEY_BYTES = 32
_WRAP_TAG = b"asb-ledger/dek/v1\x00"


class KeyTable(Protocol):
    """Storage of wrapped data keys: one row per scope; destroyed rows keep no key."""

    def load_key(self, scope: str) -> tuple[bool, bytes | None]:
        """(row exists, wrapped key or None when destroyed)."""

    def insert_key(self, scope: str, wrapped: bytes) -> bool:
        """Inserts unless a row for the scope exists; False if a concurrent creator won."""

    def destroy_key(self, scope: str) -> bool:
        """Removes the key for good; True if it was there to destroy. Destroying a person's
        key (``person:<ref>``) deletes their blind-index tokens in the same transaction."""

    def reserve(self, year: int, rows: list[tuple[str, bytes]]) -> tuple[int, set[str]]:
        """In one transaction: the year's next case number, and the rows inserted (by scope)."""

    def add_tokens(self, person_ref: str, tokens: dict[str, str]) -> None:
        """Adds a person's blind-index tokens (token: kind); a token held already stays."""

    def match_tokens(
        self, tokens: list[str], *, within: list[str] | None = None, limit: int | None = None
    ) -> list[tuple[str, str]]:
        """(person ref, kind) of every stored token among ``tokens`` (of the people
        ``within``, if given; at most ``limit`` rows, if given)."""

    def match_with_sound(self, exact: list[str], sound: list[str]) -> list[tuple[str, str]]:
        """In one round trip: the rows of ``exact`` tokens, and those of ``sound`` tokens
        held by the people ``exact`` matched."""

    def repoint_tokens(self, from_ref: str, to_ref: str) -> None:
        """Moves a merged record's tokens to the record it was merged into, in one
        transaction, so that a search finds the survivor without reading any record."""

    def kinds_of(self, person_refs: list[str]) -> list[tuple[str, str]]:
        """(person ref, kind) of every kind of token each of the people holds."""

    def count_tokens(self, person_ref: str) -> int:
        """How many tokens a person has in the index."""


class MemoryKeyTable:
    """For unit tests only."""

    def __init__(self) -> None:
        self.rows: dict[str, bytes | None] = {}
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
            return True

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


MASTER_CHECK_SCOPE = "asb:master-key-check"
"""A data key kept only to prove, at start-up, that the master key is the store's own."""


def open_master_key(path: Path, table: KeyTable) -> bytes:
    """The master key for a store: created on first run, refused if it does not fit.

    A store whose data keys exist but whose master key file is missing, or a key file that
    does not unwrap them, stops the process with a clear error instead of quietly making a
    new key under which no other process could read."""
    keyed, _ = table.load_key(MASTER_CHECK_SCOPE)
    if keyed and not path.exists():
        raise MasterKeyError(
            f"the store holds data keys but the master key {path} is missing: restore it"
        )
    master = load_or_create_master_key(path)
    try:
        KeyStore(table, master, cache_seconds=0).key_for_sealing(MASTER_CHECK_SCOPE)
    except MasterKeyError:
        raise MasterKeyError(
            f"the master key {path} does not unwrap this store's data keys"
        ) from None
    return master


def load_or_create_master_key(path: Path) -> bytes:
    """Reads the master key file, creating it (0600) on first run."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(AESGCM.generate_key(bit_length=256))
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise ValueError(f"master key {path} must hold {KEY_BYTES} bytes")
    return key


class KeyStore:
    """Wraps, caches and destroys data keys.

    Unwrapped keys are cached for ``cache_seconds``; a destroy here evicts at once, and
    other processes stop using a destroyed key when their cache entry expires.
    """

    def __init__(self, table: KeyTable, master_key: bytes, cache_seconds: float = 30.0) -> None:
        self.table = table
        self._master = AESGCM(master_key)
        self._cache: dict[str, tuple[bytes, AESGCM, float]] = {}
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()

    def key_for_sealing(self, scope: str) -> bytes:
        """The scope's key, created on first use; refused once the scope was erased."""
        return self._for_sealing(scope)[0]

    def index_key(self, scope: str) -> bytes:
        """The key of a blind index (``index:<name>``), created on first use. It is kept
        and wrapped like a data key, but hashes index tokens and never seals a field."""
        if not scope.startswith("index:"):
            raise ValueError(f"{scope} is not an index key's scope")
        return self._for_sealing(scope)[0]

    def aead_for_sealing(self, scope: str) -> AESGCM:
        return self._for_sealing(scope)[1]

    def aead_for_reading(self, scope: str) -> AESGCM | None:
        """The scope's cipher, or None if it was destroyed. A scope never keyed is an error."""
        entry = self._for_reading(scope)
        return None if entry is None else entry[1]

    def reserve_opening(self, year: int, scopes: list[str]) -> int:
        """The year's next case number, with keys for the new case's scopes made in the same
        transaction (one commit for both, instead of one each)."""
        fresh = {scope: self._new_key(scope) for scope in scopes if self._cached(scope) is None}
        number, inserted = self.table.reserve(
            year, [(scope, wrapped) for scope, (_, wrapped) in fresh.items()]
        )
        for scope in inserted:
            self._remember(scope, fresh[scope][0])
        return number

    def _new_key(self, scope: str) -> tuple[bytes, bytes]:
        """A fresh data key and its wrapping under the master key."""
        key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        return key, nonce + self._master.encrypt(nonce, key, _WRAP_TAG + scope.encode())

    def _for_sealing(self, scope: str) -> tuple[bytes, AESGCM]:
        cached = self._cached(scope)
        if cached is not None:
            return cached
        exists, wrapped = self.table.load_key(scope)
        if not exists:
            fresh, sealed_key = self._new_key(scope)
            if self.table.insert_key(scope, sealed_key):
                return self._remember(scope, fresh)
            exists, wrapped = self.table.load_key(scope)  # a concurrent creator won
        if wrapped is None:
            raise RuleViolation(
                Rule.KEY_DESTROYED, f"{scope} was erased; nothing more is sealed under it"
            )
        return self._unwrap(scope, wrapped)

    def _for_reading(self, scope: str) -> tuple[bytes, AESGCM] | None:
        cached = self._cached(scope)
        if cached is not None:
            return cached
        exists, wrapped = self.table.load_key(scope)
        if not exists:
            raise UnknownKey(scope)
        return None if wrapped is None else self._unwrap(scope, wrapped)

    def _cached(self, scope: str) -> tuple[bytes, AESGCM] | None:
        with self._lock:
            cached = self._cache.get(scope)
        if cached is None or cached[2] <= time.monotonic():
            return None
        return cached[0], cached[1]

    def _unwrap(self, scope: str, wrapped: bytes) -> tuple[bytes, AESGCM]:
        try:
            key = self._master.decrypt(wrapped[:12], wrapped[12:], _WRAP_TAG + scope.encode())
        except InvalidTag:
            raise MasterKeyError(f"the data key for {scope} does not unwrap") from None
        return self._remember(scope, key)

    def _remember(self, scope: str, key: bytes) -> tuple[bytes, AESGCM]:
        aead = AESGCM(key)
        with self._lock:
            self._cache[scope] = (key, aead, time.monotonic() + self._cache_seconds)
        return key, aead

    def destroy(self, scope: str) -> bool:
        with self._lock:
            self._cache.pop(scope, None)
        return self.table.destroy_key(scope)
