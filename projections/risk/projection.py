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
    CaseOpenedV2,
    IncidentRecorded,
    IncidentRecordedV2,
    PersonLinked,
    RiskAssessed,
)
from ledger.people import PersonMerged
from ledger.thresholds import RiskThresholds, Timescales
from projections.case_rows import CaseRowsView, case_row
from projections.paging import Cursor, uuid_in, visible
from projections.projection import PagedProjection
from projections.risk.facts import Facts, RiskFacts, judge_cases, judge_victim
from projections.risk.model import (
    LINKING_ROLES,
    CaseRisk,
    LinkedCase,
    LinkReason,
    PersonCase,
    RiskPage,
    VictimRisk,
)
from projections.risk.store import CASE_COLUMNS, RiskTables, RiskWriter
from projections.store import Row, ViewStore
from projections.view import LEDGER_NAME
from projections.visibility import Visibility

_CURSOR = Cursor("rk1")


class RiskProjection(PagedProjection["CumulativeRisk"]):
    """Case events into risk facts; any other case event moves the case row's version on."""

    topics = (*(get_topic(cls) for cls in CASE_EVENT_TYPES), get_topic(PersonMerged))

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

    @process_event.register(CaseOpenedV2)
    def _opened_at(self, event: CaseOpenedV2, tracking: Tracking) -> None:
        case_row(self.view.rows, event, tracking.notification_id)
        self.view.rows.insert_place(event.originator_id, event.place)
        self.view.insert_tracking(tracking)

    @process_event.register(IncidentRecordedV2)
    def _incident_at(self, event: IncidentRecordedV2, tracking: Tracking) -> None:
        if event.place is not None:
            self.view.rows.insert_place(event.originator_id, event.place)
        self._incident(event, tracking)

    @process_event.register(PersonMerged)
    def _merged(self, event: PersonMerged, tracking: Tracking) -> None:
        self.view.rows.insert_merge(event)
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
    case_columns = CASE_COLUMNS
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
        rows = self.case_rows([case_id])
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

    def derived_levels(self, case_ids: Sequence[UUID], *, now: datetime) -> dict[UUID, RiskLevel]:
        """The level cumulative harm indicates for each case the view holds, at ``now``
        (one batch of reads, whatever the number of cases)."""
        rows = self.case_rows(case_ids)
        return {risk.case_id: risk.judgement.derived_level for risk in self._judge(rows, now)}

    def links(
        self, case_id: UUID, *, min_position: int | None = None, wait: float | None = None
    ) -> list[LinkedCase]:
        """The other cases that share a victim, a complainant or an alleged perpetrator
        (under any reference merged with theirs) or a place with this one, each with every
        reason, oldest first."""
        self.require(min_position, wait)
        s, t = self.store, self.tables
        key = s.uuid_param(case_id)
        ours = {
            s.uuid_value(ref): str(role)
            for ref, role in s.select(
                s.sql(f"SELECT person_ref, role FROM {t.people} WHERE case_id = ?"),  # noqa: S608
                (key,),
            )
            if str(role) in LINKING_ROLES
        }
        reasons: dict[UUID, list[LinkReason]] = {}
        if ours:
            same = RiskFacts(s, t).same_people(ours)
            survivor = {ref: same.get(ref, ref) for ref in {*same, *ours}}
            here = {survivor[ref]: role for ref, role in ours.items()}
            condition, param = uuid_in(s, "person_ref", set(survivor))
            for other, ref, role in s.select(
                s.sql(
                    f"SELECT case_id, person_ref, role FROM {t.people}"  # noqa: S608
                    f" WHERE {condition} AND case_id <> ?"
                ),
                (param, key),
            ):
                person = survivor.get(s.uuid_value(ref), s.uuid_value(ref))
                if str(role) in LINKING_ROLES and person in here:
                    reasons.setdefault(s.uuid_value(other), []).append(
                        LinkReason("person", person, here[person], str(role))
                    )
        places = [
            str(row[0])
            for row in s.select(
                s.sql(f"SELECT place FROM {t.places} WHERE case_id = ?"),  # noqa: S608
                (key,),
            )
        ]
        if places:
            marks = ", ".join("?" * len(places))
            for other, place in s.select(
                s.sql(
                    f"SELECT case_id, place FROM {t.places}"  # noqa: S608
                    f" WHERE place IN ({marks}) AND case_id <> ?"
                ),
                (*places, key),
            ):
                reasons.setdefault(s.uuid_value(other), []).append(
                    LinkReason("place", None, None, None, str(place))
                )
        return self._linked_cases(reasons)

    def cases_at(self, place: str) -> list[LinkedCase]:
        """The cases about, or with an incident at, ``place``, oldest first."""
        s, t = self.store, self.tables
        rows = s.select(
            s.sql(f"SELECT case_id FROM {t.places} WHERE place = ?"),  # noqa: S608
            (place,),
        )
        reasons = {
            s.uuid_value(row[0]): [LinkReason("place", None, None, None, place)] for row in rows
        }
        return self._linked_cases(reasons)

    def _linked_cases(self, reasons: dict[UUID, list[LinkReason]]) -> list[LinkedCase]:
        s = self.store
        rows = self.case_rows(reasons)
        found = [
            LinkedCase(
                case_id=s.uuid_value(row[0]),
                reference=str(row[1]),
                status=str(row[2]),
                team=row[3],
                officer=row[4],
                opened_position=int(row[5]),
                reasons=tuple(
                    sorted(
                        set(reasons[s.uuid_value(row[0])]),
                        key=lambda r: (
                            r.kind,
                            str(r.person_ref),
                            r.role_there or "",
                            r.place or "",
                        ),
                    )
                ),
            )
            for row in rows
        ]
        return sorted(found, key=lambda c: c.opened_position)

    def same_people(self, person_ref: UUID) -> dict[UUID, UUID]:
        """Every reference merged with ``person_ref`` (itself included), to the survivor."""
        same = RiskFacts(self.store, self.tables).same_people({person_ref})
        return same or {person_ref: person_ref}

    def person_cases(
        self, person_ref: UUID, *, min_position: int | None = None, wait: float | None = None
    ) -> list[PersonCase]:
        """The cases a person is on, under any reference merged with theirs, each with their
        roles in it (oldest case first)."""
        self.require(min_position, wait)
        refs = set(self.same_people(person_ref))
        condition, param = uuid_in(self.store, "p.person_ref", refs)
        t = self.tables
        rows = self.store.select(
            self.store.sql(
                "SELECT c.case_id, c.reference, c.status, c.team, c.officer, c.opened_position,"  # noqa: S608
                f" p.role, p.person_ref FROM {t.people} p JOIN {t.cases} c"
                f" ON c.case_id = p.case_id WHERE {condition}"
            ),
            (param,),
        )
        found: dict[UUID, PersonCase] = {}
        for case_id, reference, status, team, officer, position, role, ref in rows:
            key = self.store.uuid_value(case_id)
            held = found.get(key)
            roles = (*held.roles, str(role)) if held else (str(role),)
            found[key] = PersonCase(
                case_id=key,
                reference=str(reference),
                status=str(status),
                team=team,
                officer=officer,
                opened_position=int(position),
                roles=tuple(sorted(set(roles))),
                as_ref=self.store.uuid_value(ref) if held is None else held.as_ref,
            )
        return sorted(found.values(), key=lambda c: c.opened_position)

    def person_risk(self, person_ref: UUID, *, now: datetime) -> VictimRisk:
        """A person's cumulative harm across all their cases, after merges, at ``now``."""
        reader = RiskFacts(self.store, self.tables)
        facts = Facts([])
        same = reader.add_victims(facts, {person_ref})
        survivor = same.get(person_ref, person_ref)
        return judge_victim(
            facts, survivor, now=now, rules=self.thresholds, timescales=self.timescales
        ).risk

    def _judge(self, rows: Sequence[Row], now: datetime) -> list[CaseRisk]:
        facts = RiskFacts(self.store, self.tables).load(rows)
        return judge_cases(facts, now=now, rules=self.thresholds, timescales=self.timescales)
