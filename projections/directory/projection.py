"""The case directory: one row per case, without personal data, to list the cases a caller may see.

Tables (``<suffix>`` empty for the live view, set for a rebuild beside it):
``asb_view_case_directory<suffix>`` (one row per case) and
``asb_view_case_directory_shares<suffix>`` (case, recipient organisation), whose tracking is
``case_directory<suffix>`` in ``asb_projection_tracking``. Every update is guarded by the
row's version, so applying an event twice changes nothing even without the tracking.

A page's writes are folded per case and sent at its end (``directory_writes``): one row per
case per page, not one statement per event.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from ledger.enums import Category, Department, RiskLevel
from ledger.events import (
    CASE_EVENT_TYPES,
    CaseAssigned,
    CaseClosed,
    CaseEvent,
    CaseOpened,
    CaseReopened,
    InformationShared,
    OrganisationIdentified,
    RiskAssessed,
)
from projections.directory.model import CURSOR, STATUSES, DirectoryEntry, DirectoryPage
from projections.directory.writes import COLUMNS as _COLUMNS
from projections.directory.writes import UPDATABLE, PageWrites
from projections.projection import PagedProjection
from projections.store import Row, Writer
from projections.tables import Tables, table
from projections.view import View
from projections.visibility import Visibility

_UPDATABLE = frozenset(UPDATABLE)


class DirectoryTables(Tables):
    rows: str = table("asb_view_case_directory", key="case_id")
    shares: str = table("asb_view_case_directory_shares", key="organisation, case_id")


class CaseDirectoryProjection(PagedProjection["CaseDirectory"]):
    """Case events into directory rows; any other case event moves the row's version on."""

    topics = tuple(get_topic(cls) for cls in CASE_EVENT_TYPES)
    reads = frozenset(
        {"timestamp", "reference", "lead_department", "category", "received_at"}
        | {"team", "officer", "level", "recipient", "organisation", "shared"}
    )

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Any other case event: only the row's version and time change."""
        if isinstance(domain_event, CaseEvent):
            self.view.update(domain_event)
        self.view.insert_tracking(tracking)

    @process_event.register(CaseOpened)
    def _opened(self, event: CaseOpened, tracking: Tracking) -> None:
        self.view.insert_case(event, tracking.notification_id)
        self.view.insert_tracking(tracking)

    @process_event.register(CaseAssigned)
    def _assigned(self, event: CaseAssigned, tracking: Tracking) -> None:
        self.view.update(event, team=event.team, officer=event.officer)
        self.view.insert_tracking(tracking)

    @process_event.register(RiskAssessed)
    def _assessed(self, event: RiskAssessed, tracking: Tracking) -> None:
        self.view.update(event, risk_level=event.level.value)
        self.view.insert_tracking(tracking)

    @process_event.register(InformationShared)
    def _shared(self, event: InformationShared, tracking: Tracking) -> None:
        self.view.add_share(event.originator_id, event.recipient.organisation)
        self.view.update(event)
        self.view.insert_tracking(tracking)

    @process_event.register(OrganisationIdentified)
    def _identified(self, event: OrganisationIdentified, tracking: Tracking) -> None:
        if event.shared:
            self.view.add_share(event.originator_id, event.organisation)
        self.view.update(event)
        self.view.insert_tracking(tracking)

    @process_event.register(CaseClosed)
    def _closed(self, event: CaseClosed, tracking: Tracking) -> None:
        self.view.update(event, status="closed")
        self.view.insert_tracking(tracking)

    @process_event.register(CaseReopened)
    def _reopened(self, event: CaseReopened, tracking: Tracking) -> None:
        self.view.update(event, status="open")
        self.view.insert_tracking(tracking)


class CaseDirectory(View):
    """Cases by reference, status, team, officer and risk level; and who they were shared with."""

    name = "case_directory"
    tables_type = DirectoryTables
    projection_type = CaseDirectoryProjection
    tables: DirectoryTables

    def table_statements(self) -> list[str]:
        uuid, bigint, time = (self.store.types[k] for k in ("uuid", "bigint", "time"))
        index = "asb_view_case_directory" + self.suffix
        return [
            f"CREATE TABLE IF NOT EXISTS {self.tables.rows} ("
            f" case_id {uuid} PRIMARY KEY, reference TEXT NOT NULL, status TEXT NOT NULL,"
            " team TEXT, officer TEXT, lead_department TEXT NOT NULL, category TEXT NOT NULL,"
            f" risk_level TEXT, received_at {time} NOT NULL,"
            f" opened_position {bigint} NOT NULL UNIQUE, last_version {bigint} NOT NULL,"
            f" last_event_at {time} NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.tables.shares} ("
            f" case_id {uuid} NOT NULL, organisation TEXT NOT NULL,"
            " PRIMARY KEY (organisation, case_id))",
            f"CREATE INDEX IF NOT EXISTS {self.store.ident(index + '_team')}"
            f" ON {self.tables.rows} (team, opened_position)",
            f"CREATE INDEX IF NOT EXISTS {self.store.ident(index + '_officer')}"
            f" ON {self.tables.rows} (officer, opened_position)",
            f"CREATE INDEX IF NOT EXISTS {self.store.ident(index + '_shares_case')}"
            f" ON {self.tables.shares} (case_id)",
        ]

    # -------------------------------------------------------------- writing (inside a page)

    @contextmanager
    def page(self, writer: Writer | None = None) -> Iterator[int]:
        """The base's page; the handlers' writes are folded per case (``PageWrites``) and
        sent just before the tracking. A page that fails sends nothing and forgets them."""
        writes = PageWrites(self.store.uuid_param, self.store.time_param)
        outer = getattr(self._local, "writes", None)  # a page already open: the base refuses
        self._local.writes = writes
        try:
            with super().page(writer) as start:
                yield start
                self._flush(writes)
        finally:
            self._local.writes = outer

    def _writes(self) -> PageWrites:
        writes: PageWrites | None = getattr(self._local, "writes", None)
        if writes is None:
            raise RuntimeError(f"view {self.view_name}: rows are written only inside a page")
        return writes

    def insert_case(self, event: CaseOpened, position: int) -> None:
        """A new row for the case (left as it is if the row is already there)."""
        self._writes().opened(
            event.originator_id,
            event.originator_version,
            event.timestamp,
            (
                event.reference,
                event.lead_department.value,
                event.category.value,
                self.store.time_param(event.received_at),
                position,
            ),
        )

    def update(self, event: CaseEvent, **columns: str | None) -> None:
        """Sets ``columns`` and moves the version on, unless the row already has the event."""
        unknown = columns.keys() - _UPDATABLE
        if unknown:
            raise ValueError(f"not directory columns: {sorted(unknown)}")
        self._writes().update(
            event.originator_id, event.originator_version, event.timestamp, columns
        )

    def add_share(self, case_id: UUID, organisation: str) -> None:
        self._writes().share(case_id, organisation)

    def _flush(self, writes: PageWrites) -> None:
        for statement, params in writes.inserts(self.tables.rows, self.tables.shares):
            self.execute(statement, params)
        for statement, rows in writes.updates(self.tables.rows):
            self.executemany(statement, rows)

    # -------------------------------------------------------------- queries

    def list_cases(
        self,
        *,
        visibility: Visibility,
        limit: int,
        cursor: str | None = None,
        status: str | None = None,
        team: str | None = None,
        officer: str | None = None,
        risk_level: str | RiskLevel | None = None,
        reference: str | None = None,
        min_position: int | None = None,
    ) -> DirectoryPage:
        """The cases ``visibility`` allows, newest first, filtered in the query itself.

        ``min_position`` waits (bounded) for the view to reach a command's position and
        raises ``ViewBehind`` if it does not. A malformed cursor or filter is a ValueError.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        after = None if cursor is None else CURSOR.decode(cursor)
        if status is not None and status not in STATUSES:
            raise ValueError(f"status must be one of {sorted(STATUSES)}")
        level = None if risk_level is None else RiskLevel(risk_level).value
        self.require(min_position)
        if visibility.sees_nothing:
            return DirectoryPage([], None)
        conditions, params = self._visible(visibility)
        for column, value in (
            ("status", status),
            ("team", team),
            ("officer", officer),
            ("risk_level", level),
            ("reference", reference),
        ):
            if value is not None:
                conditions.append(f"{column} = ?")
                params.append(value)
        if after is not None:
            conditions.append("opened_position < ?")
            params.append(after)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self.store.select(
            self.store.sql(
                f"SELECT {_COLUMNS} FROM {self.tables.rows}{where}"  # noqa: S608 - conditions from code
                " ORDER BY opened_position DESC LIMIT ?"
            ),
            (*params, limit + 1),
        )
        items = [self._entry(row) for row in rows[:limit]]
        more = len(rows) > limit
        return DirectoryPage(items, CURSOR.encode(items[-1].opened_position) if more else None)

    def get(self, case_id: UUID, *, min_position: int | None = None) -> DirectoryEntry | None:
        self.require(min_position)
        rows = self.store.select(
            self.store.sql(f"SELECT {_COLUMNS} FROM {self.tables.rows} WHERE case_id = ?"),  # noqa: S608
            (self.store.uuid_param(case_id),),
        )
        return self._entry(rows[0]) if rows else None

    def is_visible(self, case_id: UUID, visibility: Visibility) -> bool:
        """Whether ``visibility`` allows this case, by the same rule as ``list_cases``."""
        if visibility.sees_nothing:
            return False
        conditions, params = self._visible(visibility)
        conditions.append("case_id = ?")
        rows = self.store.select(
            self.store.sql(
                f"SELECT 1 FROM {self.tables.rows} WHERE {' AND '.join(conditions)}"  # noqa: S608
            ),
            (*params, self.store.uuid_param(case_id)),
        )
        return bool(rows)

    def organisations(self, case_id: UUID) -> frozenset[str]:
        """The organisations a case was shared with (for access decisions, not for display)."""
        rows = self.store.select(
            self.store.sql(
                f"SELECT organisation FROM {self.tables.shares} WHERE case_id = ?"  # noqa: S608
            ),
            (self.store.uuid_param(case_id),),
        )
        return frozenset(str(row[0]) for row in rows)

    def contents(self) -> tuple[list[DirectoryEntry], list[tuple[UUID, str]]]:
        """Every row and share, in a fixed order: to compare a rebuild with the live view."""
        rows = self.store.select(
            f"SELECT {_COLUMNS} FROM {self.tables.rows} ORDER BY opened_position"  # noqa: S608
        )
        shares = self.store.select(f"SELECT case_id, organisation FROM {self.tables.shares}")  # noqa: S608
        pairs = sorted((self.store.uuid_value(c), str(o)) for c, o in shares)
        return [self._entry(row) for row in rows], pairs

    def _visible(self, visibility: Visibility) -> tuple[list[str], list[object]]:
        if visibility.everything:
            return [], []
        either: list[str] = []
        params: list[object] = []
        if visibility.teams:
            either.append(self.store.in_list("team"))
            params.append(self.store.list_param(visibility.teams))
        if visibility.officer:
            either.append("officer = ?")
            params.append(visibility.officer)
        if visibility.organisation:
            shared = f"SELECT case_id FROM {self.tables.shares} WHERE organisation = ?"  # noqa: S608
            either.append(f"case_id IN ({shared})")
            params.append(visibility.organisation)
        return [f"({' OR '.join(either)})"], params

    def _entry(self, row: Row) -> DirectoryEntry:
        return DirectoryEntry(
            case_id=self.store.uuid_value(row[0]),
            reference=row[1],
            status="closed" if row[2] == "closed" else "open",
            team=row[3],
            officer=row[4],
            lead_department=Department(row[5]),
            category=Category(row[6]),
            risk_level=None if row[7] is None else RiskLevel(row[7]),
            received_at=self.store.time_value(row[8]),
            opened_position=int(row[9]),
            last_version=int(row[10]),
            last_event_at=self.store.time_value(row[11]),
        )
