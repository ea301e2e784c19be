"""Rotating the master key: every data key rewrapped under a new one, resumably (DESIGN §6).

No event changes: events hold fields sealed under the data keys, and only the wrapping of
those keys changes, so every chain and checkpoint verifies as before.

1. The new key is written first beside the master key (``master.key.next``, 0600, on disk
   before anything is wrapped under it), so a rotation that stops resumes with the same key.
2. The check scope is rewrapped first: from then on every process wraps new data keys under
   the new key (``KeyStore._settle``), and a process started now finds both files.
3. Every row still holding a key is rewrapped, in batches of ``batch`` rows, each row only
   if it still holds what was read (a key destroyed meanwhile stays destroyed); a row that
   already unwraps under the new key (a resumed rotation) is left as it is. Then the rows
   created since the rotation began are walked again, for a process that had not yet seen it.
4. Only when no row is left under the old key does the new key replace the master key file,
   in one rename. The old key is not kept: it would sit beside the new one, as exposed as
   before, and would still open the keys of people erased since any backup was taken (a
   backup taken before the rotation needs it: copy it away first if such backups are kept).

Every process must see the same files (one path, ``Settings.master_key_file`` in production):
a host holding a copy of its own needs the new key put in place before the old one is gone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.errors import MasterKeyError
from ledger.keystore import MASTER_CHECK_SCOPE, KeyTable, unwrap, wrap
from ledger.masterkey import (
    load_or_create_master_key,
    next_key_path,
    read_master_key,
    sync_directory,
)

SWEEP_MARGIN = timedelta(minutes=10)
"""How long before the rotation began a row must have been created to escape the final
walk: room for the database's clock to lag the file system's."""


@dataclass
class RotationCount:
    """Counts only: a rotation never reports a key or a scope."""

    total: int
    rewrapped: int = 0
    already: int = 0
    changed: int = 0
    unreadable: int = 0

    @property
    def done(self) -> int:
        return self.rewrapped + self.already + self.changed + self.unreadable


class KeyRotation:
    """Rewraps every data key in ``table`` from the master key at ``path`` to a new one."""

    def __init__(self, table: KeyTable, path: Path, *, batch: int = 1000) -> None:
        self.table = table
        self.path = path
        self.next_path = next_key_path(path)
        self.batch = batch

    @property
    def resuming(self) -> bool:
        """Whether an earlier rotation stopped before it was done."""
        return self.next_path.exists()

    def run(self, on_batch: Callable[[RotationCount], None] | None = None) -> RotationCount:
        """Rotates, calling ``on_batch`` after each batch; the counts of what it did."""
        old_key = read_master_key(self.path)
        if old_key is None:
            raise MasterKeyError(f"the master key {self.path} is missing: restore it")
        new_key = load_or_create_master_key(self.next_path)
        began = datetime.fromtimestamp(self.next_path.stat().st_mtime, UTC) - SWEEP_MARGIN
        old, new = AESGCM(old_key), AESGCM(new_key)
        count = RotationCount(total=self.table.count_keys())
        self._check_scope(old, new, count)
        self._walk(old, new, count, on_batch=on_batch)
        late = RotationCount(total=0)
        if not count.unreadable:
            self._walk(old, new, late, since=began)
        count.rewrapped += late.rewrapped
        count.changed += late.changed
        if count.unreadable or late.unreadable:
            raise MasterKeyError(
                f"{max(count.unreadable, late.unreadable)} data keys unwrap under neither the"
                " master key nor the next one: the master key was not replaced"
            )
        os.replace(self.next_path, self.path)
        sync_directory(self.path.parent)
        return count

    def _check_scope(self, old: AESGCM, new: AESGCM, count: RotationCount) -> None:
        """Rewraps the check scope before any other row (see ``KeyStore._settle``)."""
        _, check = self.table.load_key(MASTER_CHECK_SCOPE)
        if check is None:
            raise MasterKeyError("the store was never keyed: open it once first")
        if unwrap(new, MASTER_CHECK_SCOPE, check) is not None:
            count.already += 1
            return
        key = unwrap(old, MASTER_CHECK_SCOPE, check)
        if key is None:
            raise MasterKeyError(f"the master key {self.path} does not unwrap this store's keys")
        if not self.table.swap_keys(
            [(MASTER_CHECK_SCOPE, check, wrap(new, MASTER_CHECK_SCOPE, key))]
        ):
            self._check_scope(old, new, count)  # another rotation's, meanwhile
        else:
            count.rewrapped += 1

    def _walk(
        self,
        old: AESGCM,
        new: AESGCM,
        count: RotationCount,
        *,
        since: datetime | None = None,
        on_batch: Callable[[RotationCount], None] | None = None,
    ) -> None:
        rows, after = self.table.key_rows("", self.batch, since=since)
        while rows:
            swaps = []
            for scope, wrapped in rows:
                if scope == MASTER_CHECK_SCOPE:
                    continue  # rewrapped first, and counted then
                key = unwrap(old, scope, wrapped)
                if key is not None:
                    swaps.append((scope, wrapped, wrap(new, scope, key)))
                elif unwrap(new, scope, wrapped) is not None:
                    count.already += 1
                else:
                    count.unreadable += 1
            swapped = self.table.swap_keys(swaps) if swaps else 0
            count.rewrapped += swapped
            count.changed += len(swaps) - swapped  # destroyed, or rewrapped by a process
            if on_batch is not None:
                on_batch(count)
            rows, after = self.table.key_rows(after, self.batch, since=since)
