"""The caseload view's retention rows: each case's category, closure date and retention's end.

``asb_view_caseload_retention`` has one row per case (written at its opening): its
reference and category, and once closed, the council's date of the closure (``closed_on``)
and the first day it may be erased (``due_on``, from ``ASB_RETENTION_*``: a changed setting
needs a rebuild of the view); a reopening clears both, and a retention erasure's record sets
``erased_on``. Updates are guarded by the case's version (``erased_on`` is set once), so an
event delivered twice changes nothing. References, codes and dates only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from ledger.enums import Category
from ledger.events import CaseClosed, CaseReopened
from projections.caseload.store import CaseloadTables, CaseloadWriter
from projections.paging import uuid_in
from projections.store import ViewStore


@dataclass(frozen=True, kw_only=True)
class RetentionRow:
    """A closed case as the view holds it for retention."""

    case_id: UUID
    reference: str
    category: Category
    closed_on: date
    due_on: date


def closed(
    rows: CaseloadWriter, event: CaseClosed, closed_on: date, due_on: Mapping[Category, date]
) -> None:
    """A closure's date, and the date its retention ends for the case's category
    (``due_on``: for each category, so the row's own category picks), once."""
    whens = " ".join(f"WHEN '{category.value}' THEN ?" for category in due_on)
    rows.view.execute(
        f"UPDATE {rows.t.retention} SET closed_on = ?,"  # noqa: S608 - names and codes from code
        f" due_on = CASE category {whens} END, last_version = ?"
        " WHERE case_id = ? AND last_version < ?",
        (
            closed_on.isoformat(),
            *(due.isoformat() for due in due_on.values()),
            event.originator_version,
            rows.store.uuid_param(event.originator_id),
            event.originator_version,
        ),
    )


def reopened(rows: CaseloadWriter, event: CaseReopened) -> None:
    """A reopened case is kept again: no closure date, no due date."""
    rows.view.execute(
        f"UPDATE {rows.t.retention} SET closed_on = NULL, due_on = NULL,"  # noqa: S608
        " last_version = ? WHERE case_id = ? AND last_version < ?",
        (
            event.originator_version,
            rows.store.uuid_param(event.originator_id),
            event.originator_version,
        ),
    )


def erased(rows: CaseloadWriter, case_id: UUID, erased_on: date) -> None:
    """The case was erased for retention (on its record's date), once."""
    rows.view.execute(
        f"UPDATE {rows.t.retention} SET erased_on = ?"  # noqa: S608
        " WHERE case_id = ? AND erased_on IS NULL",
        (erased_on.isoformat(), rows.store.uuid_param(case_id)),
    )


def due(store: ViewStore, tables: CaseloadTables, today: date) -> list[RetentionRow]:
    """The closed cases not yet erased whose retention ended on or before ``today``, the
    longest overdue first."""
    found = store.select(
        store.sql(
            "SELECT case_id, reference, category, closed_on, due_on"  # noqa: S608
            f" FROM {tables.retention} WHERE due_on <= ? AND erased_on IS NULL"
            " ORDER BY due_on, reference"
        ),
        (today.isoformat(),),
    )
    return [
        RetentionRow(
            case_id=store.uuid_value(case_id),
            reference=str(reference),
            category=Category(category),
            closed_on=date.fromisoformat(str(closed_on)),
            due_on=date.fromisoformat(str(due_on)),
        )
        for case_id, reference, category, closed_on, due_on in found
    ]


def people_of(
    store: ViewStore, tables: CaseloadTables, case_ids: Iterable[UUID]
) -> dict[UUID, set[UUID]]:
    """The person references on each of ``case_ids`` (any role)."""
    return _pairs(store, tables, "case_id", "person_ref", case_ids)


def cases_of(
    store: ViewStore, tables: CaseloadTables, person_refs: Iterable[UUID]
) -> dict[UUID, set[UUID]]:
    """The cases each of ``person_refs`` is on (as that reference: merges are the caller's)."""
    return _pairs(store, tables, "person_ref", "case_id", person_refs)


def _pairs(
    store: ViewStore, tables: CaseloadTables, by: str, other: str, ids: Iterable[UUID]
) -> dict[UUID, set[UUID]]:
    wanted = set(ids)
    out: dict[UUID, set[UUID]] = defaultdict(set)
    if not wanted:
        return out
    condition, param = uuid_in(store, by, wanted)
    for key, value in store.select(
        store.sql(f"SELECT {by}, {other} FROM {tables.people} WHERE {condition}"),  # noqa: S608
        (param,),
    ):
        out[store.uuid_value(key)].add(store.uuid_value(value))
    return out


class RetentionQueries:
    """The caseload view's questions about retention (mixed into ``Caseload``)."""

    store: ViewStore
    tables: CaseloadTables

    def retention_due(self, today: date) -> list[RetentionRow]:
        """The closed cases not yet erased whose retention ended by ``today``."""
        return due(self.store, self.tables, today)

    def people_of(self, case_ids: Iterable[UUID]) -> dict[UUID, set[UUID]]:
        """The person references on each case (any role, as linked)."""
        return people_of(self.store, self.tables, case_ids)

    def cases_of(self, person_refs: Iterable[UUID]) -> set[UUID]:
        """Every case any of ``person_refs`` is on."""
        return set().union(*cases_of(self.store, self.tables, person_refs).values())
