"""Rotating the master key rewraps every data key, resumably, on both stores: every case still
reads and verifies, the old key is refused, and no destroyed key comes back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

import pytest

from ledger.application import CaseLedger
from ledger.enums import ErasureReason
from ledger.errors import MasterKeyError
from ledger.keystore import KeyTable
from ledger.masterkey import next_key_path
from ledger.rotation import KeyRotation, RotationCount
from ledger.sealing import Erased, person_scope
from ledger.settings import Settings
from ledger.values import Sealed
from tests.builders import T0
from tests.integration.test_erasure import (
    DPO,
    Subjects,
    _unseal_free_text,
    _unseal_person,
    open_case,
)


class Crash(Exception):
    """Stands for the process dying between two batches."""


def crash_after(batches: int) -> Callable[[RotationCount], None]:
    def on_batch(count: RotationCount) -> None:
        nonlocal batches
        batches -= 1
        if batches == 0:
            raise Crash

    return on_batch


@pytest.fixture
def opened(ledger: CaseLedger) -> list[Subjects]:
    """Three cases (twelve data keys or so), each with a canary in every sealed field."""
    return [open_case(ledger) for _ in range(3)]


def rotation(ledger: CaseLedger, batch: int = 4) -> KeyRotation:
    return KeyRotation(ledger.keys.table, ledger.settings.master_key_path, batch=batch)


def assert_all_readable(settings: Settings, cases: list[Subjects]) -> None:
    """A process started now reads every canary and verifies every chain."""
    fresh = CaseLedger(settings)
    try:
        for subjects in cases:
            c = subjects.canaries
            assert (
                _unseal_person(fresh, subjects.case_id, subjects.victim)["name"] == c["victim.name"]
            )
            assert _unseal_free_text(fresh, subjects.case_id)["description"] == c["description"]
            assert fresh.verify_case(subjects.case_id).intact
    finally:
        fresh.close()


def wrapped_rows(table: KeyTable) -> dict[str, bytes]:
    return dict(table.key_rows("", 100_000)[0])


def test_a_rotation_rewraps_every_key_and_every_case_still_reads(
    ledger: CaseLedger, opened: list[Subjects]
) -> None:
    path = ledger.settings.master_key_path
    old_key, before = path.read_bytes(), wrapped_rows(ledger.keys.table)
    fingerprint, pseudonyms = ledger.fingerprint(b"request"), ledger.pseudonym_key("d1")

    count = rotation(ledger).run()

    after = wrapped_rows(ledger.keys.table)
    assert set(after) == set(before)
    assert count == RotationCount(total=len(before), rewrapped=len(before))
    assert all(after[scope] != before[scope] for scope in before)
    assert path.read_bytes() != old_key
    assert path.stat().st_mode & 0o777 == 0o600
    assert not next_key_path(path).exists()
    assert_all_readable(ledger.settings, opened)
    fresh = CaseLedger(ledger.settings)  # the start-up check passes on the rotated store
    try:  # what is derived from the kept keys outlives the master key
        assert fresh.fingerprint(b"request") == fingerprint
        assert fresh.pseudonym_key("d1") == pseudonyms
    finally:
        fresh.close()


def test_the_old_master_key_is_refused_afterwards(
    ledger: CaseLedger, opened: list[Subjects]
) -> None:
    path = ledger.settings.master_key_path
    old_key = path.read_bytes()
    rotation(ledger).run()
    new_key = path.read_bytes()
    path.write_bytes(old_key)
    with pytest.raises(MasterKeyError, match="does not unwrap"):
        CaseLedger(ledger.settings)
    path.write_bytes(new_key)
    assert_all_readable(ledger.settings, opened)


def test_an_interrupted_rotation_resumes_with_the_same_key_and_completes(
    ledger: CaseLedger, opened: list[Subjects]
) -> None:
    path = ledger.settings.master_key_path
    old_key, total = path.read_bytes(), ledger.keys.table.count_keys()
    with pytest.raises(Crash):
        rotation(ledger, batch=3).run(on_batch=crash_after(2))
    assert path.read_bytes() == old_key  # nothing replaced yet
    new_key = next_key_path(path).read_bytes()
    assert next_key_path(path).stat().st_mode & 0o777 == 0o600

    # A process started mid-rotation reads under either key, and what it seals now is
    # wrapped under the new one.
    assert_all_readable(ledger.settings, opened)
    started = CaseLedger(ledger.settings)
    try:
        late = open_case(started)
    finally:
        started.close()

    resumed = rotation(ledger, batch=3)
    assert resumed.resuming
    count = resumed.run()
    assert count.already >= 6  # the first two batches, at least, were not redone
    assert count.rewrapped + count.already == count.total > total
    assert path.read_bytes() == new_key
    assert not next_key_path(path).exists()
    assert_all_readable(ledger.settings, [*opened, late])


def test_a_process_started_before_the_rotation_takes_up_the_new_key(
    ledger: CaseLedger, opened: list[Subjects]
) -> None:
    running = CaseLedger(ledger.settings)  # a server that knows only the old key
    try:
        rotation(ledger).run()
        # It reads keys it never cached, wrapped under a key it was never given...
        assert_all_readable(ledger.settings, opened)
        subjects = opened[0]
        victim = _unseal_person(running, subjects.case_id, subjects.victim)
        assert victim["name"] == subjects.canaries["victim.name"]
        # ...and a key it makes now is under the new key: a process started now reads it.
        late = open_case(running)
    finally:
        running.close()
    assert_all_readable(ledger.settings, [late])


@pytest.mark.parametrize("safeguard", ["the process rewraps them", "the rotation's last walk"])
def test_keys_made_under_the_old_key_during_a_rotation_are_not_lost(
    ledger: CaseLedger, opened: list[Subjects], safeguard: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each of the two safeguards is enough alone: the process that made the keys finds
    the check scope rewrapped (``KeyStore._settle``), or the rotation walks again over
    the rows made since it began."""
    running = CaseLedger(ledger.settings)
    if safeguard == "the process rewraps them":
        monkeypatch.setattr("ledger.rotation.SWEEP_MARGIN", -timedelta(days=1))
    else:
        monkeypatch.setattr(running.keys, "_settle", lambda inserted: None)
    late: list[tuple[UUID, Sealed]] = []
    table = ledger.keys.table
    walk = table.key_rows

    def seal_after_the_walk(
        after: str, limit: int, *, since: datetime | None = None
    ) -> tuple[list[tuple[str, bytes]], str]:
        page = walk(after, limit, since=since)
        if not page[0] and since is None:  # the walk over every row has just ended
            for n in range(2):  # keys made under the old key, in a process not told yet
                sealed = running.sealer.seal_text("late", case_id=UUID(int=n), field="note")
                assert sealed is not None
                late.append((UUID(int=n), sealed))
        return page

    monkeypatch.setattr(table, "key_rows", seal_after_the_walk)
    try:
        rotation(ledger, batch=5).run()
    finally:
        running.close()
    assert len(late) == 2
    assert_all_readable(ledger.settings, opened)
    fresh = CaseLedger(ledger.settings)
    try:
        for case_id, sealed in late:
            assert fresh.sealer.unseal(sealed, case_id=case_id, field="note") == "late"
    finally:
        fresh.close()


def test_a_destroyed_key_stays_destroyed(ledger: CaseLedger, opened: list[Subjects]) -> None:
    scope = person_scope(opened[0].victim)
    ledger.destroy_key(
        scope, actor=DPO, occurred_at=T0 + timedelta(days=400), reason=ErasureReason.COURT_ORDER
    )
    rotation(ledger).run()
    assert ledger.keys.table.load_key(scope) == (True, None)
    fresh = CaseLedger(ledger.settings)
    try:
        assert _unseal_person(fresh, opened[0].case_id, opened[0].victim)["name"] == Erased(scope)
        assert fresh.verify_case(opened[0].case_id).intact
    finally:
        fresh.close()


def test_a_key_destroyed_during_the_rotation_is_not_brought_back(
    ledger: CaseLedger, opened: list[Subjects], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The DPO erases a person between the rotation's read of a batch and its update."""
    table = ledger.keys.table
    scope = person_scope(opened[1].victim)
    swap = table.swap_keys

    def destroy_first(rows: list[tuple[str, bytes, bytes]]) -> int:
        if any(row[0] == scope for row in rows):
            ledger.destroy_key(
                scope,
                actor=DPO,
                occurred_at=T0 + timedelta(days=9),
                reason=ErasureReason.COURT_ORDER,
            )
        return swap(rows)

    monkeypatch.setattr(table, "swap_keys", destroy_first)
    count = rotation(ledger).run()
    assert count.changed == 1
    assert table.load_key(scope) == (True, None)
    monkeypatch.undo()
    fresh = CaseLedger(ledger.settings)
    try:
        assert _unseal_person(fresh, opened[1].case_id, opened[1].victim)["name"] == Erased(scope)
    finally:
        fresh.close()
    assert_all_readable(ledger.settings, [opened[0], opened[2]])


def test_a_rotation_under_a_wrong_master_key_changes_nothing(
    ledger: CaseLedger, opened: list[Subjects]
) -> None:
    path = ledger.settings.master_key_path
    original, before = path.read_bytes(), wrapped_rows(ledger.keys.table)
    path.write_bytes(bytes(32))
    with pytest.raises(MasterKeyError, match="does not unwrap"):
        rotation(ledger).run()
    assert wrapped_rows(ledger.keys.table) == before
    path.write_bytes(original)
    next_key_path(path).unlink()
    assert_all_readable(ledger.settings, opened)
