"""Places: what links cases about the same address without the address in the clear.

A place is a UPRN (the UK's Unique Property Reference Number, public and not personal) when
the caller has one, written ``uprn:<digits>``; otherwise an address normalised to its
postcode and house number or name (``ledger/identity.py``) and hashed under the places
index key (scope ``index:places``, never the people index's key nor a data key), written
``addr:<keyed hash>``. Two spellings of one address give one place; without the key the
hash cannot be recomputed from a guess. Events carry the place so that the read models
that link cases (and count complaints for an ASB Case Review) are rebuilt from events.
"""

from __future__ import annotations

import re

from ledger import identity
from ledger.blind_index import BlindIndex
from ledger.errors import Rule, RuleViolation
from ledger.keystore import KeyStore

PLACES_SCOPE = "index:places"
"""The key store scope of the places index's key."""
_PLACE = re.compile(r"^(uprn:[1-9][0-9]{0,11}|addr:[0-9a-f]{64})$")
_UPRN = re.compile(r"^[0-9]{1,12}$")


def check(place: str) -> str:
    """A place as events hold it, or ``place.unrecognised``."""
    if not _PLACE.match(place):
        raise RuleViolation(Rule.PLACE_UNRECOGNISED, "place: not a UPRN or an indexed address")
    return place


class Places:
    """Turns what a caller knows of a place into the place events hold."""

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys
        self._index: BlindIndex | None = None

    @property
    def index(self) -> BlindIndex:
        if self._index is None:
            self._index = BlindIndex(self.keys.index_key(PLACES_SCOPE))
        return self._index

    def named(self, uprn: str | None, address: str | None, field: str) -> str | None:
        """The place a caller named: the UPRN if given, else the address, which must hold a
        postcode and a house number or name (``place.unrecognised`` otherwise)."""
        if uprn is not None and uprn.strip():
            digits = uprn.strip()
            if not _UPRN.match(digits) or int(digits) == 0:
                raise RuleViolation(
                    Rule.PLACE_UNRECOGNISED, f"{field}.uprn: a UPRN is 1 to 12 digits"
                )
            return f"uprn:{int(digits)}"
        if address is not None and address.strip():
            found = self.of_text(address)
            if found is None:
                raise RuleViolation(
                    Rule.PLACE_UNRECOGNISED,
                    f"{field}.address: give the postcode and the house number or name",
                )
            return found
        return None

    def of_text(self, text: str | None) -> str | None:
        """The place an address in free text (a case's location) names, if it holds a
        postcode and a house number or name; else None (nothing is guessed)."""
        if not text:
            return None
        code, home = identity.postcode(text), identity.house(text)
        if not (code and home):
            return None
        token = identity.Token(identity.TokenKind.POSTCODE_AND_HOUSE, f"{code}|{home}")
        return f"addr:{self.index.token(token)}"
