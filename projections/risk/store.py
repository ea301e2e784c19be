"""The risk view's tables: their SQL and the writes its handlers make (inside a page)."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from ledger.enums import PersonRole
from ledger.events import CaseOpened, IncidentRecorded, PersonLinked, RiskAssessed
from ledger.people import PersonMerged
from projections.case_rows import CaseRowTables, CaseRowWriter, Executes
from projections.store import ViewStore
from projections.tables import table

CASE_COLUMNS = "case_id, reference, status, team, officer, opened_position, last_version"


class RiskTables(CaseRowTables):
    cases: str = table("asb_view_risk_cases", key="case_id")
    incidents: str = table("asb_view_risk_incidents", key="incident_id")
    victims: str = table("asb_view_risk_victims", key="person_ref, incident_id")
    people: str = table("asb_view_risk_people", key="case_id, version")
    assessments: str = table("asb_view_risk_assessments", key="case_id, version")
    merges: str = table("asb_view_risk_merges", key="person_ref")
    places: str = table("asb_view_risk_places", key="case_id, place")

    def statements(self, store: ViewStore, index: str) -> list[str]:
        uuid, bigint, time = (store.types[k] for k in ("uuid", "bigint", "time"))
        t = self
        return [
            f"CREATE TABLE IF NOT EXISTS {t.cases} ("
            f" case_id {uuid} PRIMARY KEY, reference TEXT NOT NULL, status TEXT NOT NULL,"
            f" team TEXT, officer TEXT, opened_position {bigint} NOT NULL UNIQUE,"
            f" last_version {bigint} NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {t.incidents} ("
            f" incident_id {uuid} PRIMARY KEY, case_id {uuid} NOT NULL,"
            f" occurred_at {time} NOT NULL, harms TEXT NOT NULL, criminal INTEGER NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {t.victims} ("
            f" person_ref {uuid} NOT NULL, incident_id {uuid} NOT NULL, case_id {uuid} NOT NULL,"
            " PRIMARY KEY (person_ref, incident_id))",
            f"CREATE TABLE IF NOT EXISTS {t.people} ("
            f" case_id {uuid} NOT NULL, version {bigint} NOT NULL, person_ref {uuid} NOT NULL,"
            " role TEXT NOT NULL, vulnerabilities TEXT NOT NULL,"
            " self_declared INTEGER NOT NULL, PRIMARY KEY (case_id, version))",
            f"CREATE TABLE IF NOT EXISTS {t.assessments} ("
            f" case_id {uuid} NOT NULL, version {bigint} NOT NULL, victim_ref {uuid},"
            " instrument TEXT NOT NULL, instrument_version INTEGER NOT NULL,"
            " score INTEGER NOT NULL, computed_level TEXT NOT NULL, level TEXT NOT NULL,"
            f" overridden INTEGER NOT NULL, assessed_at {time} NOT NULL,"
            f" recorded_at {time} NOT NULL, PRIMARY KEY (case_id, version))",
            f"CREATE TABLE IF NOT EXISTS {t.places} ("
            f" case_id {uuid} NOT NULL, place TEXT NOT NULL, PRIMARY KEY (case_id, place))",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_places_place')}"
            f" ON {t.places} (place)",
            f"CREATE TABLE IF NOT EXISTS {t.merges} ("
            f" person_ref {uuid} PRIMARY KEY, into_ref {uuid} NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_merges_into')}"
            f" ON {t.merges} (into_ref)",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_incidents_case')}"
            f" ON {t.incidents} (case_id)",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_victims_case')}"
            f" ON {t.victims} (case_id)",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_people_ref')}"
            f" ON {t.people} (person_ref)",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_assessments_victim')}"
            f" ON {t.assessments} (victim_ref)",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_team')}"
            f" ON {t.cases} (team, opened_position)",
        ]


class _Risk(Executes, Protocol):
    tables: RiskTables


class RiskWriter(CaseRowWriter):
    """The writes the risk view's handlers make, inside the view's open page."""

    updatable = frozenset({"status", "team", "officer"})

    def __init__(self, view: _Risk) -> None:
        super().__init__(view)
        self.risk = view

    @property
    def t(self) -> RiskTables:
        return self.risk.tables

    @property
    def cases_table(self) -> str:
        return self.t.cases

    def insert_case(self, event: CaseOpened, position: int) -> None:
        s = self.store
        case_id = s.uuid_param(event.originator_id)
        self.view.execute(
            f"INSERT INTO {self.t.cases} ({CASE_COLUMNS})"  # noqa: S608 - names from code
            " VALUES (?, ?, 'open', NULL, NULL, ?, ?) ON CONFLICT (case_id) DO NOTHING",
            (case_id, event.reference, position, event.originator_version),
        )
        self.view.execute(
            f"INSERT INTO {self.t.people}"  # noqa: S608
            " (case_id, version, person_ref, role, vulnerabilities, self_declared)"
            " VALUES (?, ?, ?, ?, '', 0) ON CONFLICT (case_id, version) DO NOTHING",
            (
                case_id,
                event.originator_version,
                s.uuid_param(event.complainant_ref),
                PersonRole.COMPLAINANT.value,
            ),
        )

    def insert_person(self, event: PersonLinked) -> None:
        self.view.execute(
            f"INSERT INTO {self.t.people}"  # noqa: S608
            " (case_id, version, person_ref, role, vulnerabilities, self_declared)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, version) DO NOTHING",
            (
                self.store.uuid_param(event.originator_id),
                event.originator_version,
                self.store.uuid_param(event.person_ref),
                event.role.value,
                ",".join(sorted(v.value for v in event.vulnerabilities)),
                int(event.self_declared_repeat_victim),
            ),
        )

    def insert_incident(self, event: IncidentRecorded) -> None:
        s = self.store
        case_id = s.uuid_param(event.originator_id)
        incident_id = s.uuid_param(event.incident_id)
        self.view.execute(
            f"INSERT INTO {self.t.incidents}"  # noqa: S608
            " (incident_id, case_id, occurred_at, harms, criminal) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (incident_id) DO NOTHING",
            (
                incident_id,
                case_id,
                s.time_param(event.occurred_at),
                ",".join(sorted(h.value for h in event.harms)),
                int(event.criminal),
            ),
        )
        for ref in event.victim_refs:
            self.view.execute(
                f"INSERT INTO {self.t.victims} (person_ref, incident_id, case_id)"  # noqa: S608
                " VALUES (?, ?, ?) ON CONFLICT (person_ref, incident_id) DO NOTHING",
                (s.uuid_param(ref), incident_id, case_id),
            )

    def insert_place(self, case_id: UUID, place: str) -> None:
        """The case is about, or had an incident at, ``place`` (a UPRN or a keyed hash)."""
        self.view.execute(
            f"INSERT INTO {self.t.places} (case_id, place)"  # noqa: S608
            " VALUES (?, ?) ON CONFLICT (case_id, place) DO NOTHING",
            (self.store.uuid_param(case_id), place),
        )

    def insert_merge(self, event: PersonMerged) -> None:
        """A record merged into another: every reader takes the two as one person."""
        self.view.execute(
            f"INSERT INTO {self.t.merges} (person_ref, into_ref)"  # noqa: S608
            " VALUES (?, ?) ON CONFLICT (person_ref) DO NOTHING",
            (self.store.uuid_param(event.person_ref), self.store.uuid_param(event.into)),
        )

    def insert_assessment(self, event: RiskAssessed) -> None:
        s = self.store
        self.view.execute(
            f"INSERT INTO {self.t.assessments}"  # noqa: S608
            " (case_id, version, victim_ref, instrument, instrument_version, score,"
            " computed_level, level, overridden, assessed_at, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, version) DO NOTHING",
            (
                s.uuid_param(event.originator_id),
                event.originator_version,
                None if event.victim_ref is None else s.uuid_param(event.victim_ref),
                event.instrument,
                event.instrument_version,
                event.score,
                event.computed_level.value,
                event.level.value,
                int(event.override is not None),
                s.time_param(event.occurred_at),
                s.time_param(event.timestamp),
            ),
        )
