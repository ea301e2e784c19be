"""A view's set of tables for one suffix: named once from the suffix, and swapped whole when a
rebuild switches the view over to another set (``View.tables``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Self

from projections.store import ViewStore


@dataclass(frozen=True)
class Tables:
    """Each field of a subclass is one table's name, quoted for SQL; ``BASES`` gives the
    table each field names, before the suffix (``asb_view_risk_cases`` → ``..._g1``)."""

    BASES: ClassVar[Mapping[str, str]]

    @classmethod
    def named(cls, store: ViewStore, suffix: str) -> Self:
        """The tables of ``suffix`` (``""``: the first set)."""
        return cls(**{field: store.table(base + suffix) for field, base in cls.BASES.items()})

    def owned(self) -> list[str]:
        """Every table of the set, quoted, in declaration order."""
        return [getattr(self, field.name) for field in dataclasses.fields(self)]
