"""Sealing personal fields with AES-256-GCM under scoped data keys (DESIGN §6)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.errors import SealBroken, UnknownKey
from ledger.keystore import KeyStore
from ledger.values import Sealed, case_scope, person_scope

__all__ = ["Erased", "Sealer", "Unsealed", "associated_data", "case_scope", "person_scope"]

NONCE_BYTES = 12
_AD_TAG = b"asb-ledger/seal/v1"


@dataclass(frozen=True)
class Erased:
    """What a sealed field reads as once its key is destroyed."""

    scope: str

    def __str__(self) -> str:
        return "[erased]"


Unsealed = str | Erased


def associated_data(case_id: UUID, field: str, scope: str) -> bytes:
    """Binds a ciphertext to its place: the case, the field and the key scope."""
    return b"\x00".join((_AD_TAG, str(case_id).encode(), field.encode(), scope.encode()))


class Sealer:
    """Seals and unseals personal fields; blank text seals to ``None`` (rules then apply).

    Each seal asks the key table whether its scope's key still exists (``KeyStore``); a
    sealer ``for_one_command`` asks once per scope, or once for several (``confirm``)."""

    def __init__(self, keys: KeyStore, confirmed: dict[str, AESGCM] | None = None) -> None:
        self.keys = keys
        self._confirmed = confirmed

    def for_one_command(self) -> Sealer:
        """A sealer for the milliseconds of one command, which asks about each scope once."""
        return Sealer(self.keys, {})

    def confirm(self, scopes: list[str]) -> None:
        """Asks about several scopes in one query, before sealing under them."""
        if self._confirmed is not None:
            self._confirmed.update(self.keys.aeads_for_sealing(scopes))

    def _aead(self, scope: str) -> AESGCM:
        if self._confirmed is None:
            return self.keys.aead_for_sealing(scope)
        aead = self._confirmed.get(scope)
        if aead is None:
            aead = self._confirmed[scope] = self.keys.aead_for_sealing(scope)
        return aead

    def seal(
        self, plaintext: str | None, *, case_id: UUID, field: str, scope: str
    ) -> Sealed | None:
        if plaintext is None or not plaintext.strip():
            return None
        aead = self._aead(scope)
        nonce = os.urandom(NONCE_BYTES)
        blob = nonce + aead.encrypt(
            nonce, plaintext.encode("utf-8"), associated_data(case_id, field, scope)
        )
        return Sealed(scope, blob)

    def seal_text(self, plaintext: str | None, *, case_id: UUID, field: str) -> Sealed | None:
        """Free text about the case, under the case's key."""
        return self.seal(plaintext, case_id=case_id, field=field, scope=case_scope(case_id))

    def seal_personal(
        self, plaintext: str | None, *, case_id: UUID, person_ref: UUID, field: str
    ) -> Sealed | None:
        """A person's details, under that person's key."""
        return self.seal(plaintext, case_id=case_id, field=field, scope=person_scope(person_ref))

    def unseal(self, sealed: Sealed, *, case_id: UUID, field: str) -> Unsealed:
        try:
            aead = self.keys.aead_for_reading(sealed.scope)
        except UnknownKey:
            raise SealBroken(sealed.scope, field, "no key was ever stored for this scope") from None
        if aead is None:
            return Erased(sealed.scope)
        nonce, ciphertext = sealed.blob[:NONCE_BYTES], sealed.blob[NONCE_BYTES:]
        try:
            plain = aead.decrypt(nonce, ciphertext, associated_data(case_id, field, sealed.scope))
        except InvalidTag:
            raise SealBroken(sealed.scope, field) from None
        return plain.decode("utf-8")
