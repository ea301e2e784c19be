"""Sealing binds each ciphertext to its case, field and key scope; erased keys read as erased."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from uuid import uuid4

import pytest

from ledger.errors import SealBroken
from ledger.keystore import KeyStore, MemoryKeyTable
from ledger.masterkey import load_or_create_master_key
from ledger.sealing import Erased, Sealer, case_scope, person_scope


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(KeyStore(MemoryKeyTable(), bytes(range(32))))


def test_round_trip_and_fresh_nonce(sealer: Sealer) -> None:
    case = uuid4()
    first = sealer.seal_text("Flat 2", case_id=case, field="location")
    second = sealer.seal_text("Flat 2", case_id=case, field="location")
    assert first is not None
    assert second is not None
    assert first.blob != second.blob
    assert first.scope == case_scope(case)
    assert b"Flat 2" not in first.blob
    assert sealer.unseal(first, case_id=case, field="location") == "Flat 2"


def test_blank_text_seals_to_none(sealer: Sealer) -> None:
    assert sealer.seal_text("   ", case_id=uuid4(), field="note") is None
    assert sealer.seal_text(None, case_id=uuid4(), field="note") is None


@pytest.mark.parametrize("moved", ["case", "field"])
def test_a_ciphertext_moved_elsewhere_fails(sealer: Sealer, moved: str) -> None:
    case, person = uuid4(), uuid4()
    sealed = sealer.seal_personal("Jo", case_id=case, person_ref=person, field="name")
    assert sealed is not None
    with pytest.raises(SealBroken):
        sealer.unseal(
            sealed,
            case_id=uuid4() if moved == "case" else case,
            field="address" if moved == "field" else "name",
        )


def test_a_ciphertext_relabelled_to_another_scope_fails(sealer: Sealer) -> None:
    case, person, other = uuid4(), uuid4(), uuid4()
    sealed = sealer.seal_personal("Jo", case_id=case, person_ref=person, field="name")
    sealer.seal_personal("Al", case_id=case, person_ref=other, field="name")
    assert sealed is not None
    with pytest.raises(SealBroken):
        sealer.unseal(replace(sealed, scope=person_scope(other)), case_id=case, field="name")


def test_a_destroyed_key_reads_as_erased(sealer: Sealer) -> None:
    case, person = uuid4(), uuid4()
    sealed = sealer.seal_personal("Jo", case_id=case, person_ref=person, field="name")
    kept = sealer.seal_text("kept", case_id=case, field="note")
    assert sealed is not None
    assert kept is not None
    assert sealer.keys.destroy(person_scope(person))
    assert not sealer.keys.destroy(person_scope(person))
    assert sealer.unseal(sealed, case_id=case, field="name") == Erased(person_scope(person))
    assert str(Erased(person_scope(person))) == "[erased]"
    assert sealer.unseal(kept, case_id=case, field="note") == "kept"


def test_master_key_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "master.key"
    key = load_or_create_master_key(path)
    assert len(key) == 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_master_key(path) == key


def test_a_wrong_master_key_cannot_unwrap(tmp_path: Path) -> None:
    table = MemoryKeyTable()
    KeyStore(table, bytes(32)).key_for_sealing("case:x")
    from ledger.errors import MasterKeyError

    with pytest.raises(MasterKeyError):
        KeyStore(table, bytes(range(32))).aead_for_reading("case:x")
