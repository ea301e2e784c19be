"""The disclosure log's queries: by subject, case, actor and time, a page or an export at a time.

Mixed into ``DisclosureLog`` (``projections/disclosures/projection.py``), which names the tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

from projections.disclosures.model import (
    CURSOR,
    KINDS,
    Disclosure,
    DisclosureKind,
    DisclosurePage,
    DisclosureQuery,
)
from projections.store import Row, ViewStore
from projections.tables import Tables, table

COLUMNS = (
    "position, kind, occurred_at, recorded_at, actor_id, actor_role, actor_organisation,"
    " case_id, case_version, view_name, items, recipient_agency, recipient_organisation,"
    " purpose, lawful_basis, gateway, special_condition, consent, authorised_by,"
    " protocol_reference, share_id, police_reference, request_id, outcome, reason"
)
"""The log's columns, in the order rows are written and read."""
_SELECTED = ", ".join(f"d.{name.strip()}" for name in COLUMNS.split(","))


class DisclosureTables(Tables):
    rows: str = table("asb_view_disclosures", key="position")
    subjects: str = table("asb_view_disclosure_subjects", key="subject_ref, position")
    people: str = table("asb_view_disclosure_people", key="case_id, item, person_ref")
    grants: str = table("asb_view_disclosure_grants", key="position")


class DisclosureQueries:
    """Reads of the log's tables (``rows``, ``subjects``, ``people``, ``grants``) on ``store``."""

    store: ViewStore
    tables: DisclosureTables

    def require(self, position: int | None, timeout: float | None = None) -> None:
        raise NotImplementedError  # the view's own (``View.require``) comes first

    def list_disclosures(
        self,
        query: DisclosureQuery,
        *,
        limit: int,
        cursor: str | None = None,
        min_position: int | None = None,
        timeout: float | None = None,
    ) -> DisclosurePage:
        """The disclosures ``query`` asks for, newest first, a page at a time.

        ``min_position`` waits (bounded by ``timeout``) for the view to reach a command's
        position and raises ``ViewBehind`` if it does not. A malformed cursor is a ValueError.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        after = None if cursor is None else CURSOR.decode(cursor)
        self.require(min_position, timeout)
        found = self._select(query, after=after, newest_first=True, limit=limit + 1)
        items = found[:limit]
        more = len(found) > limit
        return DisclosurePage(items, CURSOR.encode(items[-1].position) if more else None)

    def export(self, query: DisclosureQuery, *, page_size: int = 500) -> Iterator[Disclosure]:
        """Every disclosure ``query`` asks for, oldest first, read a page at a time."""
        after: int | None = None
        while True:
            found = self._select(query, after=after, newest_first=False, limit=page_size)
            yield from found
            if len(found) < page_size:
                return
            after = found[-1].position

    def contents(self) -> tuple[list[Disclosure], list[tuple[UUID, str, UUID]]]:
        """Every row (with its subjects) and every named person, in a fixed order: to
        compare a rebuild with the live view."""
        rows = list(self.export(DisclosureQuery()))
        people = self.store.select(f"SELECT case_id, item, person_ref FROM {self.tables.people}")  # noqa: S608
        named = sorted(
            (self.store.uuid_value(c), str(i), self.store.uuid_value(p)) for c, i, p in people
        )
        return rows, named

    def _select(
        self, query: DisclosureQuery, *, after: int | None, newest_first: bool, limit: int
    ) -> list[Disclosure]:
        params: list[object] = []
        conditions: list[str] = []
        if query.subject is not None:
            refs = list(dict.fromkeys((query.subject, *query.also)))
            marks = ", ".join("?" * len(refs))
            conditions.append(
                f"EXISTS (SELECT 1 FROM {self.tables.subjects} s"  # noqa: S608
                f" WHERE s.position = d.position AND s.subject_ref IN ({marks}))"
            )
            params.extend(self.store.uuid_param(ref) for ref in refs)
        if query.case_id is not None:
            conditions.append("d.case_id = ?")
            params.append(self.store.uuid_param(query.case_id))
        for condition, value in (
            ("d.actor_id = ?", query.actor),
            ("d.occurred_at >= ?", query.since and self.store.time_param(query.since)),
            ("d.occurred_at < ?", query.until and self.store.time_param(query.until)),
            ("d.position < ?" if newest_first else "d.position > ?", after),
        ):
            if value is not None:
                conditions.append(condition)
                params.append(value)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self.store.select(
            self.store.sql(
                f"SELECT {_SELECTED}, g.grant_id FROM {self.tables.rows} d"  # noqa: S608
                f" LEFT JOIN {self.tables.grants} g ON g.position = d.position{where}"
                f" ORDER BY d.position {'DESC' if newest_first else 'ASC'} LIMIT ?"
            ),
            (*params, limit),
        )
        subjects = self._subjects_of([int(row[0]) for row in rows])
        return [self._entry(row, subjects.get(int(row[0]), ())) for row in rows]

    def _subjects_of(self, positions: list[int]) -> dict[int, tuple[UUID, ...]]:
        if not positions:
            return {}
        places = ", ".join("?" for _ in positions)
        rows = self.store.select(
            self.store.sql(
                f"SELECT position, subject_ref FROM {self.tables.subjects}"  # noqa: S608
                f" WHERE position IN ({places})"
            ),
            positions,
        )
        found: dict[int, list[UUID]] = {}
        for position, ref in rows:
            found.setdefault(int(position), []).append(self.store.uuid_value(ref))
        return {p: tuple(sorted(refs, key=str)) for p, refs in found.items()}

    def _entry(self, row: Row, subjects: tuple[UUID, ...]) -> Disclosure:
        kind: DisclosureKind = next(k for k in KINDS if k == row[1])
        uuid = self.store.uuid_value
        return Disclosure(
            position=int(row[0]),
            kind=kind,
            occurred_at=self.store.time_value(row[2]),
            recorded_at=self.store.time_value(row[3]),
            actor_id=row[4],
            actor_role=row[5],
            actor_organisation=row[6],
            case_id=None if row[7] is None else uuid(row[7]),
            case_version=None if row[8] is None else int(row[8]),
            view=row[9],
            subjects=subjects,
            items=tuple(row[10].split()),
            recipient_agency=row[11],
            recipient_organisation=row[12],
            purpose=row[13],
            lawful_basis=row[14],
            gateway=row[15],
            condition=row[16],
            consent=row[17],
            authorised_by=row[18],
            protocol_reference=row[19],
            share_id=None if row[20] is None else uuid(row[20]),
            police_reference=row[21],
            request_id=row[22],
            outcome=row[23],
            reason=row[24],
            grant_id=None if row[25] is None else uuid(row[25]),
        )
