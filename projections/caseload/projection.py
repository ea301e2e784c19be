"""The caseload view: open cases by lead department, team and officer, and what is due on them.

Tables (``<suffix>`` empty for the live view): ``asb_view_caseload_cases`` (one row per
case: reference, status, lead department, team, officer, assessed level, received time,
first contact time, agreed dates), ``asb_view_caseload_people`` (case, person ref, role: to
tell a contact with a victim or the complainant), ``asb_view_caseload_actions`` (action id,
due date, status) and ``asb_view_caseload_criminal`` (each criminal incident, when it was
recorded and when referred to the police) and ``asb_view_caseload_case_reviews`` (each ASB
Case Review request: when received, acknowledged and concluded, and the threshold decision)
and ``asb_view_caseload_retention`` (each case's category, closure date and the date its
retention ends: ``projections/caseload/retention.py``). References, codes, times and dates
only. A closed case stays listed while a review on it is outstanding (``queries.listed``).

The view stores facts; due dates and overdue are worked out when asked, against the
caller's ``now`` and the ``Timescales`` settings (``projections/caseload/model.py``, ``dues``),
except retention's, which the sweep lists by (``ASB_RETENTION_*``, recorded at closure).
Case-row updates are guarded by the row's version and the other rows are keyed by what
they record, so delivering an event twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from ledger.enums import Category, ContactOutcome, PersonRole, RiskLevel
from ledger.events import (
    CASE_EVENT_TYPES,
    ActionCancelled,
    ActionCompleted,
    ActionPlanned,
    CaseClosed,
    CaseReopened,
    CaseReviewAcknowledged,
    CaseReviewConcluded,
    CaseReviewDecided,
    CaseReviewed,
    CaseReviewRequested,
    ContactRecorded,
    IncidentRecorded,
    PersonLinked,
    PoliceReferralMade,
    RiskAssessed,
    TimescalesAgreed,
)
from ledger.retention import CaseErased
from ledger.settings import Retention
from ledger.thresholds import Timescales
from projections.case_rows import CaseRowsView, case_row
from projections.caseload import retention
from projections.caseload.model import (
    CaseloadEntry,
    CaseloadGroup,
    CaseloadPage,
    DueKind,
    summarise,
)
from projections.caseload.queries import case_filters, listed, read_entries
from projections.caseload.retention import RetentionQueries
from projections.caseload.store import CaseloadTables, CaseloadWriter
from projections.paging import Cursor
from projections.projection import PagedProjection
from projections.store import Row, ViewStore
from projections.view import LEDGER_NAME
from projections.visibility import Visibility

_CURSOR = Cursor("cl1")
FIRST_CONTACT_OUTCOMES = frozenset({ContactOutcome.REACHED, ContactOutcome.SENT})
"""A contact that reached the person, or a letter or message sent to them; an unanswered
call or a voicemail is an attempt, not first contact."""
FIRST_CONTACT_ROLES = frozenset({PersonRole.VICTIM, PersonRole.COMPLAINANT})


class CaseloadProjection(PagedProjection["Caseload"]):
    """Case events into caseload facts; any other case event moves the case row's version on."""

    topics = (*(get_topic(cls) for cls in CASE_EVENT_TYPES), get_topic(CaseErased))

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Any other event: the case row's part only (``projections/case_rows.py``)."""
        case_row(self.view.rows, domain_event, tracking.notification_id)
        self.view.insert_tracking(tracking)

    @process_event.register(PersonLinked)
    def _linked(self, event: PersonLinked, tracking: Tracking) -> None:
        self.view.rows.insert_person(event.originator_id, event.person_ref, event.role)
        self.view.rows.update(event)
        self.view.insert_tracking(tracking)

    @process_event.register(RiskAssessed)
    def _assessed(self, event: RiskAssessed, tracking: Tracking) -> None:
        self.view.rows.update(
            event,
            risk_level=event.level.value,
            risk_assessed_at=self.view.store.time_param(event.occurred_at),
        )
        self.view.insert_tracking(tracking)

    @process_event.register(TimescalesAgreed)
    def _agreed(self, event: TimescalesAgreed, tracking: Tracking) -> None:
        self.view.rows.update(
            event,
            agreed_first_contact=event.first_contact_due.isoformat(),
            next_review=event.next_review_due.isoformat(),
            target_resolution=event.target_resolution.isoformat(),
        )
        self.view.insert_tracking(tracking)

    @process_event.register(CaseReviewed)
    def _reviewed(self, event: CaseReviewed, tracking: Tracking) -> None:
        self.view.rows.update(event, next_review=event.next_review_due.isoformat())
        self.view.insert_tracking(tracking)

    @process_event.register(ContactRecorded)
    def _contact(self, event: ContactRecorded, tracking: Tracking) -> None:
        if event.outcome in FIRST_CONTACT_OUTCOMES:
            self.view.rows.contact(event, FIRST_CONTACT_ROLES)
        else:
            self.view.rows.update(event)
        self.view.insert_tracking(tracking)

    @process_event.register(ActionPlanned)
    def _planned(self, event: ActionPlanned, tracking: Tracking) -> None:
        self.view.rows.insert_action(event)
        self.view.rows.update(event)
        self.view.insert_tracking(tracking)

    @process_event.register(ActionCompleted)
    def _completed(self, event: ActionCompleted, tracking: Tracking) -> None:
        self.view.rows.finish_action(event, "completed")
        self.view.rows.update(event)
        self.view.insert_tracking(tracking)

    @process_event.register(ActionCancelled)
    def _cancelled(self, event: ActionCancelled, tracking: Tracking) -> None:
        self.view.rows.finish_action(event, "cancelled")
        self.view.rows.update(event)
        self.view.insert_tracking(tracking)

    @process_event.register(IncidentRecorded)
    def _incident(self, event: IncidentRecorded, tracking: Tracking) -> None:
        if event.criminal and not event.police_recorded:
            self.view.rows.insert_criminal(event)
        self.view.rows.update(event)
        self.view.insert_tracking(tracking)

    @process_event.register(PoliceReferralMade)
    def _referred(self, event: PoliceReferralMade, tracking: Tracking) -> None:
        self.view.rows.referred(event)
        self.view.rows.update(event)
        self.view.insert_tracking(tracking)

    @process_event.register(CaseReviewRequested)
    def _review_requested(self, event: CaseReviewRequested, tracking: Tracking) -> None:
        self.view.rows.request_case_review(event)
        self.view.rows.update(event)
        self.view.insert_tracking(tracking)

    @process_event.register(CaseReviewAcknowledged)
    def _review_acknowledged(self, event: CaseReviewAcknowledged, tracking: Tracking) -> None:
        at = self.view.store.time_param(event.occurred_at)
        self.view.rows.case_review_step(event, "acknowledged_at", at)
        self.view.rows.update(event)
        self.view.insert_tracking(tracking)

    @process_event.register(CaseReviewDecided)
    def _review_decided(self, event: CaseReviewDecided, tracking: Tracking) -> None:
        self.view.rows.case_review_step(event, "decision", event.decision.value)
        self.view.rows.update(event)
        self.view.insert_tracking(tracking)

    @process_event.register(CaseReviewConcluded)
    def _review_concluded(self, event: CaseReviewConcluded, tracking: Tracking) -> None:
        at = self.view.store.time_param(event.occurred_at)
        self.view.rows.case_review_step(event, "concluded_at", at)
        self.view.rows.update(event)
        self.view.insert_tracking(tracking)

    @process_event.register(CaseClosed)
    def _closed(self, event: CaseClosed, tracking: Tracking) -> None:
        self.view.rows.settle_actions(event.originator_id, event.cancelled_actions)
        closed_on = self.view.timescales.local_date(event.occurred_at)
        due_on = {c: self.view.retention.due_on(c, closed_on) for c in Category}
        retention.closed(self.view.rows, event, closed_on, due_on)
        case_row(self.view.rows, event, tracking.notification_id)
        self.view.insert_tracking(tracking)

    @process_event.register(CaseReopened)
    def _reopened(self, event: CaseReopened, tracking: Tracking) -> None:
        retention.reopened(self.view.rows, event)
        case_row(self.view.rows, event, tracking.notification_id)
        self.view.insert_tracking(tracking)

    @process_event.register(CaseErased)
    def _erased(self, event: CaseErased, tracking: Tracking) -> None:
        erased_on = self.view.timescales.local_date(event.occurred_at)
        retention.erased(self.view.rows, event.case_id, erased_on)
        self.view.insert_tracking(tracking)


class Caseload(RetentionQueries, CaseRowsView):
    """Open cases (and closed ones with an ASB Case Review outstanding) with their age, risk
    level and what is due or overdue on them."""

    name = "caseload"
    index = "asb_view_caseload"
    tables_type = CaseloadTables
    projection_type = CaseloadProjection
    writer_type = CaseloadWriter
    tables: CaseloadTables
    rows: CaseloadWriter

    def __init__(
        self,
        store: ViewStore,
        *,
        suffix: str = "",
        application_name: str = LEDGER_NAME,
        timescales: Timescales | None = None,
        retention: Retention | None = None,
    ) -> None:
        self.retention = retention or Retention()
        """How long closed cases are kept (``ASB_RETENTION_*``): the due dates recorded."""
        super().__init__(
            store, suffix=suffix, application_name=application_name, timescales=timescales
        )

    # -------------------------------------------------------------- queries

    def list_cases(
        self,
        *,
        visibility: Visibility,
        now: datetime,
        limit: int,
        cursor: str | None = None,
        team: str | None = None,
        officer: str | None = None,
        risk_level: str | RiskLevel | None = None,
        lead_department: str | None = None,
        overdue: str | DueKind | None = None,
        min_position: int | None = None,
        wait: float | None = None,
    ) -> CaseloadPage:
        """The open cases ``visibility`` allows (and closed ones with an ASB Case Review
        outstanding, ``facts.closed``), oldest first, judged at ``now``.

        ``risk_level`` is an assessed level or ``unassessed``; ``overdue`` is a ``DueKind``
        or ``any``. Overdue is decided once judged, so rows are read a batch at a time until
        the page is full. ``min_position`` waits (bounded by ``wait``) and raises
        ``ViewBehind`` if the view is still short. A bad cursor or filter: ValueError.
        """
        after = _CURSOR.after(cursor)
        wanted = None if overdue in (None, "any") else DueKind(overdue)
        where = case_filters(
            self.store, self.tables, visibility, team, officer, risk_level, lead_department
        )
        self.require(min_position, wait)
        if where is None:
            return CaseloadPage([], None)

        def keep(entry: CaseloadEntry) -> bool:
            return bool(entry.overdue) if wanted is None else wanted in entry.overdue

        items, following = _CURSOR.page(
            after,
            fetch=lambda position, count: self._fetch(where, position, count),
            judge=lambda rows: self._judge(rows, now),
            position=lambda row: int(row[8]),
            limit=limit,
            keep=None if overdue is None else keep,
        )
        return CaseloadPage(items, following)

    def summary(
        self,
        *,
        visibility: Visibility,
        now: datetime,
        team: str | None = None,
        officer: str | None = None,
        lead_department: str | None = None,
        min_position: int | None = None,
        wait: float | None = None,
    ) -> list[CaseloadGroup]:
        """Open cases the caller may see, counted by lead department, team and officer."""
        where = case_filters(
            self.store, self.tables, visibility, team, officer, None, lead_department
        )
        self.require(min_position, wait)
        if where is None:
            return []
        entries: list[CaseloadEntry] = []
        after = 0
        while True:
            rows = self._fetch(where, after, 500)
            entries.extend(self._judge(rows, now))
            if len(rows) < 500:
                return summarise(entries)
            after = int(rows[-1][8])

    def entry(self, case_id: UUID, *, now: datetime) -> CaseloadEntry | None:
        """One case as the caseload shows it (None if unknown, or closed with no ASB Case
        Review outstanding)."""
        where = ([listed(self.tables), "c.case_id = ?"], [self.store.uuid_param(case_id)])
        rows = self._fetch(where, 0, 1)
        return self._judge(rows, now)[0] if rows else None

    def _fetch(self, where: tuple[list[str], list[object]], after: int, count: int) -> list[Row]:
        conditions, params = where
        return self.tables.select_cases(self.store, conditions, params, after, count)

    def _judge(self, rows: Sequence[Row], now: datetime) -> list[CaseloadEntry]:
        tables = self.tables
        return read_entries(self.store, tables, rows, now=now, timescales=self.timescales)
