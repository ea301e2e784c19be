"""Data keys, wrapped by a master key and kept apart from the events (DESIGN §6)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.errors import MasterKeyError, Rule, RuleViolation, UnknownKey
from ledger.memorykeys import MemoryKeyTable

__all__ = ["KeyStore", "KeyTable", "MasterKeys", "MemoryKeyTable", "unwrap", "wrap"]

KEY_BYTES = 32
_WRAP_TAG = b"asb-ledger/dek/v1\x00"
MASTER_CHECK_SCOPE = "asb:master-key-check"
"""A data key kept only to prove that a master key is the store's own. It is the first row a
rotation rewraps, so the master key it unwraps under is the one new keys are wrapped with."""


class KeyTable(Protocol):
    """Storage of wrapped data keys: one row per scope; destroyed rows keep no key."""

    def load_key(self, scope: str) -> tuple[bool, bytes | None]:
        """(row exists, wrapped key or None when destroyed)."""

    def load_keys(self, scopes: list[str]) -> dict[str, bytes | None]:
        """In one query, as ``load_key`` for each scope: the scopes with a row (wrapped key,
        or None when destroyed); scopes without one are left out."""

    def insert_key(self, scope: str, wrapped: bytes) -> bool:
        """Inserts unless a row for the scope exists; False if a concurrent creator won."""

    def destroy_key(self, scope: str) -> bool:
        """Removes the key for good; True if it was there to destroy. Destroying a person's
        key (``person:<ref>``) deletes their blind-index tokens in the same transaction."""

    def key_rows(
        self, after: str, limit: int, *, since: datetime | None = None
    ) -> tuple[list[tuple[str, bytes]], str]:
        """Up to ``limit`` rows still holding a key (created at or after ``since``, if
        given), as (scope, wrapped key), in the order the store walks fastest; and where the
        next page starts, to pass back as ``after`` ("" for the first page)."""

    def count_keys(self) -> int:
        """How many rows still hold a key."""

    def swap_keys(self, rows: list[tuple[str, bytes, bytes]]) -> int:
        """Rewraps (scope, old, new): each row is updated only while it still holds ``old``
        (so a key destroyed meanwhile stays destroyed), in one transaction; how many were."""

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


def wrap(master: AESGCM, scope: str, key: bytes) -> bytes:
    """A data key wrapped under a master key, bound to its scope."""
    nonce = os.urandom(12)
    return nonce + master.encrypt(nonce, key, _WRAP_TAG + scope.encode())


def unwrap(master: AESGCM, scope: str, wrapped: bytes) -> bytes | None:
    """The data key, or None if ``master`` is not the key it was wrapped under."""
    try:
        return master.decrypt(wrapped[:12], wrapped[12:], _WRAP_TAG + scope.encode())
    except InvalidTag:
        return None


@dataclass(frozen=True)
class MasterKeys:
    """The master key new data keys are wrapped under (the one the check scope unwraps
    under) and, while a rotation is under way, the other one, which may still unwrap some."""

    wrapping: bytes
    others: tuple[bytes, ...] = ()


class KeyStore:
    """Wraps, caches and destroys data keys.

    Sealing asks the key table, every time, whether the scope's key still exists (one
    indexed lookup; ``aeads_for_sealing`` asks for several scopes in one query), so no
    process seals new data under a key that another process destroyed: it would be lost,
    readable nowhere. The cache only saves the unwrap. (A destroy committed in the
    milliseconds between the check and the command's commit still meets what that command
    sealed: it reads as erased, as if written just before the erasure.)

    Reading trusts the cache for ``cache_seconds``: a destroy here evicts at once, and
    another process may go on reading a destroyed scope's fields until its entry expires.
    That shows nothing its reader could not have read a moment before, and loses nothing,
    whereas asking the table on every read would cost a lookup per scope on every view.

    ``reload`` re-reads the master key files: a process started before a rotation meets
    keys it cannot unwrap, or finds the check scope rewrapped after wrapping a new key
    under the old master key, and then takes up the new one (``ledger/rotation.py``).
    """

    def __init__(
        self,
        table: KeyTable,
        master_key: bytes | MasterKeys,
        cache_seconds: float = 30.0,
        *,
        reload: Callable[[], MasterKeys] | None = None,
    ) -> None:
        self.table = table
        masters = MasterKeys(master_key) if isinstance(master_key, bytes) else master_key
        self._lock = threading.Lock()
        self._ring: tuple[bytes, ...] = ()
        self._aeads: tuple[AESGCM, ...] = ()
        self._use([masters.wrapping, *masters.others])
        self._reload = reload
        self._cache: dict[str, tuple[bytes, AESGCM, float]] = {}
        self._cache_seconds = cache_seconds

    def key_for_sealing(self, scope: str) -> bytes:
        """The scope's key, created on first use; refused once the scope was erased."""
        return self._for_sealing(scope)[0]

    def index_key(self, scope: str) -> bytes:
        """The key of a blind index (``index:<name>``), created on first use. It is kept
        and wrapped like a data key, but hashes index tokens and never seals a field."""
        if not scope.startswith("index:"):
            raise ValueError(f"{scope} is not an index key's scope")
        return self._for_sealing(scope)[0]

    def kept_key(self, scope: str, first: bytes) -> bytes:
        """A key the store keeps for good under ``scope``, stored as ``first`` on first use:
        a rotation rewraps it, so what is derived from it outlives the master key."""
        exists, wrapped = self.table.load_key(scope)
        return self._sealable(scope, exists, wrapped, first)[0]

    def aead_for_sealing(self, scope: str) -> AESGCM:
        return self._for_sealing(scope)[1]

    def aeads_for_sealing(self, scopes: list[str]) -> dict[str, AESGCM]:
        """As ``aead_for_sealing`` for each scope, asking the key table once for them all."""
        found = self.table.load_keys(scopes)
        return {
            scope: self._sealable(scope, scope in found, found.get(scope))[1]
            for scope in dict.fromkeys(scopes)
        }

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
        self._settle({scope: fresh[scope] for scope in inserted})
        for scope in inserted:
            self._remember(scope, fresh[scope][0])
        return number

    def _new_key(self, scope: str, key: bytes | None = None) -> tuple[bytes, bytes]:
        """A fresh data key (or ``key``) and its wrapping under the master key."""
        key = key or AESGCM.generate_key(bit_length=256)
        return key, wrap(self._aeads[0], scope, key)

    def _settle(self, inserted: dict[str, tuple[bytes, bytes]]) -> None:
        """Makes sure keys just inserted are under the master key a rotation keeps.

        A rotation rewraps the check scope before any other row. If it is still under the
        key used here, the rotation began after these rows were committed and will rewrap
        them; if not, this process rewraps them itself, under the key the check scope is
        now under (compare-and-swap, so it and the rotation may both try)."""
        if not inserted or self._reload is None:
            return
        _, check = self.table.load_key(MASTER_CHECK_SCOPE)
        if check is None or unwrap(self._aeads[0], MASTER_CHECK_SCOPE, check) is not None:
            return
        old = self._ring[0]
        self._take_up(self._reload())
        if self._ring[0] != old:
            wrapping = self._aeads[0]
            self.table.swap_keys([(s, w, wrap(wrapping, s, k)) for s, (k, w) in inserted.items()])

    def _take_up(self, masters: MasterKeys) -> None:
        """Wraps under the reloaded key from now on, and still unwraps under every other."""
        self._use([masters.wrapping, *masters.others, *self._ring])

    def _use(self, keys: list[bytes]) -> None:
        ring = tuple(dict.fromkeys(keys))
        if ring != self._ring:
            aeads = tuple(AESGCM(key) for key in ring)
            with self._lock:
                self._ring, self._aeads = ring, aeads

    def _for_sealing(self, scope: str) -> tuple[bytes, AESGCM]:
        exists, wrapped = self.table.load_key(scope)
        return self._sealable(scope, exists, wrapped)

    def _sealable(
        self, scope: str, exists: bool, wrapped: bytes | None, first: bytes | None = None
    ) -> tuple[bytes, AESGCM]:
        """The key of a scope the key table was just asked about, made if it has none."""
        if not exists:
            fresh, sealed_key = self._new_key(scope, first)
            if self.table.insert_key(scope, sealed_key):
                self._settle({scope: (fresh, sealed_key)})
                return self._remember(scope, fresh)
            exists, wrapped = self.table.load_key(scope)  # a concurrent creator won
        if wrapped is None:
            with self._lock:
                self._cache.pop(scope, None)
            raise RuleViolation(
                Rule.KEY_DESTROYED, f"{scope} was erased; nothing more is sealed under it"
            )
        return self._cached(scope) or self._unwrap(scope, wrapped)

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
        for master in self._aeads:
            key = unwrap(master, scope, wrapped)
            if key is not None:
                return self._remember(scope, key)
        if self._reload is not None and self._reloaded():
            return self._unwrap(scope, wrapped)
        raise MasterKeyError(f"the data key for {scope} does not unwrap")

    def _reloaded(self) -> bool:
        """Re-reads the master key files; True if they held a key not known here."""
        before = set(self._ring)
        assert self._reload is not None
        self._take_up(self._reload())
        return not set(self._ring) <= before

    def _remember(self, scope: str, key: bytes) -> tuple[bytes, AESGCM]:
        aead = AESGCM(key)
        with self._lock:
            self._cache[scope] = (key, aead, time.monotonic() + self._cache_seconds)
        return key, aead

    def destroy(self, scope: str) -> bool:
        with self._lock:
            self._cache.pop(scope, None)
        return self.table.destroy_key(scope)
