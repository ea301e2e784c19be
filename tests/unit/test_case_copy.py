"""A copied case is equal to the original and shares nothing that can change."""

from __future__ import annotations

import copy
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from typing import Any

from api.demo import load_demo
from ledger.application import CaseLedger


def _walk(value: Any) -> Any:
    yield value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(key)
            yield from _walk(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _walk(item)
    elif is_dataclass(value) and not isinstance(value, type):
        for item in fields(value):
            yield from _walk(getattr(value, item.name))


def _changeable(value: Any) -> bool:
    """A container, or a record that is not frozen."""
    if isinstance(value, dict | list | set):
        return True
    params = getattr(type(value), "__dataclass_params__", None)
    return params is not None and not params.frozen


def test_frozen_records_hold_no_containers(memory_ledger: CaseLedger) -> None:
    """The fast copy shares frozen records; that is safe only if they hold values."""
    for case in load_demo(memory_ledger, datetime(2026, 3, 2, tzinfo=UTC)):
        for found in _walk(case.state()):
            if is_dataclass(found) and not _changeable(found):
                for inner in list(_walk(found))[1:]:
                    assert not isinstance(inner, dict | list | set), (type(found), inner)


def test_a_copy_equals_the_original_and_shares_no_container(memory_ledger: CaseLedger) -> None:
    for case in load_demo(memory_ledger, datetime(2026, 3, 2, tzinfo=UTC)):
        twin = copy.deepcopy(case)
        assert twin is not case
        assert twin.state() == case.state()
        assert (twin.id, twin.version, twin.head_hash) == (case.id, case.version, case.head_hash)
        # Both states are held, so no id below can be reused while the sets are compared.
        held = (case.state(), twin.state())
        mine = [v for v in _walk(held[0]) if _changeable(v)]
        theirs = {id(v) for v in _walk(held[1]) if _changeable(v)}
        assert mine
        assert not [v for v in mine if id(v) in theirs]
