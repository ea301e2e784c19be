"""Every sealed field of every case event is bound to its associated-data name in
``ledger.fields.BOUND``, so that a reader of stored events (a subject access response)
unseals each one under the name it was sealed with."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterator

from ledger.fields import BOUND
from ledger.people import PersonRegistered
from ledger.type_names import kind_of, stored_types
from ledger.values import Sealed


def sealed_paths(hint: object, path: str) -> Iterator[str]:
    if hint is Sealed:
        yield path
        return
    if typing.get_origin(hint) in (types.UnionType, typing.Union, tuple, list):
        for argument in typing.get_args(hint):
            yield from sealed_paths(argument, path)
        return
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        nested = typing.get_type_hints(hint)
        for item in dataclasses.fields(hint):
            yield from sealed_paths(nested[item.name], f"{path}.{item.name}")


def test_every_sealed_field_of_a_case_event_is_bound() -> None:
    unbound = []
    for name, cls in stored_types().items():
        if not name.startswith("asb.case."):
            continue
        for field, hint in typing.get_type_hints(cls).items():
            for path in sealed_paths(hint, field):
                if path not in BOUND.get(kind_of(cls), {}):
                    unbound.append(f"{name}: {path}")
    assert unbound == []


def test_the_walk_finds_nested_and_optional_sealed_fields() -> None:
    found = {
        path
        for field, hint in typing.get_type_hints(PersonRegistered).items()
        for path in sealed_paths(hint, field)
    }
    assert found == {
        "details.name",
        "details.contact",
        "details.address",
        "details.date_of_birth",
        "vulnerability_note",
    }
