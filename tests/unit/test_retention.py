"""Retention periods and the check of what holds cover: pure values, no store."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from pydantic import ValidationError

from ledger.enums import Category, HoldKind
from ledger.holds import Cover, HoldScope, covering
from ledger.settings import Retention


def test_a_case_is_kept_six_years_from_its_closure_by_default() -> None:
    retention = Retention.model_construct()
    assert retention.years == 6
    assert retention.due_on(Category.PERSONAL, date(2020, 3, 2)) == date(2026, 3, 2)


def test_a_29_february_closure_falls_due_on_1_march() -> None:
    retention = Retention(years=6)
    assert retention.due_on(Category.NUISANCE, date(2020, 2, 29)) == date(2026, 3, 1)
    assert Retention(years=4).due_on(Category.NUISANCE, date(2020, 2, 29)) == date(2024, 2, 29)


def test_a_category_may_have_its_own_period(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASB_RETENTION_YEARS", "5")
    monkeypatch.setenv("ASB_RETENTION_BY_CATEGORY", '{"environmental": 10}')
    retention = Retention()
    assert retention.years_for(Category.ENVIRONMENTAL) == 10
    assert retention.years_for(Category.PERSONAL) == 5
    assert retention.due_on(Category.ENVIRONMENTAL, date(2020, 1, 31)) == date(2030, 1, 31)


@pytest.mark.parametrize("mapping", ['{"personal": 0}', '{"unknown": 6}', '["personal"]'])
def test_a_period_that_makes_no_sense_is_refused(
    monkeypatch: pytest.MonkeyPatch, mapping: str
) -> None:
    monkeypatch.setenv("ASB_RETENTION_BY_CATEGORY", mapping)
    with pytest.raises(ValidationError):
        Retention()


def test_a_scope_is_exactly_one_thing() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        HoldScope()
    with pytest.raises(ValueError, match="exactly one"):
        HoldScope(case_id=uuid4(), category=Category.PERSONAL)
    assert HoldScope(category=Category.PERSONAL).describe() == "category personal"


def test_covering_names_each_hold_that_covers_what_was_asked_about() -> None:
    case, person, other = uuid4(), uuid4(), uuid4()
    on_case = Cover(HoldKind.LEGAL_HOLD, uuid4(), "litigation", HoldScope(case_id=case))
    on_person = Cover(HoldKind.LEGAL_HOLD, uuid4(), "complaint", HoldScope(person_ref=person))
    on_category = Cover(
        HoldKind.LEGAL_HOLD, uuid4(), "public_inquiry", HoldScope(category=Category.NUISANCE)
    )
    active = [on_case, on_person, on_category]
    assert covering(active, cases=[other], persons=[other]) == []
    assert covering(active, cases=[case]) == [on_case]
    assert covering(active, persons=[other, person]) == [on_person]
    assert covering(active, categories=[Category.NUISANCE]) == [on_category]
    both = covering(active, cases=[case], categories=[Category.NUISANCE])
    assert both == sorted([on_case, on_category], key=lambda c: str(c.hold_id))
    assert on_person.describe() == f"legal_hold {on_person.hold_id} (complaint) on person {person}"
