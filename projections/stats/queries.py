"""The analyst statistics' queries: counts and durations read from the view's tables.

Each query answers without any identifier: case ids and subject tokens are used only to
join and count. ``AnalystStats`` (``projections/stats/projection.py``) mixes these in.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Literal

from projections.stats.model import CaseTimes, IncidentTypeRow, MonthRow, VictimRow
from projections.store import Row, ViewStore
from projections.tables import Tables, table

Dimension = Literal["category", "ward", "risk_level", "lead_department", "channel", "status"]
DIMENSIONS: dict[str, str] = {
    "category": "category",
    "ward": "COALESCE(ward, 'unrecorded')",
    "risk_level": "COALESCE(risk_level, 'not_assessed')",
    "lead_department": "lead_department",
    "channel": "channel",
    "status": "status",
}
CONTACTED_ROLES = ("victim", "complainant")
"""First contact is the earliest contact made with a person in one of these roles."""


class StatsTables(Tables):
    cases: str = table("asb_view_stats_cases", key="case_id")
    incidents: str = table("asb_view_stats_incidents", key="incident_id")
    subjects: str = table("asb_view_stats_subjects", key="case_id, subject, role")
    victimisations: str = table("asb_view_stats_victimisations", key="incident_id, subject")
    contacts: str = table("asb_view_stats_contacts", key="case_id, subject, contact_s")


class StatsQueries:
    """Reads of the statistics tables (named by the view for its suffix)."""

    store: ViewStore
    tables: StatsTables

    def _rows(self, statement: str, params: tuple[object, ...] = ()) -> list[Row]:
        return self.store.select(self.store.sql(statement), params)

    def cases_by_month(self, low: str, high: str) -> list[MonthRow]:
        """Cases opened, cases closed (latest closure, still closed) and incidents that
        occurred, by month, from ``low`` to ``high`` (``YYYY-MM``), gaps as zeros."""
        series: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for column, statement in enumerate(
            (
                f"SELECT opened_month, COUNT(*) FROM {self.tables.cases}"  # noqa: S608
                " WHERE opened_month BETWEEN ? AND ? GROUP BY opened_month",
                f"SELECT closed_month, COUNT(*) FROM {self.tables.cases}"  # noqa: S608
                " WHERE status = 'closed' AND closed_month BETWEEN ? AND ? GROUP BY closed_month",
                f"SELECT occurred_month, COUNT(*) FROM {self.tables.incidents}"  # noqa: S608
                " WHERE occurred_month BETWEEN ? AND ? GROUP BY occurred_month",
            )
        ):
            for month, count in self._rows(statement, (low, high)):
                series[str(month)][column] = int(count)
        return [
            MonthRow(month=month, opened=o, closed=c, incidents=i)
            for month in _months(min(series, default=""), max(series, default=""))
            for o, c, i in [series.get(month, [0, 0, 0])]
        ]

    def cases_by(self, dimension: str, low: str, high: str) -> dict[str, int]:
        """Cases opened in the range, counted by one of ``DIMENSIONS``."""
        expression = DIMENSIONS[dimension]
        rows = self._rows(
            f"SELECT {expression}, COUNT(*) FROM {self.tables.cases}"  # noqa: S608 - from DIMENSIONS
            f" WHERE opened_month BETWEEN ? AND ? GROUP BY {expression}",
            (low, high),
        )
        return {str(value): int(count) for value, count in sorted(rows, key=lambda r: str(r[0]))}

    def incidents_by_type(self, low: str, high: str) -> list[IncidentTypeRow]:
        rows = self._rows(
            "SELECT incident_type, COUNT(*), SUM(criminal), SUM(targeted), SUM(hate_motivated),"  # noqa: S608
            f" SUM(violence_or_threat) FROM {self.tables.incidents}"
            " WHERE occurred_month BETWEEN ? AND ? GROUP BY incident_type ORDER BY incident_type",
            (low, high),
        )
        return [
            IncidentTypeRow(
                incident_type=str(kind),
                incidents=int(n),
                criminal=int(criminal),
                targeted=int(targeted),
                hate_motivated=int(hate),
                violence_or_threat=int(violence),
            )
            for kind, n, criminal, targeted, hate, violence in rows
        ]

    def case_times(self, low: str, high: str, *, closed_in_range: bool = False) -> list[CaseTimes]:
        """Durations of the cases opened in the range (or, with ``closed_in_range``, of the
        cases whose latest closure fell in it), without any identifier."""
        where = (
            "c.status = 'closed' AND c.closed_month BETWEEN ? AND ?"
            if closed_in_range
            else "c.opened_month BETWEEN ? AND ?"
        )
        roles = ", ".join(f"'{role}'" for role in CONTACTED_ROLES)
        first = (
            f"SELECT k.case_id, MIN(k.contact_s) AS first_s FROM {self.tables.contacts} k"  # noqa: S608
            f" JOIN {self.tables.subjects} s ON s.case_id = k.case_id AND s.subject = k.subject"
            f" WHERE s.role IN ({roles}) GROUP BY k.case_id"
        )
        rows = self._rows(
            "SELECT COALESCE(c.risk_level, 'not_assessed'), c.status, c.closure_reason,"  # noqa: S608
            f" f.first_s - c.received_s, c.closed_s - c.received_s FROM {self.tables.cases} c"
            f" LEFT JOIN ({first}) f ON f.case_id = c.case_id WHERE {where}",
            (low, high),
        )
        return [
            CaseTimes(
                risk_level=str(level),
                closure_reason=None if status != "closed" else str(reason),
                to_first_contact=None if contact is None else int(contact),
                to_resolution=None if status != "closed" or resolved is None else int(resolved),
            )
            for level, status, reason, contact, resolved in rows
        ]

    def victims(self) -> list[VictimRow]:
        """Every person linked to a case as a victim or named as one in an incident."""
        cases: dict[str, set[str]] = defaultdict(set)
        declared: set[str] = set()
        for subject, case_id, self_declared in self._rows(
            f"SELECT subject, case_id, self_declared FROM {self.tables.subjects}"  # noqa: S608
            " WHERE role = 'victim'"
        ):
            cases[str(subject)].add(str(case_id))
            if self_declared:
                declared.add(str(subject))
        t = self.tables
        joined = f"{t.victimisations} v JOIN {t.incidents} i ON i.incident_id = v.incident_id"
        for subject, case_id in self._rows(
            f"SELECT DISTINCT v.subject, i.case_id FROM {joined}"  # noqa: S608
        ):
            cases[str(subject)].add(str(case_id))
        named: dict[str, tuple[int, int, int, str | None, str | None]] = {
            str(subject): (int(n), int(targeted), int(hate), str(first), str(last))
            for subject, n, targeted, hate, first, last in self._rows(
                "SELECT v.subject, COUNT(*), SUM(i.targeted), SUM(i.hate_motivated),"  # noqa: S608
                f" MIN(i.occurred_month), MAX(i.occurred_month) FROM {joined}"
                " GROUP BY v.subject"
            )
        }
        found = []
        for token, case_ids in cases.items():
            n, targeted, hate, first, last = named.get(token, (0, 0, 0, None, None))
            found.append(
                VictimRow(
                    token=token,
                    cases=len(case_ids),
                    incidents=n,
                    targeted=targeted,
                    hate_motivated=hate,
                    self_declared=token in declared,
                    first_incident_month=first,
                    last_incident_month=last,
                )
            )
        return found

    def contents(self) -> dict[str, list[tuple[object, ...]]]:
        """Every row of every table, in key order: to compare a rebuild with the live view."""
        return self.tables.contents(self.store)


def _months(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last`` inclusive (none if either is empty)."""
    if not first or not last:
        return []
    year, month = int(first[:4]), int(first[5:])
    found = []
    while f"{year:04d}-{month:02d}" <= last:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found
