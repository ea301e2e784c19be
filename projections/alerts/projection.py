"""The break-glass alert queue: every grant, the reads made under it, the DPO's review and the
case's later assignment to the supervisor's team, for the DPO (who closes them) and auditors.

Tables and their writes are in ``projections/alerts/store.py``, queries in ``queries.py``.
Tracked as ``break_glass_alerts<suffix>`` in ``asb_projection_tracking``.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from ledger.access import AccessedV2
from ledger.break_glass import BreakGlassGranted, BreakGlassReviewed
from ledger.events import CaseAssigned
from projections.alerts.queries import AlertQueries
from projections.alerts.store import AlertTables, AlertWriter
from projections.projection import PagedProjection
from projections.store import ViewStore
from projections.view import LEDGER_NAME, View


class AlertProjection(PagedProjection["BreakGlassAlerts"]):
    """Grants into alerts, break-glass reads into their count, reviews into closings and
    assignments into reconciliations; every other event only moves the tracking."""

    topics = tuple(
        get_topic(cls) for cls in (BreakGlassGranted, BreakGlassReviewed, AccessedV2, CaseAssigned)
    )

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """An event the queue has no rows for."""
        self.view.insert_tracking(tracking)

    @process_event.register(BreakGlassGranted)
    def _granted(self, event: BreakGlassGranted, tracking: Tracking) -> None:
        self.view.writer.granted(event, tracking.notification_id)
        self.view.insert_tracking(tracking)

    @process_event.register(BreakGlassReviewed)
    def _reviewed(self, event: BreakGlassReviewed, tracking: Tracking) -> None:
        self.view.writer.reviewed(event)
        self.view.insert_tracking(tracking)

    @process_event.register(AccessedV2)
    def _read(self, event: AccessedV2, tracking: Tracking) -> None:
        self.view.writer.read(event, tracking.notification_id)
        self.view.insert_tracking(tracking)

    @process_event.register(CaseAssigned)
    def _assigned(self, event: CaseAssigned, tracking: Tracking) -> None:
        self.view.writer.assigned(event, tracking.notification_id)
        self.view.insert_tracking(tracking)


class BreakGlassAlerts(View, AlertQueries):
    """The queue of break-glass uses, open ones first: no personal data."""

    name = "break_glass_alerts"
    tables_type = AlertTables
    projection_type = AlertProjection
    tables: AlertTables

    def __init__(
        self, store: ViewStore, *, suffix: str = "", application_name: str = LEDGER_NAME
    ) -> None:
        self.writer = AlertWriter(self)
        super().__init__(store, suffix=suffix, application_name=application_name)

    def table_statements(self) -> list[str]:
        return self.tables.statements(self.store, "asb_view_alerts" + self.suffix)
