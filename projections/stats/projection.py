"""Analyst statistics: cases, incidents, closures and timescales, with subjects only as tokens.

Tables (``<suffix>`` empty for the first set, another for a rebuild), tracking
``analyst_stats<suffix>``:
- ``asb_view_stats_cases``: one row per case: month opened, category, department, channel,
  ward, latest assessed risk level, status, latest closure (reason, month, seconds), and the
  seconds of receipt;
- ``asb_view_stats_incidents``: one row per incident: month, type, criminal, harm flags;
- ``asb_view_stats_subjects``: (case, subject token, role) for every person linked;
- ``asb_view_stats_victimisations``: (incident, subject token) for every victim named;
- ``asb_view_stats_contacts``: (case, subject token, seconds) for every contact made.
No name, reference, free text or person reference is stored: people appear only as
``subject_token`` (``stats_model``). Case ids are kept to join rows, and never answered.

Writes are batched: a page's rows are held in memory and sent at the end of the page, each
table's new rows as multi-row ``INSERT``s, then the updates. Every write is idempotent by
itself (inserts by primary key; the risk and status columns each guarded by the version of
the event that set them, so they commute), so a page applied twice changes nothing even
without the tracking that already prevents it, and the order of the batch does not matter.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from ledger.enums import ContactOutcome, HarmIndicator
from ledger.events import (
    CaseClosed,
    CaseOpened,
    CaseReopened,
    ContactRecorded,
    IncidentRecorded,
    PersonLinked,
    RiskAssessed,
)
from projections.projection import PagedProjection
from projections.stats.model import epoch, month_of, subject_token
from projections.stats.queries import DIMENSIONS, Dimension, StatsQueries, StatsTables
from projections.store import Writer
from projections.view import View

__all__ = ["DIMENSIONS", "AnalystStats", "AnalystStatsProjection", "Dimension"]

CONTACTED = frozenset({ContactOutcome.REACHED, ContactOutcome.SENT})
"""Outcomes that count as contact made (an unanswered call or a message left does not)."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "cases": (
        "case_id",
        "opened_month",
        "received_s",
        "category",
        "lead_department",
        "channel",
        "ward",
        "status",
        "risk_version",
        "status_version",
    ),
    "subjects": ("case_id", "subject", "role", "self_declared"),
    "incidents": (
        "incident_id",
        "case_id",
        "occurred_month",
        "incident_type",
        "criminal",
        "targeted",
        "hate_motivated",
        "violence_or_threat",
    ),
    "victimisations": ("incident_id", "subject"),
    "contacts": ("case_id", "subject", "contact_s"),
}
"""New rows, table by table, in the order they are sent (cases first, for the updates)."""
UPDATES: dict[str, tuple[str, ...]] = {
    "risk": ("risk_level",),
    "status": ("status", "closure_reason", "closed_month", "closed_s"),
}
"""Case columns set by later events, each group guarded by its own ``<group>_version``."""
_ROWS_PER_INSERT = 250


class AnalystStatsProjection(PagedProjection["AnalystStats"]):
    """Case events into statistics rows; the events it does not read are not even decoded."""

    topics = tuple(
        get_topic(cls)
        for cls in (
            CaseOpened,
            PersonLinked,
            IncidentRecorded,
            RiskAssessed,
            ContactRecorded,
            CaseClosed,
            CaseReopened,
        )
    )

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Any other event: only the tracking moves."""
        self.view.insert_tracking(tracking)

    @process_event.register(CaseOpened)
    def _opened(self, event: CaseOpened, tracking: Tracking) -> None:
        case = self.view.param(event.originator_id)
        self.view.add(
            "cases",
            case,
            month_of(event.received_at),
            epoch(event.received_at),
            event.category.value,
            event.lead_department.value,
            event.channel.value,
            event.ward,
            "open",
            0,
            0,
        )
        self.view.add("subjects", case, subject_token(event.complainant_ref), "complainant", 0)
        self.view.insert_tracking(tracking)

    @process_event.register(PersonLinked)
    def _linked(self, event: PersonLinked, tracking: Tracking) -> None:
        self.view.add(
            "subjects",
            self.view.param(event.originator_id),
            subject_token(event.person_ref),
            event.role.value,
            int(event.self_declared_repeat_victim),
        )
        self.view.insert_tracking(tracking)

    @process_event.register(IncidentRecorded)
    def _incident(self, event: IncidentRecorded, tracking: Tracking) -> None:
        harms = frozenset(event.harms)
        incident = self.view.param(event.incident_id)
        self.view.add(
            "incidents",
            incident,
            self.view.param(event.originator_id),
            month_of(event.occurred_at),
            event.incident_type.value,
            int(event.criminal),
            int(HarmIndicator.TARGETED in harms),
            int(HarmIndicator.HATE_MOTIVATED in harms),
            int(HarmIndicator.VIOLENCE_OR_THREAT in harms),
        )
        for ref in event.victim_refs:
            self.view.add("victimisations", incident, subject_token(ref))
        self.view.insert_tracking(tracking)

    @process_event.register(RiskAssessed)
    def _assessed(self, event: RiskAssessed, tracking: Tracking) -> None:
        self.view.set(event, "risk", event.level.value)
        self.view.insert_tracking(tracking)

    @process_event.register(ContactRecorded)
    def _contact(self, event: ContactRecorded, tracking: Tracking) -> None:
        if event.outcome in CONTACTED:
            self.view.add(
                "contacts",
                self.view.param(event.originator_id),
                subject_token(event.person_ref),
                epoch(event.occurred_at),
            )
        self.view.insert_tracking(tracking)

    @process_event.register(CaseClosed)
    def _closed(self, event: CaseClosed, tracking: Tracking) -> None:
        at = event.occurred_at
        self.view.set(event, "status", "closed", event.reason.value, month_of(at), epoch(at))
        self.view.insert_tracking(tracking)

    @process_event.register(CaseReopened)
    def _reopened(self, event: CaseReopened, tracking: Tracking) -> None:
        self.view.set(event, "status", "open", None, None, None)
        self.view.insert_tracking(tracking)


class AnalystStats(StatsQueries, View):
    """Counts and durations for analysts, with no personal data in any table."""

    name = "analyst_stats"
    tables_type = StatsTables
    projection_type = AnalystStatsProjection
    tables: StatsTables

    def table_statements(self) -> list[str]:
        uuid, bigint = self.store.types["uuid"], self.store.types["bigint"]
        index = self.store.ident
        base = "asb_view_stats" + self.suffix
        return [
            f"CREATE TABLE IF NOT EXISTS {self.tables.cases} ("
            f" case_id {uuid} PRIMARY KEY, opened_month TEXT NOT NULL,"
            f" received_s {bigint} NOT NULL, category TEXT NOT NULL,"
            " lead_department TEXT NOT NULL, channel TEXT NOT NULL, ward TEXT,"
            f" risk_level TEXT, risk_version {bigint} NOT NULL, status TEXT NOT NULL,"
            f" closure_reason TEXT, closed_month TEXT, closed_s {bigint},"
            f" status_version {bigint} NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.tables.incidents} ("
            f" incident_id {uuid} PRIMARY KEY, case_id {uuid} NOT NULL,"
            " occurred_month TEXT NOT NULL, incident_type TEXT NOT NULL,"
            " criminal INTEGER NOT NULL, targeted INTEGER NOT NULL,"
            " hate_motivated INTEGER NOT NULL, violence_or_threat INTEGER NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.tables.subjects} ("
            f" case_id {uuid} NOT NULL, subject TEXT NOT NULL, role TEXT NOT NULL,"
            " self_declared INTEGER NOT NULL, PRIMARY KEY (case_id, subject, role))",
            f"CREATE TABLE IF NOT EXISTS {self.tables.victimisations} ("
            f" incident_id {uuid} NOT NULL, subject TEXT NOT NULL,"
            " PRIMARY KEY (incident_id, subject))",
            f"CREATE TABLE IF NOT EXISTS {self.tables.contacts} ("
            f" case_id {uuid} NOT NULL, subject TEXT NOT NULL, contact_s {bigint} NOT NULL,"
            " PRIMARY KEY (case_id, subject, contact_s))",
            f"CREATE INDEX IF NOT EXISTS {index(base + '_cases_month')}"
            f" ON {self.tables.cases} (opened_month)",
            f"CREATE INDEX IF NOT EXISTS {index(base + '_incidents_month')}"
            f" ON {self.tables.incidents} (occurred_month)",
            f"CREATE INDEX IF NOT EXISTS {index(base + '_subjects_subject')}"
            f" ON {self.tables.subjects} (subject)",
            f"CREATE INDEX IF NOT EXISTS {index(base + '_victims_subject')}"
            f" ON {self.tables.victimisations} (subject)",
        ]

    # -------------------------------------------------------------- writing (inside a page)

    @contextmanager
    def page(self, writer: Writer | None = None) -> Iterator[int]:
        """The base's page; this view's rows are held and sent just before its tracking.

        On PostgreSQL each statement in a pipeline still costs the client ~100 µs, so a
        page's rows go as a few multi-row statements instead of one statement each."""
        self._local.batch = ({key: [] for key in COLUMNS}, {key: [] for key in UPDATES})
        try:
            with super().page(writer) as start:
                yield start
                self._flush()
        finally:
            self._local.batch = None

    def _batch(self) -> tuple[dict[str, list[tuple[object, ...]]], dict[str, list[Any]]]:
        batch = getattr(self._local, "batch", None)
        if batch is None:
            raise RuntimeError(f"view {self.view_name}: rows are written only inside a page")
        return batch  # type: ignore[no-any-return]

    def param(self, value: Any) -> object:
        return self.store.uuid_param(value)

    def add(self, table: str, *row: object) -> None:
        """A new row for one of ``COLUMNS``' tables (kept if its key is already there)."""
        self._batch()[0][table].append(row)

    def set(self, event: Any, group: str, *values: object) -> None:
        """Sets a group of ``UPDATES`` unless a later event of the case already set it."""
        version = event.originator_version
        self._batch()[1][group].append((*values, version, self.param(event.originator_id), version))

    def _flush(self) -> None:
        inserts, updates = self._batch()
        writer = self._writer()
        for table, rows in inserts.items():
            for start in range(0, len(rows), _ROWS_PER_INSERT):
                chunk = rows[start : start + _ROWS_PER_INSERT]
                writer.execute(self._insert(table, len(chunk)), [v for row in chunk for v in row])
        for group, rows in updates.items():
            if rows:
                sets = "".join(f"{column} = ?, " for column in UPDATES[group])
                writer.executemany(
                    self.store.sql(
                        f"UPDATE {self.tables.cases} SET {sets}{group}_version = ?"  # noqa: S608
                        f" WHERE case_id = ? AND {group}_version < ?"
                    ),
                    rows,
                )

    def _insert(self, table: str, rows: int) -> str:
        name = {
            "cases": self.tables.cases,
            "subjects": self.tables.subjects,
            "incidents": self.tables.incidents,
            "victimisations": self.tables.victimisations,
            "contacts": self.tables.contacts,
        }[table]
        return self.store.sql(_insert_sql(name, COLUMNS[table], rows))


@lru_cache(maxsize=1024)
def _insert_sql(table: str, columns: tuple[str, ...], rows: int) -> str:
    """``rows`` rows into ``table`` in one statement (keyed by the table's full name, so a
    view that re-binds to other tables after a rebuild never reuses the old text)."""
    values = ", ".join(["(" + ", ".join("?" * len(columns)) + ")"] * rows)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}"  # noqa: S608
        " ON CONFLICT DO NOTHING"
    )
