"""Pointing a view object at another set of its tables: its constructor, run without the database.

A switch-over must not replace the view objects that the app and its routes hold, so the
object itself changes tables. Views name their tables in ``__init__`` from ``suffix``; the
constructor is run on blank instances (``names_only``: ``View.__init__`` returns before any
database work) for the bound suffix twice and for the new one. The attributes equal in the
first two and different in the third are the ones that depend on the suffix.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from projections.store import ViewStore
    from projections.view import View

V = TypeVar("V", bound="View")
_state = threading.local()
_CREATE_TABLE = re.compile(r"\s*CREATE TABLE IF NOT EXISTS (\S+)", re.IGNORECASE)


def naming_only() -> bool:
    """True while a constructor runs only to name tables (``View.__init__`` checks it)."""
    return bool(getattr(_state, "on", False))


def names_only(kind: type[V], store: ViewStore, *, suffix: str, application_name: str) -> V:
    """An instance of ``kind`` that only names the tables of ``suffix``."""
    view = kind.__new__(kind)
    _state.on = True
    try:
        kind.__init__(view, store, suffix=suffix, application_name=application_name)
    finally:
        _state.on = False
    return view


def suffix_dependent(view: View, suffix: str) -> dict[str, object]:
    """The attributes ``view`` would have on the tables of ``suffix`` that differ now."""
    kind, store, app = type(view), view.store, view.application_name
    old = vars(names_only(kind, store, suffix=view.suffix, application_name=app))
    again = vars(names_only(kind, store, suffix=view.suffix, application_name=app))
    new = vars(names_only(kind, store, suffix=suffix, application_name=app))
    return {
        key: value
        for key, value in new.items()
        if key in old and key in again and old[key] == again[key] and old[key] != value
    }


def created_tables(statements: list[str]) -> list[str]:
    """The tables that ``CREATE TABLE IF NOT EXISTS <name> (...)`` statements create."""
    return [
        match.group(1)
        for statement in statements
        if (match := _CREATE_TABLE.match(statement)) is not None
    ]
