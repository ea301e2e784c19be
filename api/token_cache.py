"""Verified tokens remembered until they expire, so a caller's every request does not pay
for a signature check (Ed25519 verification is most of the ~0.2 ms a token costs)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import jwt

from api.auth import TokenVerifier
from api.principal import Principal


class CachingVerifier:
    """Wraps a ``TokenVerifier``. Only tokens that verified are kept, keyed by the whole
    token (signature included), and only until their ``exp`` (plus the configured leeway):
    after that the token is verified again, and refused. A key withdrawn from the key set
    stops new tokens at once; tokens already seen stay valid until they expire, as they
    would at any service that verified them offline."""

    def __init__(
        self,
        inner: TokenVerifier,
        *,
        size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.inner = inner
        self.size = size
        self.clock = clock
        self.leeway = inner.settings.jwt_leeway_seconds
        self._seen: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal:
        now = self.clock()
        with self._lock:
            found = self._seen.get(token)
            if found is not None and now <= found[1]:
                self._seen.move_to_end(token)
                return found[0]
        principal = self.inner.verify(token)  # raises Unauthenticated
        claims = jwt.decode(token, options={"verify_signature": False})
        until = float(claims["exp"]) + self.leeway
        with self._lock:
            self._seen[token] = (principal, until)
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)
        return principal
