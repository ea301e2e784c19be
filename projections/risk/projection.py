"""The cumulative-harm risk view: per case and per victim across cases, judged at query time.

Tables (``<suffix>`` empty for the live view): ``asb_view_risk_cases`` (one row per case:
reference, status, team, officer, version), ``asb_view_risk_incidents`` (when, harm codes,
criminal), ``asb_view_risk_victims`` (incident, victim ref), ``asb_view_risk_people`` (each
``PersonLinked``: ref, role, vulnerability codes, self-declared repeat victim) and
``asb_view_risk_assessments`` (each ``RiskAssessed`` but its answers and text). References,
codes, times and counts only: no personal data in the clear.

Every row is a fact keyed by what it records (an incident, a case version), inserted once,
and the case row's updates are guarded by its version, so delivering an event twice changes
nothing. Windows, flags and levels are worked out when asked (``ledger.harm``),
against the caller's ``now``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from ledger.enums import RiskLevel
from ledger.events import (
    CASE_EVENT_TYPES,
    IncidentRecorded,
    PersonLinked,
    RiskAssessed,
)
from ledger.thresholds import RiskThresholds, Timescales
from projections.case_rows import CaseRowsView, case_row
from projections.paging import Cursor, visible
from projections.projection import PagedProjection
from projections.risk.facts import RiskFacts, judge_cases
from projections.risk.model import CaseRisk, RiskPage
from projections.risk.store import CASE_COLUMNS, RiskTables, RiskWriter
from projections.store import Row, ViewStore
from projections.view import LEDGER_NAME
from projections.visibility import Visibility

_CURSOR = Cursor("rk1")


class RiskProjection(PagedProjection["CumulativeRisk"]):
    """Case events into risk facts; any other case event moves the case row's version on."""

    topics = tuple(get_topic(cls) for cls in CASE_EVENT_TYPES)

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Any other event: the case row's part only (``projections/case_rows.py``)."""
        case_row(self.view.rows, domain_event, tracking.notification_id)
        self.view.insert_tracking(tracking)

    @process_event.register(PersonLinked)
    def _linked(self, event: PersonLinked, tracking: Tracking) -> None:
        self.view.rows.insert_person(event)
        self.view.rows.update(event)
        self.view.insert_tracking(tracking)

    @process_event.register(IncidentRecorded)
    def _incident(self, event: IncidentRecorded, tracking: Tracking) -> None:
        self.view.rows.insert_incident(event)
        self.view.rows.update(event)
        self.view.insert_tracking(tracking)

    @process_event.register(RiskAssessed)
    def _assessed(self, event: RiskAssessed, tracking: Tracking) -> None:
        self.view.rows.insert_assessment(event)
        self.view.rows.update(event)
        self.view.insert_tracking(tracking)


class CumulativeRisk(CaseRowsView):
    """Each case's and each victim's cumulative harm, assessed level and derived level."""

    name = "cumulative_risk"
    index = "asb_view_risk"
    tables_type = RiskTables
    projection_type = RiskProjection
    writer_type = RiskWriter
    tables: RiskTables
    rows: RiskWriter

    def __init__(
        self,
        store: ViewStore,
        *,
        suffix: str = "",
        application_name: str = LEDGER_NAME,
        thresholds: RiskThresholds | None = None,
        timescales: Timescales | None = None,
    ) -> None:
        self.thresholds = thresholds or RiskThresholds()
        super().__init__(
            store, suffix=suffix, application_name=application_name, timescales=timescales
        )

    # -------------------------------------------------------------- queries

    def case_risk(
        self,
        case_id: UUID,
        *,
        now: datetime,
        min_position: int | None = None,
        wait: float | None = None,
    ) -> CaseRisk | None:
        """A case's risk at ``now`` (None if the view has no such case).

        ``min_position`` waits (bounded by ``wait``, else the view's ``read_timeout``)
        for the view to reach a command's position, and raises ``ViewBehind`` if it does not.
        """
        self.require(min_position, wait)
        rows = self.store.select(
            self.store.sql(
                f"SELECT {CASE_COLUMNS} FROM {self.tables.cases} WHERE case_id = ?"  # noqa: S608
            ),
            (self.store.uuid_param(case_id),),
        )
        if not rows:
            return None
        (judged,) = self._judge(rows, now)
        return judged

    def list_cases(
        self,
        *,
        visibility: Visibility,
        now: datetime,
        limit: int,
        cursor: str | None = None,
        reassessment_due: bool | None = None,
        derived_level: str | RiskLevel | None = None,
        team: str | None = None,
        officer: str | None = None,
        min_position: int | None = None,
        wait: float | None = None,
    ) -> RiskPage:
        """The open cases ``visibility`` allows, oldest first, judged at ``now``.

        ``reassessment_due`` and ``derived_level`` are decided once judged, so the rows are
        read a batch at a time until the page is full. A bad cursor or level: ValueError.
        """
        after = _CURSOR.after(cursor)
        level = None if derived_level is None else RiskLevel(derived_level)
        self.require(min_position, wait)
        seen = visible(self.store, visibility)
        if seen is None:
            return RiskPage([], None)
        conditions, params = seen
        conditions.append("status = 'open'")
        for column, value in (("team", team), ("officer", officer)):
            if value is not None:
                conditions.append(f"{column} = ?")
                params.append(value)
        where = " AND ".join(conditions)

        def fetch(position: int, count: int) -> list[Row]:
            return self.store.select(
                self.store.sql(
                    f"SELECT {CASE_COLUMNS} FROM {self.tables.cases}"  # noqa: S608
                    f" WHERE {where} AND opened_position > ? ORDER BY opened_position LIMIT ?"
                ),
                (*params, position, count),
            )

        def keep(risk: CaseRisk) -> bool:
            judged = risk.judgement
            return (reassessment_due is None or judged.reassessment_due == reassessment_due) and (
                level is None or judged.derived_level is level
            )

        filtered = reassessment_due is not None or level is not None
        items, following = _CURSOR.page(
            after,
            fetch=fetch,
            judge=lambda rows: self._judge(rows, now),
            position=lambda row: int(row[5]),
            limit=limit,
            keep=keep if filtered else None,
        )
        return RiskPage(items, following)

    def _judge(self, rows: Sequence[Row], now: datetime) -> list[CaseRisk]:
        facts = RiskFacts(self.store, self.tables).load(rows)
        return judge_cases(facts, now=now, rules=self.thresholds, timescales=self.timescales)
