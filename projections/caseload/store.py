"""The caseload view's tables: their SQL, the writes its handlers make, and reading a batch back."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol
from uuid import UUID

from ledger.enums import PersonRole
from ledger.events import (
    ActionCancelled,
    ActionCompleted,
    ActionPlanned,
    CaseOpened,
    CaseReviewAcknowledged,
    CaseReviewConcluded,
    CaseReviewDecided,
    CaseReviewRequested,
    ContactRecorded,
    IncidentRecorded,
    PoliceReferralMade,
)
from projections.case_rows import CaseRowTables, CaseRowWriter, Executes
from projections.store import Row, ViewStore
from projections.tables import table

CASE_COLUMNS = (
    "case_id, reference, lead_department, team, officer, risk_level, received_at,"
    " last_version, opened_position, first_contact_at, agreed_first_contact, next_review,"
    " target_resolution, risk_assessed_at, status"
)
REVIEW_OUTSTANDING = (
    "(r.decision IS NULL OR (r.decision = 'threshold_met' AND r.concluded_at IS NULL))"
)
"""An ASB Case Review request (``r``) not decided, or decided met and not concluded."""
_UPDATABLE = frozenset(
    {
        "status",
        "team",
        "officer",
        "risk_level",
        "risk_assessed_at",
        "agreed_first_contact",
        "next_review",
        "target_resolution",
    }
)


class CaseloadTables(CaseRowTables):
    cases: str = table("asb_view_caseload_cases", key="case_id")
    people: str = table("asb_view_caseload_people", key="case_id, person_ref, role")
    actions: str = table("asb_view_caseload_actions", key="case_id, action_id")
    criminal: str = table("asb_view_caseload_criminal", key="incident_id")
    case_reviews: str = table("asb_view_caseload_case_reviews", key="request_id")
    retention: str = table("asb_view_caseload_retention", key="case_id")

    def statements(self, store: ViewStore, index: str) -> list[str]:
        uuid, bigint, time = (store.types[k] for k in ("uuid", "bigint", "time"))
        return [
            f"CREATE TABLE IF NOT EXISTS {self.cases} ("
            f" case_id {uuid} PRIMARY KEY, reference TEXT NOT NULL, status TEXT NOT NULL,"
            " lead_department TEXT NOT NULL, team TEXT, officer TEXT, risk_level TEXT,"
            f" received_at {time} NOT NULL, last_version {bigint} NOT NULL,"
            f" opened_position {bigint} NOT NULL UNIQUE, first_contact_at {time},"
            " agreed_first_contact TEXT, next_review TEXT, target_resolution TEXT,"
            f" risk_assessed_at {time})",
            f"CREATE TABLE IF NOT EXISTS {self.people} ("
            f" case_id {uuid} NOT NULL, person_ref {uuid} NOT NULL, role TEXT NOT NULL,"
            " PRIMARY KEY (case_id, person_ref, role))",
            f"CREATE TABLE IF NOT EXISTS {self.actions} ("
            f" case_id {uuid} NOT NULL, action_id TEXT NOT NULL, due TEXT NOT NULL,"
            " status TEXT NOT NULL, PRIMARY KEY (case_id, action_id))",
            f"CREATE TABLE IF NOT EXISTS {self.criminal} ("
            f" incident_id {uuid} PRIMARY KEY, case_id {uuid} NOT NULL,"
            f" recorded_at {time} NOT NULL, referred_at {time})",
            f"CREATE TABLE IF NOT EXISTS {self.case_reviews} ("
            f" request_id {uuid} PRIMARY KEY, case_id {uuid} NOT NULL,"
            f" received_at {time} NOT NULL, acknowledged_at {time}, decision TEXT,"
            f" concluded_at {time})",
            f"CREATE TABLE IF NOT EXISTS {self.retention} ("
            f" case_id {uuid} PRIMARY KEY, reference TEXT NOT NULL, category TEXT NOT NULL,"
            " closed_on TEXT, due_on TEXT, erased_on TEXT,"
            f" last_version {bigint} NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_people_person')}"
            f" ON {self.people} (person_ref)",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_retention_due')}"
            f" ON {self.retention} (due_on)",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_case_review_case')}"
            f" ON {self.case_reviews} (case_id)",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_open')}"
            f" ON {self.cases} (status, opened_position)",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_criminal_case')}"
            f" ON {self.criminal} (case_id)",
        ]

    def select_cases(
        self,
        store: ViewStore,
        conditions: Sequence[str],
        params: Sequence[object],
        after: int,
        count: int,
    ) -> list[Row]:
        where = " AND ".join([*conditions, "opened_position > ?"])
        return store.select(
            store.sql(
                f"SELECT {CASE_COLUMNS} FROM {self.cases} c WHERE {where}"  # noqa: S608
                " ORDER BY opened_position LIMIT ?"
            ),
            (*params, after, count),
        )


class _Caseload(Executes, Protocol):
    tables: CaseloadTables


class CaseloadWriter(CaseRowWriter):
    """The writes the caseload's handlers make, inside the view's open page."""

    updatable = _UPDATABLE

    def __init__(self, view: _Caseload) -> None:
        super().__init__(view)
        self.caseload = view

    @property
    def t(self) -> CaseloadTables:
        return self.caseload.tables

    @property
    def cases_table(self) -> str:
        return self.t.cases

    def insert_case(self, event: CaseOpened, position: int) -> None:
        s = self.store
        self.view.execute(
            f"INSERT INTO {self.t.cases} (case_id, reference, status, lead_department,"  # noqa: S608
            " received_at, last_version, opened_position) VALUES (?, ?, 'open', ?, ?, ?, ?)"
            " ON CONFLICT (case_id) DO NOTHING",
            (
                s.uuid_param(event.originator_id),
                event.reference,
                event.lead_department.value,
                s.time_param(event.received_at),
                event.originator_version,
                position,
            ),
        )
        self.view.execute(
            f"INSERT INTO {self.t.retention} (case_id, reference, category, last_version)"  # noqa: S608
            " VALUES (?, ?, ?, ?) ON CONFLICT (case_id) DO NOTHING",
            (
                s.uuid_param(event.originator_id),
                event.reference,
                event.category.value,
                event.originator_version,
            ),
        )
        self.insert_person(event.originator_id, event.complainant_ref, PersonRole.COMPLAINANT)

    def insert_person(self, case_id: UUID, person_ref: UUID, role: PersonRole) -> None:
        self.view.execute(
            f"INSERT INTO {self.t.people} (case_id, person_ref, role) VALUES (?, ?, ?)"  # noqa: S608
            " ON CONFLICT DO NOTHING",
            (self.store.uuid_param(case_id), self.store.uuid_param(person_ref), role.value),
        )

    def contact(self, event: ContactRecorded, roles: Iterable[PersonRole]) -> None:
        """The first contact, if it was with a person linked in one of ``roles``."""
        codes = ", ".join(f"'{role.value}'" for role in sorted(roles, key=lambda r: r.value))
        s = self.store
        with_person = (
            f"SELECT 1 FROM {self.t.people} p WHERE p.case_id = ?"  # noqa: S608 - names from code
            f" AND p.person_ref = ? AND p.role IN ({codes})"
        )
        self.versioned(
            event,
            f"first_contact_at = CASE WHEN first_contact_at IS NULL AND EXISTS ({with_person})"
            " THEN ? ELSE first_contact_at END, ",
            (
                s.uuid_param(event.originator_id),
                s.uuid_param(event.person_ref),
                s.time_param(event.occurred_at),
            ),
        )

    def insert_action(self, event: ActionPlanned) -> None:
        self.view.execute(
            f"INSERT INTO {self.t.actions} (case_id, action_id, due, status)"  # noqa: S608
            " VALUES (?, ?, ?, 'open') ON CONFLICT (case_id, action_id) DO NOTHING",
            (self.store.uuid_param(event.originator_id), event.action_id, event.due.isoformat()),
        )

    def finish_action(self, event: ActionCompleted | ActionCancelled, status: str) -> None:
        self.view.execute(
            f"UPDATE {self.t.actions} SET status = ?"  # noqa: S608
            " WHERE case_id = ? AND action_id = ? AND status = 'open'",
            (status, self.store.uuid_param(event.originator_id), event.action_id),
        )

    def settle_actions(self, case_id: UUID, action_ids: Sequence[str]) -> None:
        """Actions the case's closure cancelled."""
        for action_id in action_ids:
            self.view.execute(
                f"UPDATE {self.t.actions} SET status = 'cancelled'"  # noqa: S608
                " WHERE case_id = ? AND action_id = ? AND status = 'open'",
                (self.store.uuid_param(case_id), action_id),
            )

    def insert_criminal(self, event: IncidentRecorded) -> None:
        s = self.store
        self.view.execute(
            f"INSERT INTO {self.t.criminal} (incident_id, case_id, recorded_at)"  # noqa: S608
            " VALUES (?, ?, ?) ON CONFLICT (incident_id) DO NOTHING",
            (
                s.uuid_param(event.incident_id),
                s.uuid_param(event.originator_id),
                s.time_param(event.timestamp),
            ),
        )

    def referred(self, event: PoliceReferralMade) -> None:
        s = self.store
        for incident_id in event.incident_ids:
            self.view.execute(
                f"UPDATE {self.t.criminal} SET referred_at = ?"  # noqa: S608
                " WHERE incident_id = ? AND case_id = ? AND referred_at IS NULL",
                (
                    s.time_param(event.timestamp),
                    s.uuid_param(incident_id),
                    s.uuid_param(event.originator_id),
                ),
            )

    def request_case_review(self, event: CaseReviewRequested) -> None:
        s = self.store
        self.view.execute(
            f"INSERT INTO {self.t.case_reviews} (request_id, case_id, received_at)"  # noqa: S608
            " VALUES (?, ?, ?) ON CONFLICT (request_id) DO NOTHING",
            (
                s.uuid_param(event.request_id),
                s.uuid_param(event.originator_id),
                s.time_param(event.received_at),
            ),
        )

    def case_review_step(
        self,
        event: CaseReviewAcknowledged | CaseReviewDecided | CaseReviewConcluded,
        column: str,
        value: object,
    ) -> None:
        """A step of a request recorded (``column`` set), once."""
        self.view.execute(
            f"UPDATE {self.t.case_reviews} SET {column} = ?"  # noqa: S608 - names from code
            f" WHERE request_id = ? AND case_id = ? AND {column} IS NULL",
            (
                value,
                self.store.uuid_param(event.request_id),
                self.store.uuid_param(event.originator_id),
            ),
        )
