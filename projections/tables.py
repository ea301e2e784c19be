"""A view's set of tables for one suffix: named once from the suffix, and swapped whole when a
rebuild switches the view over to another set (``View.tables``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Self, cast, dataclass_transform

from projections.store import ViewStore, table_contents


def table(base: str, *, key: str) -> Any:
    """A field of a ``Tables``: the table named ``base`` before the suffix, whose rows
    ``key`` (its primary key's columns) puts in order."""
    return dataclasses.field(metadata={"table": base, "key": key})


@dataclass_transform(frozen_default=True, field_specifiers=(table,))
class Tables:
    """A view's tables. Each field of a subclass (a frozen dataclass, made so here) is one
    table's name, quoted for SQL, declared with ``table(base, key=...)``: the table
    ``asb_view_risk_cases`` of the first set is ``asb_view_risk_cases_g1`` once rebuilt."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(frozen=True)(cls)

    @classmethod
    def fields(cls) -> tuple[dataclasses.Field[Any], ...]:
        """The fields of the set (a dataclass: see ``__init_subclass__``)."""
        return dataclasses.fields(cast(Any, cls))

    @classmethod
    def named(cls, store: ViewStore, suffix: str) -> Self:
        """The tables of ``suffix`` (``""``: the first set)."""
        return cls(**{f.name: store.table(f.metadata["table"] + suffix) for f in cls.fields()})

    def by_field(self) -> dict[str, str]:
        """Each field's name and its table, quoted, in declaration order."""
        return {field.name: getattr(self, field.name) for field in self.fields()}

    def owned(self) -> list[str]:
        """Every table of the set, quoted, in declaration order."""
        return list(self.by_field().values())

    def contents(self, store: ViewStore) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, by field, in key order: to compare a rebuild with the
        live view."""
        return table_contents(
            store,
            {f.name: (getattr(self, f.name), f.metadata["key"]) for f in self.fields()},
        )
