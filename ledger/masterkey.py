"""The master key files: the key, and beside it the next one while a rotation is under way."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.errors import MasterKeyError
from ledger.keystore import KEY_BYTES, MASTER_CHECK_SCOPE, KeyStore, KeyTable, MasterKeys, unwrap


def next_key_path(path: Path) -> Path:
    """Where a rotation keeps the new master key until every data key is wrapped under it."""
    return path.with_name(path.name + ".next")


def open_master_key(path: Path, table: KeyTable) -> MasterKeys:
    """The master key for a store: created on first run, refused if it does not fit.

    A store whose data keys exist but whose master key file is missing, or a key file that
    does not unwrap them, stops the process with a clear error instead of quietly making a
    new key under which no other process could read. While a rotation is under way (a
    ``.next`` file beside it) either key may unwrap the check scope; once it is done, only
    the new one does, so the old key is refused."""
    keyed, _ = table.load_key(MASTER_CHECK_SCOPE)
    if keyed and not path.exists():
        raise MasterKeyError(
            f"the store holds data keys but the master key {path} is missing: restore it"
        )
    master = load_or_create_master_key(path)
    if not keyed:
        KeyStore(table, master, cache_seconds=0).key_for_sealing(MASTER_CHECK_SCOPE)
    try:
        return master_keys(path, table)
    except MasterKeyError:
        raise MasterKeyError(
            f"the master key {path} does not unwrap this store's data keys"
        ) from None


def master_keys(path: Path, table: KeyTable) -> MasterKeys:
    """The keys the files hold now: the one the check scope unwraps under wraps new keys."""
    keys = [key for key in (read_master_key(next_key_path(path)), read_master_key(path)) if key]
    _, check = table.load_key(MASTER_CHECK_SCOPE)
    for key in keys:
        if check is not None and unwrap(AESGCM(key), MASTER_CHECK_SCOPE, check) is not None:
            return MasterKeys(key, tuple(other for other in keys if other != key))
    raise MasterKeyError(f"no master key in {path.parent} unwraps this store's data keys")


def read_master_key(path: Path) -> bytes | None:
    """The key a file holds, or None if there is no such file."""
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        return None
    if len(key) != KEY_BYTES:
        raise ValueError(f"master key {path} must hold {KEY_BYTES} bytes")
    return key


def load_or_create_master_key(path: Path) -> bytes:
    """Reads the master key file, creating it (0600, on disk before it is used) on first run."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(AESGCM.generate_key(bit_length=256))
                handle.flush()
                os.fsync(handle.fileno())
            sync_directory(path.parent)
    key = read_master_key(path)
    assert key is not None
    return key


def sync_directory(folder: Path) -> None:
    """Makes a file's creation or renaming in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
