"""The case directory's writes for one page, folded to one row per case.

A page of catch-up holds most of a case's events (its opening, assignment, assessment,
closure...), and each used to cost a statement of its own. Here the page keeps, per case,
its opening (if the page has it), the highest version and its time, and for each column
the value of the highest-versioned event that set it. At the end of the page:
- the cases opened in it go as multi-row ``INSERT ... ON CONFLICT (case_id) DO NOTHING``,
  carrying every column as the page leaves it;
- the shares, once each, as multi-row ``INSERT ... ON CONFLICT DO NOTHING``;
- every case with events after its opening gets one ``UPDATE`` (one ``executemany`` per
  set of columns), each column under its own guard:
  ``col = CASE WHEN last_version < <version that set col> THEN <value> ELSE col END``,
  the row moving on only if ``last_version < <highest version>``. Every ``SET`` reads the
  row as it was, so this is exactly the events applied one by one in version order, each
  guarded by the row's version. For a case just inserted it changes nothing; it matters
  when the row was already there (a page applied again without its tracking).
Nothing is written until the page ends; a page that fails drops all of it with the
transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from uuid import UUID

COLUMNS = (
    "case_id, reference, status, team, officer, lead_department, category, risk_level,"
    " received_at, opened_position, last_version, last_event_at"
)
UPDATABLE = ("status", "team", "officer", "risk_level")
"""The columns later events set, in the order the statements name them."""
ROWS_PER_INSERT = 250


@dataclass(slots=True)
class _Case:
    opening: tuple[object, ...] | None = None
    """(reference, lead department, category, received, position) of an opening in the page."""
    opened_version: int = 0
    version: int = 0
    at: datetime | None = None
    sets: dict[str, tuple[int, object]] = field(default_factory=dict)
    """Per column: the version of the latest event that set it, and its value."""


class PageWrites:
    """What one page writes to the directory, per case; ``param`` and ``time`` turn ids and
    times into the store's parameters (once per case, when the page ends)."""

    def __init__(self, param: Callable[[UUID], object], time: Callable[[datetime], object]) -> None:
        self.param = param
        self.time = time
        self.cases: dict[UUID, _Case] = {}
        self.shares: dict[tuple[UUID, str], None] = {}

    def opened(self, case: UUID, version: int, at: datetime, opening: tuple[object, ...]) -> None:
        entry = self._moved(case, version, at)
        if entry.opening is None:
            entry.opening, entry.opened_version = opening, version

    def update(self, case: UUID, version: int, at: datetime, columns: Mapping[str, object]) -> None:
        entry = self._moved(case, version, at)
        sets = entry.sets
        for column, value in columns.items():
            found = sets.get(column)
            if found is None or found[0] < version:
                sets[column] = (version, value)

    def share(self, case: UUID, organisation: str) -> None:
        self.shares[case, organisation] = None

    def _moved(self, case: UUID, version: int, at: datetime) -> _Case:
        entry = self.cases.get(case)
        if entry is None:
            entry = self.cases[case] = _Case()
        if version > entry.version:
            entry.version, entry.at = version, at
        return entry

    # -------------------------------------------------------------- statements

    def inserts(self, rows_table: str, shares_table: str) -> Iterator[tuple[str, list[object]]]:
        """Multi-row inserts: the cases opened in the page, then the shares."""
        param, time = self.param, self.time
        new: list[tuple[object, ...]] = []
        for case, entry in self.cases.items():
            if entry.opening is None or entry.at is None:
                continue
            reference, department, category, received, position = entry.opening
            value = {column: found[1] for column, found in entry.sets.items()}
            new.append(
                (
                    param(case),
                    reference,
                    value.get("status", "open"),
                    value.get("team"),
                    value.get("officer"),
                    department,
                    category,
                    value.get("risk_level"),
                    received,
                    position,
                    entry.version,
                    time(entry.at),
                )
            )
        yield from _chunks(rows_table, COLUMNS, "(case_id)", new)
        shares = [(param(case), organisation) for case, organisation in self.shares]
        yield from _chunks(shares_table, "case_id, organisation", "", shares)

    def updates(self, rows_table: str) -> Iterator[tuple[str, list[tuple[object, ...]]]]:
        """One guarded update per case with events after its opening, grouped by columns."""
        param, time = self.param, self.time
        groups: dict[tuple[str, ...], list[tuple[object, ...]]] = {}
        for case, entry in self.cases.items():
            if entry.version <= entry.opened_version or entry.at is None:
                continue
            sets = entry.sets
            columns = tuple(column for column in UPDATABLE if column in sets)
            params: list[object] = []
            for column in columns:
                params.extend(sets[column])
            groups.setdefault(columns, []).append(
                (*params, entry.version, time(entry.at), param(case), entry.version)
            )
        for columns, rows in groups.items():
            yield update_sql(rows_table, columns), rows


@lru_cache(maxsize=256)
def update_sql(table: str, columns: tuple[str, ...]) -> str:
    """The guarded update of ``columns`` (keyed by the table's full name, so a view that
    re-binds to other tables after a rebuild never reuses the old text)."""
    sets = "".join(
        f"{column} = CASE WHEN last_version < ? THEN ? ELSE {column} END, " for column in columns
    )
    return (
        f"UPDATE {table} SET {sets}last_version = ?, last_event_at = ?"  # noqa: S608
        " WHERE case_id = ? AND last_version < ?"
    )


@lru_cache(maxsize=256)
def insert_sql(table: str, columns: str, key: str, rows: int) -> str:
    """``rows`` rows in one statement; a row whose ``key`` (or any key, if empty) is
    already there is left as it is."""
    width = columns.count(",") + 1
    values = ", ".join(["(" + ", ".join("?" * width) + ")"] * rows)
    return (
        f"INSERT INTO {table} ({columns}) VALUES {values}"  # noqa: S608 - names from code
        f" ON CONFLICT {key + ' ' if key else ''}DO NOTHING"
    )


def _chunks(
    table: str, columns: str, key: str, rows: Sequence[tuple[object, ...]]
) -> Iterator[tuple[str, list[object]]]:
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start : start + ROWS_PER_INSERT]
        yield insert_sql(table, columns, key, len(chunk)), [v for row in chunk for v in row]
