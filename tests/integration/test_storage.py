"""The ledger's storage behaviour, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger.application import CaseLedger
from ledger.errors import CaseNotFound, ConcurrentWrite, StaleVersion
from tests.builders import T0, CaseKit


def test_save_returns_version_and_position_and_reload_equals(ledger: CaseLedger) -> None:
    kit = CaseKit(ledger)
    case = kit.open()
    opened = ledger.save_new_case(case)
    assert (opened.version, opened.case_id) == (1, case.id)
    kit.incident(case, days=1)
    saved = ledger.save_case(case)
    assert saved.version == 2
    assert saved.position > opened.position

    loaded = ledger.get_case(case.id)
    assert loaded.state() == case.state()
    assert loaded.head_hash == case.head_hash
    assert ledger.verify_case(case.id).intact


def test_reference_is_human_readable_and_found(ledger: CaseLedger) -> None:
    case = CaseKit(ledger).open()
    ledger.save_new_case(case)
    assert case.reference == "ASB-2026-000001"
    assert ledger.find_case_id(case.reference) == case.id
    assert ledger.find_case_id("ASB-2026-999999") is None


def test_expected_version_mismatch_is_stale(ledger: CaseLedger) -> None:
    kit = CaseKit(ledger)
    case = kit.open()
    ledger.save_new_case(case)
    with pytest.raises(StaleVersion) as raised:
        ledger.get_case(case.id, expected_version=3)
    assert raised.value.current == 1


def test_unknown_case_is_not_found(ledger: CaseLedger) -> None:
    with pytest.raises(CaseNotFound):
        ledger.get_case(CaseLedger.new_case_id())


def test_second_writer_of_same_version_conflicts_and_loses_nothing(ledger: CaseLedger) -> None:
    kit = CaseKit(ledger)
    case = kit.open()
    ledger.save_new_case(case)
    first, second = ledger.get_case(case.id), ledger.get_case(case.id)
    kit.incident(first, days=1)
    kit.incident(second, days=2)
    ledger.save_case(first)
    with pytest.raises(ConcurrentWrite):
        ledger.save_case(second)
    stored = ledger.get_case(case.id)
    assert stored.version == 2
    assert list(stored.incidents) == list(first.incidents)
    assert ledger.verify_case(case.id).intact


def test_times_are_kept_exactly(ledger: CaseLedger) -> None:
    kit = CaseKit(ledger)
    case = kit.open(when=T0 + timedelta(microseconds=123456))
    ledger.save_new_case(case)
    assert ledger.get_case(case.id).received_at == case.received_at


def test_preparing_an_opening_reserves_a_reference_and_the_keys(ledger: CaseLedger) -> None:
    from uuid import uuid4

    from ledger.sealing import case_scope, person_scope

    case_id, known, new = ledger.new_case_id(), uuid4(), uuid4()
    earlier = ledger.sealer.seal_personal(
        "Known Person", case_id=case_id, person_ref=known, field="name"
    )
    assert earlier is not None
    reference = ledger.prepare_opening(case_id, [known, new], T0)
    assert reference == "ASB-2026-000001"
    assert ledger.prepare_opening(ledger.new_case_id(), [], T0) == "ASB-2026-000002"
    for scope in (case_scope(case_id), person_scope(new), person_scope(known)):
        assert ledger.keys.table.load_key(scope)[1] is not None
    # A person already keyed keeps their key: what was sealed before still opens.
    fresh = CaseLedger(ledger.settings)
    try:
        assert fresh.sealer.unseal(earlier, case_id=case_id, field="name") == "Known Person"
    finally:
        fresh.close()


def test_a_missing_or_wrong_master_key_stops_the_ledger(ledger: CaseLedger) -> None:
    from ledger.errors import MasterKeyError

    ledger.save_new_case(CaseKit(ledger).open())
    path = ledger.settings.master_key_path
    original = path.read_bytes()
    path.unlink()
    with pytest.raises(MasterKeyError, match="missing"):
        CaseLedger(ledger.settings)
    assert not path.exists()
    path.write_bytes(bytes(32))
    with pytest.raises(MasterKeyError, match="does not unwrap"):
        CaseLedger(ledger.settings)
    path.write_bytes(original)
    CaseLedger(ledger.settings).close()


def test_a_save_with_nothing_new_is_refused_not_reported_as_saved(ledger: CaseLedger) -> None:
    from ledger.errors import NothingToSave

    kit = CaseKit(ledger)
    case = kit.open()
    ledger.save_new_case(case)
    first, second = ledger.get_case(case.id), ledger.get_case(case.id)
    kit.incident(first)
    kit.incident(second)
    ledger.save_case(first)
    with pytest.raises(ConcurrentWrite):
        ledger.save_case(second)
    with pytest.raises(NothingToSave):
        ledger.save_case(second)


def test_the_first_openings_of_a_year_race_safely(ledger: CaseLedger) -> None:
    """Openings in a year with no reference yet create its counter (a PostgreSQL sequence)
    at the same moment; the loser of that race must still get a number, not an error."""
    import threading
    from datetime import UTC, datetime
    from uuid import uuid4

    barrier = threading.Barrier(8)
    references: list[str] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        barrier.wait()
        try:
            references.append(
                ledger.prepare_opening(uuid4(), [uuid4()], datetime(2031, 1, 2, tzinfo=UTC))
            )
        except BaseException as error:  # collected to fail the test below
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(references) == [f"ASB-2031-{n:06d}" for n in range(1, 9)]
