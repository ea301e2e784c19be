"""The retention sweep on both stores, at a frozen moment: exactly the closed cases past
retention are erased (their key, and the keys of people on no other case still kept); held
ones are skipped and named (a case, a person or a category held); a second run does nothing;
a run that stopped half way is completed by the next; and every chain still verifies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from ledger import fields
from ledger.application import CaseLedger
from ledger.enums import Category, ErasureReason, HoldLiftReason
from ledger.erasure import KeyErasure, erasure_id
from ledger.holds import HoldScope
from ledger.retention import CaseErasure
from ledger.sealing import Erased, case_scope, person_scope
from projections.caseload.retention import RetentionRow
from tests.integration.retention_steps import DPO, Council, council

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 10, 0, tzinfo=UTC)


@pytest.fixture
def town(ledger: CaseLedger) -> Iterator[Council]:
    with council(ledger) as found:
        yield found


def erased(ledger: CaseLedger, scope: str) -> bool:
    exists, wrapped = ledger.keys.table.load_key(scope)
    assert exists, f"{scope} was never keyed"
    return wrapped is None


def description(ledger: CaseLedger, case_id: UUID) -> Any:
    case = ledger.get_case(case_id)
    return ledger.sealer.unseal(case.description, case_id=case_id, field=fields.CASE_DESCRIPTION)


def test_exactly_the_cases_past_retention_are_erased(town: Council) -> None:
    ledger = town.ledger
    alone, shared, both = uuid4(), uuid4(), uuid4()
    long_ago = town.case(at(2018, 1, 10), victims=(alone, shared, both))
    today = town.case(at(2019, 6, 2), victims=(both,))  # due on 2 June 2025: today
    tomorrow = town.case(at(2019, 6, 3), victims=(shared,))
    nuisance = town.case(at(2016, 1, 10), category=Category.NUISANCE)  # ten years
    still_open = town.case(None)

    sweep = town.sweep(NOW)
    listed = [due.row for due in sweep.due()]
    assert [row.case_id for row in listed] == [long_ago, today]
    assert [(str(r.closed_on), str(r.due_on)) for r in listed] == [
        ("2018-01-10", "2024-01-10"),
        ("2019-06-02", "2025-06-02"),
    ]
    outcomes = {o.case_id: o for o in sweep.apply(listed)}

    assert {o.status for o in outcomes.values()} == {"erased"}
    first = outcomes[long_ago]
    assert set(first.kept) == {shared, both}  # on a case kept, or not yet gone
    assert person_scope(alone) in first.scopes
    assert person_scope(both) in outcomes[today].scopes  # its last case has gone
    for scope in (case_scope(long_ago), case_scope(today), person_scope(alone)):
        assert erased(ledger, scope)
    for scope in (
        person_scope(both),
        case_scope(tomorrow),
        case_scope(nuisance),
        case_scope(still_open),
    ):
        assert erased(ledger, scope) is (scope == person_scope(both))
    assert not erased(ledger, person_scope(shared))
    assert isinstance(description(ledger, long_ago), Erased)
    assert description(ledger, tomorrow) == "Fictional: music at night"

    record = ledger.case_erasure(long_ago)
    assert isinstance(record, CaseErasure)
    assert (record.reference, record.category, str(record.due_on)) == (
        first.reference,
        Category.PERSONAL,
        "2024-01-10",
    )
    assert record.scopes[0] == case_scope(long_ago)
    assert record.actor == DPO
    assert all(verdict.intact for verdict in ledger.verify_all())


def test_a_second_run_does_nothing(town: Council) -> None:
    ledger = town.ledger
    case_id = town.case(at(2018, 1, 10))
    assert [o.status for o in town.apply(NOW).values()] == ["erased"]
    head = ledger.recorder.max_notification_id()

    assert town.apply(NOW) == {}  # the view knows it is erased: nothing is listed
    sweep = town.sweep(NOW)
    again = sweep.apply(_rows(case_id))
    assert [o.status for o in again] == ["already"]  # asked anyway, the ledger says so
    assert ledger.recorder.max_notification_id() == head


def _rows(case_id: UUID) -> list[RetentionRow]:
    """The retention row of a case, erased or not (what a lagging view would list)."""
    return [
        RetentionRow(
            case_id=case_id,
            reference="",
            category=Category.PERSONAL,
            closed_on=NOW.date(),
            due_on=NOW.date(),
        )
    ]


def test_held_cases_are_skipped_and_named_until_the_hold_is_lifted(town: Council) -> None:
    ledger = town.ledger
    held_person = uuid4()
    by_case = town.case(at(2018, 1, 10))
    by_person = town.case(at(2018, 1, 11), victims=(held_person,))
    by_category = town.case(at(2014, 1, 12), category=Category.NUISANCE)
    free = town.case(at(2018, 1, 13))
    on_case = town.hold(HoldScope(case_id=by_case))
    on_person = town.hold(HoldScope(person_ref=held_person))
    on_category = town.hold(HoldScope(category=Category.NUISANCE))

    listed = {due.row.case_id: [h.hold_id for h in due.holds] for due in town.sweep(NOW).due()}
    assert listed == {
        by_case: [on_case],
        by_person: [on_person],
        by_category: [on_category],
        free: [],
    }
    outcomes = town.apply(NOW)
    assert {case_id: o.status for case_id, o in outcomes.items()} == {
        by_case: "held",
        by_person: "held",
        by_category: "held",
        free: "erased",
    }
    assert str(on_person) in outcomes[by_person].detail
    for case_id in (by_case, by_person, by_category):
        assert not erased(ledger, case_scope(case_id))
        assert ledger.case_erasure(case_id) is None
    assert not erased(ledger, person_scope(held_person))

    ledger.holds.lift(
        on_case, actor=DPO, occurred_at=datetime.now(UTC), reason=HoldLiftReason.CONCLUDED
    )
    again = town.apply(NOW)
    assert {case_id: o.status for case_id, o in again.items()} == {
        by_case: "erased",
        by_person: "held",
        by_category: "held",
    }


def test_an_interrupted_sweep_is_completed_by_the_next(
    town: Council, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = town.ledger
    first, second, third = (town.case(at(2018, 1, day)) for day in (10, 11, 12))
    original = ledger.keys.destroy
    calls: list[str] = []

    def crash_after_the_case_key(scope: str) -> bool:
        calls.append(scope)
        if scope.startswith("person:") and calls[-2] == case_scope(second):
            raise RuntimeError("the machine stopped")
        return original(scope)

    monkeypatch.setattr(ledger.keys, "destroy", crash_after_the_case_key)
    with pytest.raises(RuntimeError):
        town.apply(NOW)
    monkeypatch.undo()
    assert ledger.case_erasure(first) is not None
    assert erased(ledger, case_scope(second))
    assert ledger.case_erasure(second) is None  # begun, not recorded
    assert not erased(ledger, case_scope(third))

    resumed = town.apply(NOW)
    assert {case_id: o.status for case_id, o in resumed.items()} == {
        second: "completed",
        third: "erased",
    }
    record = ledger.case_erasure(second)
    assert record is not None
    assert all(erased(ledger, scope) for scope in record.scopes)
    assert town.apply(NOW) == {}


def test_a_sweep_stopped_before_its_record_completes_it_though_a_hold_came(
    town: Council, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = town.ledger
    case_id = town.case(at(2018, 1, 10))
    original = CaseLedger.save

    def fail_the_record(self: CaseLedger, *objs: Any, **kwargs: Any) -> Any:
        if any(isinstance(o, CaseErasure) for o in objs):
            raise RuntimeError("the machine stopped")
        return original(self, *objs, **kwargs)

    monkeypatch.setattr(CaseLedger, "save", fail_the_record)
    with pytest.raises(RuntimeError):
        town.apply(NOW)
    monkeypatch.undo()
    assert erased(ledger, case_scope(case_id))
    town.hold(HoldScope(case_id=case_id))  # too late: what it would keep is gone

    (outcome,) = town.apply(NOW).values()
    assert outcome.status == "completed"
    record = ledger.case_erasure(case_id)
    assert record is not None
    assert record.scopes == outcome.scopes
    assert all(verdict.intact for verdict in ledger.verify_all())


def test_retention_ground_is_recorded_for_each_key(town: Council) -> None:
    ledger = town.ledger
    case_id = town.case(at(2018, 1, 10))
    town.apply(NOW)
    record: Any = ledger.repository.get(erasure_id(case_scope(case_id)))
    assert isinstance(record, KeyErasure)
    assert record.reason is ErasureReason.RETENTION_EXPIRED


def test_an_open_subject_access_request_holds_its_persons_cases(town: Council) -> None:
    """DPA 2018 s173: while a request about a person is open, the sweep skips every case they
    are on (``retention.open_sar``); once it is closed, the case goes."""
    from commands import progress_sar, request_sar
    from ledger.enums import HoldKind, SarClosure, SarRequester

    ledger = town.ledger
    asker = uuid4()
    theirs = town.case(at(2018, 1, 10), victims=(asker,))
    other = town.case(at(2018, 1, 11))
    sar_id = uuid4()
    request_sar.handle(
        request_sar.RequestSar(
            actor=DPO,
            occurred_at=NOW,
            sar_id=sar_id,
            person_ref=asker,
            requester=SarRequester.DATA_SUBJECT,
            representative_ref=None,
            received_on=NOW.date(),
            identity_checked_on=NOW.date(),
            asks_for=(),
        ),
        ledger,
    )
    listed = {due.row.case_id: due.holds for due in town.sweep(NOW).due()}
    (cover,) = listed[theirs]
    assert (cover.kind, cover.hold_id) == (HoldKind.SUBJECT_ACCESS_REQUEST, sar_id)
    assert not listed[other]
    outcomes = town.apply(NOW)
    assert (outcomes[theirs].status, outcomes[other].status) == ("held", "erased")
    assert str(sar_id) in outcomes[theirs].detail
    assert not erased(ledger, case_scope(theirs))
    assert not erased(ledger, person_scope(asker))

    progress_sar.handle(
        progress_sar.CloseSar(
            actor=DPO, occurred_at=NOW, sar_id=sar_id, closure=SarClosure.WITHDRAWN
        ),
        ledger,
    )
    assert ledger.holds.covering(persons=[asker]) == []
    assert town.apply(NOW)[theirs].status == "erased"
    assert erased(ledger, person_scope(asker))
