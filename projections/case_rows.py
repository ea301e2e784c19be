"""One row per case, kept by the risk and caseload views alike: the writes and handlers they share.

Both views keep a table of cases with ``status``, ``team``, ``officer`` and ``last_version``:
every case event moves ``last_version`` on (so a replayed event changes nothing), and the
opening, assignment, closure and reopening set the same columns in both. Each view's writer
extends ``CaseRowWriter`` with its own tables and writes; each projection hands every event
it has no handler of its own for to ``case_row``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Protocol
from uuid import UUID

from ledger.events import CaseAssigned, CaseClosed, CaseEvent, CaseOpened, CaseReopened
from ledger.thresholds import Timescales
from projections.paging import uuid_in
from projections.store import Row, ViewStore
from projections.tables import Tables
from projections.view import LEDGER_NAME, View


class CaseRowTables(Tables):
    """The tables of a view with one row per case, which create themselves."""

    def statements(self, store: ViewStore, index: str) -> list[str]:
        """``CREATE ... IF NOT EXISTS`` for the tables, indexes named from ``index``."""
        raise NotImplementedError


class CaseRowsView(View):
    """A view with one row per case (risk, caseload): its tables are a ``CaseRowTables``."""

    index: ClassVar[str]
    """The prefix of the view's index names (the suffix is added)."""
    case_columns: ClassVar[str] = ""
    """The columns ``case_rows`` reads from the per-case table (the view's own list)."""
    writer_type: ClassVar[type[CaseRowWriter]]
    """The view's writes, inside its pages (``self.rows``)."""
    tables: CaseRowTables
    rows: CaseRowWriter

    def __init__(
        self,
        store: ViewStore,
        *,
        suffix: str = "",
        application_name: str = LEDGER_NAME,
        timescales: Timescales | None = None,
    ) -> None:
        self.timescales = timescales or Timescales()
        self.rows = self.writer_type(self)
        super().__init__(store, suffix=suffix, application_name=application_name)

    def table_statements(self) -> list[str]:
        return self.tables.statements(self.store, self.index + self.suffix)

    def case_rows(self, case_ids: Iterable[UUID]) -> list[Row]:
        """The per-case rows (``case_columns``) of ``case_ids`` the view holds."""
        ids = set(case_ids)
        if not ids:
            return []
        condition, param = uuid_in(self.store, "case_id", ids)
        return self.store.select(
            self.store.sql(
                f"SELECT {self.case_columns} FROM {self.rows.cases_table}"  # noqa: S608
                f" WHERE {condition}"
            ),
            (param,),
        )

    def contents(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, in key order: to compare a rebuild with the live view."""
        return self.tables.contents(self.store)


class Executes(Protocol):
    """A view with an open page to write in."""

    store: ViewStore

    def execute(self, statement: str, params: Sequence[object] = ()) -> None: ...


class CaseRowWriter(ABC):
    """Writes on a view's per-case rows, inside the view's open page.

    It reads the view's tables on every write: a switch-over re-binds the view in place."""

    updatable: ClassVar[frozenset[str]]
    """The columns ``update`` may set, besides ``last_version``."""

    def __init__(self, view: Executes) -> None:
        self.view = view

    @property
    def store(self) -> ViewStore:
        return self.view.store

    @property
    @abstractmethod
    def cases_table(self) -> str:
        """The view's table of cases, quoted."""

    @abstractmethod
    def insert_case(self, event: CaseOpened, position: int) -> None:
        """The case's row (and anything else the view keeps of an opening)."""

    def update(self, event: CaseEvent, **columns: object) -> None:
        """Sets ``columns`` and moves the version on, unless the row already has the event."""
        unknown = columns.keys() - self.updatable
        if unknown:
            raise ValueError(f"not columns of {self.cases_table}: {sorted(unknown)}")
        sets = "".join(f"{name} = ?, " for name in columns)
        self.versioned(event, sets, tuple(columns.values()))

    def versioned(self, event: CaseEvent, sets: str, params: tuple[object, ...]) -> None:
        """``UPDATE ... SET <sets>last_version`` for ``event``'s case, once."""
        self.view.execute(
            f"UPDATE {self.cases_table} SET {sets}last_version = ?"  # noqa: S608 - names from code
            " WHERE case_id = ? AND last_version < ?",
            (
                *params,
                event.originator_version,
                self.store.uuid_param(event.originator_id),
                event.originator_version,
            ),
        )


def case_row(rows: CaseRowWriter, event: object, position: int) -> None:
    """The case row's part of any event: opened, assigned, closed, reopened, or (any other
    case event) only its version moving on. Events of other streams change nothing."""
    match event:
        case CaseOpened():
            rows.insert_case(event, position)
        case CaseAssigned():
            rows.update(event, team=event.team, officer=event.officer)
        case CaseClosed():
            rows.update(event, status="closed")
        case CaseReopened():
            rows.update(event, status="open")
        case CaseEvent():
            rows.update(event)
