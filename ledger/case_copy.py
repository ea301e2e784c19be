"""Copying a Case cheaply: the server copies a cached case on every request.

The generic ``copy.deepcopy`` of a 32-event case took ~0.5 ms; this takes ~0.03 ms by sharing
what cannot change (strings, numbers, UUIDs, times, enums, sealed fields, frozen records)
and copying every container and mutable record.
"""

from __future__ import annotations

import copy
from dataclasses import is_dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

T = TypeVar("T")

_IMMUTABLE = (str, int, float, bool, type(None), bytes, UUID, datetime, date, Enum, frozenset)
_FROZEN: dict[type, bool] = {}


def copy_case(case: T, memo: dict[int, Any]) -> T:
    """A copy of an aggregate whose mutation never reaches the original."""
    twin = object.__new__(type(case))
    memo[id(case)] = twin
    vars(twin).update({name: _copy(value, memo) for name, value in vars(case).items()})
    return twin


def _copy(value: Any, memo: dict[int, Any]) -> Any:
    if isinstance(value, _IMMUTABLE):
        return value
    if isinstance(value, dict):
        return {key: _copy(item, memo) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item, memo) for item in value]
    if isinstance(value, set):
        return {_copy(item, memo) for item in value}
    if isinstance(value, tuple):
        return tuple(_copy(item, memo) for item in value)
    kind = type(value)
    frozen = _FROZEN.get(kind)
    if frozen is None and is_dataclass(value):
        frozen = _FROZEN[kind] = kind.__dataclass_params__.frozen
    if frozen:
        return value  # a frozen record of values (the copy tests check none holds a container)
    if frozen is False:
        twin = object.__new__(kind)
        vars(twin).update({name: _copy(item, memo) for name, item in vars(value).items()})
        return twin
    return copy.deepcopy(value, memo)
