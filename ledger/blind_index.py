"""A blind index: keyed hashes of normalised identifying details, so that a person can be
found by name, phone, e-mail or address without any of them being stored in the clear.

Each token is HMAC-SHA256 under the index key (a key of its own in the key store, scope
``index:people``, never a data key that seals anything) of the token's kind and its
normalised value (``ledger/identity.py``). Equal details give equal tokens; without the
key a token cannot be recomputed from a guess, so a copied index table reveals nothing,
and destroying a person's tokens leaves no trace of what they were.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from ledger.identity import Token, TokenKind

INDEX_SCOPE = "index:people"
"""The key store scope of the people index's key."""


class BlindIndex:
    """Turns normalised details into the tokens stored and searched for."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("an index key is at least 256 bits")
        self._key = key

    def token(self, token: Token) -> str:
        message = f"{token.kind.value}\x1f{token.value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def tokens(self, tokens: Iterable[Token]) -> dict[str, TokenKind]:
        """Each token's hash, with the kind of detail it stands for (the kind is kept beside
        it in the clear: it says which detail matched, never what the detail was)."""
        return {self.token(t): t.kind for t in tokens}
