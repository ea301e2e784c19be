"""One write lock per SQLite file in a process, shared by everything that writes to it.

SQLite admits one writer at a time. Writers on separate connections that collide do not
queue: the loser sleeps in SQLite's busy handler (1 to 100 ms steps) and retries, which
showed as an 84 ms p99 for openings under four clients. Taking this lock around each write
transaction makes writers in one process queue in order instead; writers in other
processes still meet SQLite's own lock and busy timeout.
"""

from __future__ import annotations

import os
import threading

_LOCKS: dict[str, threading.RLock] = {}
_GUARD = threading.Lock()


def write_lock(path: str) -> threading.RLock:
    """The process's write lock for the database file at ``path``."""
    key = (
        path if path.startswith(":memory:") or path.startswith("file:") else os.path.realpath(path)
    )
    with _GUARD:
        lock = _LOCKS.get(key)
        if lock is None:
            lock = _LOCKS[key] = threading.RLock()
        return lock
