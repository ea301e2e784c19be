"""Stable, versioned type names for every class the ledger stores: the stored contract.

Each stored event class and aggregate class declares its name with ``@stored_as``, for
example ``@stored_as("asb.case.IncidentRecorded.v1")``, as Eventuous's ``[EventType]`` does.
The stored topic and the hash commitment use that name and nothing derived from a module
path, so a class can move to another module, or be renamed, without touching a stored byte.
A changed meaning is a new name (``.v2``), never an edited class.

A name is ``asb.<stream>.<Type>.v<n>``: ``<stream>`` is the kind of stream it is stored in
(``case``, ``access``, ``idempotency``, ``reference``, ``erasure``). The registry refuses a
second class for a name and a second name for a class; decoding resolves a stored topic
through it alone, so a row naming anything else is unreadable rather than imported.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TypeVar

from eventsourcing.utils import TopicError, register_topic

T = TypeVar("T", bound=type)

NAME = re.compile(r"^asb\.[a-z][a-z_]*\.[A-Z][A-Za-z0-9]*\.v[1-9][0-9]*$")
"""``asb.<stream>.<Type>.v<n>``."""

_lock = threading.Lock()
_by_name: dict[str, type] = {}
_by_class: dict[type, str] = {}


class TypeNameError(TypeError):
    """A stored class without a name, a malformed name, or a name given twice."""


class UnknownTypeName(TopicError):
    """A stored row names no registered type: it is unreadable (never imported by path)."""


def stored_as(name: str) -> Callable[[T], T]:
    """Declares ``name`` as the class's stored type name and registers it.

    The ``eventsourcing`` library names a class by its ``TOPIC`` attribute, so this sets
    ``TOPIC`` and registers the name with the library too: every topic the library writes
    (a row's topic, a created event's ``originator_topic``) is then this name.
    """
    if not NAME.match(name):
        raise TypeNameError(f"{name!r} is not a stored type name (asb.<stream>.<Type>.v<n>)")

    def register(cls: T) -> T:
        with _lock:
            holder = _by_name.get(name)
            if holder is not None and holder is not cls:
                raise TypeNameError(f"{name!r} already names {holder.__qualname__}")
            given = _by_class.get(cls)
            if given is not None and given != name:
                raise TypeNameError(f"{cls.__qualname__} is already stored as {given!r}")
            setattr(cls, "TOPIC", name)  # noqa: B010 - the library reads it by this name
            register_topic(name, cls)
            _by_name[name] = cls
            _by_class[cls] = name
        return cls

    return register


def type_name(cls: type) -> str:
    """The stored type name ``cls`` declares (never one it inherits)."""
    try:
        return _by_class[cls]
    except KeyError:
        raise TypeNameError(f"{cls.__qualname__} declares no stored type name") from None


def kind_of(cls: type) -> str:
    """The event's kind as readers are shown it: its stored name's ``<Type>``, the same in
    every version (``PoliceReferralMade`` for ``asb.case.PoliceReferralMade.v2``)."""
    return type_name(cls).split(".")[2]


def stored_class(name: str) -> type:
    """The class a stored topic names; ``UnknownTypeName`` for anything unregistered."""
    try:
        return _by_name[name]
    except KeyError:
        raise UnknownTypeName(f"no stored type is named {name!r}") from None


def stored_types() -> Mapping[str, type]:
    """Every registered name and its class (a read-only view)."""
    return MappingProxyType(_by_name)
