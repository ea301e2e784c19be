"""The ASB Case Review (Community Trigger) view: which cases meet the threshold, or nearly.

Tables (``<suffix>`` empty for the live view): ``asb_view_case_review_cases`` (one row per
case: reference, status, team, officer, version, when the complaint was received and the
complainant's ref), ``asb_view_case_review_incidents`` (each incident: when it happened,
when it was recorded, its victims' refs), ``asb_view_case_review_problems`` (which problem
keys a case holds: cases holding the same key are "the same problem") and
``asb_view_case_review_requests`` (each ``CaseReviewRequested``). References and times only.

**The problem hook.** A case is always its own problem. Every further kind of "same problem"
is a row ``(kind, problem_key, case_id)`` written by ``CaseReviewWriter.insert_problem`` from
the handlers here: ``_linked`` writes ``alleged_perpetrator`` keys (the person ref), and
``_opened_at`` and ``_incident_at`` write ``place`` keys (``CaseOpened``/``IncidentRecorded``
v2). The facts reader groups by whatever keys are there.

Every row is inserted once, keyed by what it records, and the case row's updates are
guarded by its version, so delivering an event twice changes nothing. The threshold is
judged when asked (``projections/case_reviews/model.py``), against the caller's ``now``
and the ``CaseReviewThresholds`` settings, so a changed setting needs no rebuild.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from ledger.enums import PersonRole
from ledger.events import (
    CASE_EVENT_TYPES,
    CaseOpenedV2,
    CaseReviewRequested,
    IncidentRecorded,
    IncidentRecordedV2,
    PersonLinked,
)
from ledger.people import PersonMerged
from ledger.thresholds import CaseReviewThresholds
from projections.case_reviews.facts import CaseReviewFacts
from projections.case_reviews.model import CaseReviewStatus, ProblemKind
from projections.case_reviews.store import CASE_COLUMNS, CaseReviewTables, CaseReviewWriter
from projections.case_rows import CaseRowsView, case_row
from projections.paging import Cursor, visible
from projections.projection import PagedProjection
from projections.store import Row, ViewStore, Writer
from projections.view import LEDGER_NAME
from projections.visibility import Visibility

_CURSORS = {"eligible": Cursor("cr1"), "approaching": Cursor("cr2")}
Which = Literal["eligible", "approaching"]


class CaseReviewProjection(PagedProjection["CaseReviews"]):
    """Case events into complaint facts and problem keys; any other case event moves the
    case row's version on."""

    topics = (*(get_topic(cls) for cls in CASE_EVENT_TYPES), get_topic(PersonMerged))
    reads = frozenset(
        {"reference", "received_at", "complainant_ref", "team", "officer"}
        | {"person_ref", "role", "incident_id", "occurred_at", "victim_refs", "timestamp"}
        | {"request_id", "place", "into"}
    )

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Any other event: the case row's part only (``projections/case_rows.py``)."""
        case_row(self.view.rows, domain_event, tracking.notification_id)
        self.view.insert_tracking(tracking)

    @process_event.register(PersonLinked)
    def _linked(self, event: PersonLinked, tracking: Tracking) -> None:
        """The problem keys a link gives the case: an alleged perpetrator's ref."""
        if event.role is PersonRole.ALLEGED_PERPETRATOR:
            self.view.rows.insert_problem(
                event.originator_id, ProblemKind.PERPETRATOR, str(event.person_ref)
            )
        self.view.rows.update(event)
        self.view.insert_tracking(tracking)

    @process_event.register(PersonMerged)
    def _merged(self, event: PersonMerged, tracking: Tracking) -> None:
        """Two records of one alleged perpetrator: their cases are one problem from now on."""
        self.view.send_held()
        self.view.rows.merge_problems(
            ProblemKind.PERPETRATOR, str(event.person_ref), str(event.into)
        )
        self.view.insert_tracking(tracking)

    @process_event.register(CaseOpenedV2)
    def _opened_at(self, event: CaseOpenedV2, tracking: Tracking) -> None:
        """A complaint about a place: the case holds the place's key."""
        case_row(self.view.rows, event, tracking.notification_id)
        self.view.rows.insert_problem(event.originator_id, ProblemKind.PLACE, event.place)
        self.view.insert_tracking(tracking)

    @process_event.register(IncidentRecorded)
    def _incident(self, event: IncidentRecorded, tracking: Tracking) -> None:
        self.view.rows.insert_incident(event)
        self.view.rows.update(event)
        self.view.insert_tracking(tracking)

    @process_event.register(IncidentRecordedV2)
    def _incident_at(self, event: IncidentRecordedV2, tracking: Tracking) -> None:
        """An incident at a place: the case holds the place's key too."""
        if event.place is not None:
            self.view.rows.insert_problem(event.originator_id, ProblemKind.PLACE, event.place)
        self._incident(event, tracking)

    @process_event.register(CaseReviewRequested)
    def _requested(self, event: CaseReviewRequested, tracking: Tracking) -> None:
        self.view.rows.insert_request(event)
        self.view.rows.update(event)
        self.view.insert_tracking(tracking)


@dataclass
class _Held:
    """A page's held writes: inserts by statement, and each case's highest version."""

    inserts: dict[str, list[tuple[object, ...]]] = field(default_factory=dict)
    versions: dict[UUID, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseReviewPage:
    """A page of judged cases, oldest first; ``next_cursor`` is None on the last page."""

    items: list[CaseReviewStatus]
    next_cursor: str | None


class CaseReviews(CaseRowsView):
    """Each case's ASB Case Review threshold: met, approaching, and the complaints counted."""

    name = "case_reviews"
    index = "asb_view_case_review"
    case_columns = CASE_COLUMNS
    tables_type = CaseReviewTables
    projection_type = CaseReviewProjection
    writer_type = CaseReviewWriter
    tables: CaseReviewTables
    rows: CaseReviewWriter

    def __init__(
        self,
        store: ViewStore,
        *,
        suffix: str = "",
        application_name: str = LEDGER_NAME,
        thresholds: CaseReviewThresholds | None = None,
    ) -> None:
        self.thresholds = thresholds or CaseReviewThresholds()
        self._held = threading.local()
        super().__init__(store, suffix=suffix, application_name=application_name)

    # -------------------------------------------------------------- writing (inside a page)

    @contextmanager
    def page(self, writer: Writer | None = None) -> Iterator[int]:
        """The base's page; the facts' inserts (each keyed, none depending on another) and
        the version-only updates are held and sent at the page's end, one ``executemany``
        per statement, just before the tracking. A page that fails sends nothing."""
        held = _Held()
        outer = getattr(self._held, "page", None)
        self._held.page = held
        try:
            with super().page(writer) as start:
                yield start
                for statement, rows in held.inserts.items():
                    self.executemany(statement, rows)
                self.executemany(
                    f"UPDATE {self.tables.cases} SET last_version = ?"  # noqa: S608
                    " WHERE case_id = ? AND last_version < ?",
                    [(v, self.store.uuid_param(c), v) for c, v in held.versions.items()],
                )
        finally:
            self._held.page = outer

    def send_held(self) -> None:
        """Sends the page's held inserts now (a statement that reads them follows)."""
        held = self._page_held()
        for statement, rows in held.inserts.items():
            self.executemany(statement, rows)
        held.inserts.clear()

    def _page_held(self) -> _Held:
        held: _Held | None = getattr(self._held, "page", None)
        if held is None:
            raise RuntimeError(f"view {self.view_name}: rows are written only inside a page")
        return held

    def later(self, statement: str, params: Sequence[object]) -> None:
        """An insert sent at the page's end."""
        self._page_held().inserts.setdefault(statement, []).append(tuple(params))

    def moved_on(self, case_id: UUID, version: int) -> None:
        """The case's row moves on to ``version`` at the page's end (if it is behind)."""
        versions = self._page_held().versions
        versions[case_id] = max(version, versions.get(case_id, 0))

    # -------------------------------------------------------------- queries

    def case_status(
        self,
        case_id: UUID,
        *,
        now: datetime,
        min_position: int | None = None,
        wait: float | None = None,
    ) -> CaseReviewStatus | None:
        """A case's threshold at ``now`` (None if the view has no such case yet)."""
        self.require(min_position, wait)
        rows = self.case_rows([case_id])
        if not rows:
            return None
        (judged,) = self._judge(rows, now)
        return judged

    def list_cases(
        self,
        which: Which,
        *,
        visibility: Visibility,
        now: datetime,
        limit: int,
        cursor: str | None = None,
        min_position: int | None = None,
        wait: float | None = None,
    ) -> CaseReviewPage:
        """The cases ``visibility`` allows, open or closed, oldest first, that are
        ``eligible`` (the threshold met, no review requested) or ``approaching`` (one
        qualifying complaint short) at ``now``. A bad cursor: ValueError."""
        paging = _CURSORS[which]
        after = paging.after(cursor)
        self.require(min_position, wait)
        seen = visible(self.store, visibility)
        if seen is None:
            return CaseReviewPage([], None)
        conditions, params = seen
        where = " AND ".join([*conditions, "opened_position > ?"])

        def fetch(position: int, count: int) -> list[Row]:
            return self.store.select(
                self.store.sql(
                    f"SELECT {CASE_COLUMNS} FROM {self.tables.cases}"  # noqa: S608
                    f" WHERE {where} ORDER BY opened_position LIMIT ?"
                ),
                (*params, position, count),
            )

        def keep(status: CaseReviewStatus) -> bool:
            return status.eligible if which == "eligible" else status.approaching

        items, following = paging.page(
            after,
            fetch=fetch,
            judge=lambda rows: self._judge(rows, now),
            position=lambda row: int(row[5]),
            limit=limit,
            keep=keep,
        )
        return CaseReviewPage(items, following)

    def _judge(self, rows: Sequence[Row], now: datetime) -> list[CaseReviewStatus]:
        facts = CaseReviewFacts(self.store, self.tables)
        return facts.judge(rows, now=now, rules=self.thresholds)
