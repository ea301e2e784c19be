"""The ASB Case Review view's tables: their SQL and the writes its handlers make (in a page)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from ledger.events import CaseEvent, CaseOpened, CaseReviewRequested, IncidentRecorded
from projections.case_reviews.model import ProblemKind
from projections.case_rows import CaseRowTables, CaseRowWriter, Executes
from projections.store import ViewStore
from projections.tables import table

CASE_COLUMNS = (
    "case_id, reference, status, team, officer, opened_position, last_version,"
    " received_at, complainant_ref"
)


class CaseReviewTables(CaseRowTables):
    cases: str = table("asb_view_case_review_cases", key="case_id")
    incidents: str = table("asb_view_case_review_incidents", key="case_id, incident_id")
    problems: str = table("asb_view_case_review_problems", key="kind, problem_key, case_id")
    requests: str = table("asb_view_case_review_requests", key="case_id, request_id")

    def statements(self, store: ViewStore, index: str) -> list[str]:
        uuid, bigint, time = (store.types[k] for k in ("uuid", "bigint", "time"))
        t = self
        return [
            f"CREATE TABLE IF NOT EXISTS {t.cases} ("
            f" case_id {uuid} PRIMARY KEY, reference TEXT NOT NULL, status TEXT NOT NULL,"
            f" team TEXT, officer TEXT, opened_position {bigint} NOT NULL UNIQUE,"
            f" last_version {bigint} NOT NULL, received_at {time} NOT NULL,"
            f" complainant_ref {uuid} NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {t.incidents} ("
            f" case_id {uuid} NOT NULL, incident_id {uuid} NOT NULL,"
            f" occurred_at {time} NOT NULL, recorded_at {time} NOT NULL,"
            " victim_refs TEXT NOT NULL, PRIMARY KEY (case_id, incident_id))",
            f"CREATE TABLE IF NOT EXISTS {t.problems} ("
            f" kind TEXT NOT NULL, problem_key TEXT NOT NULL, case_id {uuid} NOT NULL,"
            " PRIMARY KEY (kind, problem_key, case_id))",
            f"CREATE TABLE IF NOT EXISTS {t.requests} ("
            f" case_id {uuid} NOT NULL, request_id {uuid} NOT NULL,"
            f" received_at {time} NOT NULL, PRIMARY KEY (case_id, request_id))",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_problems_case')}"
            f" ON {t.problems} (case_id)",
            f"CREATE INDEX IF NOT EXISTS {store.ident(index + '_team')}"
            f" ON {t.cases} (team, opened_position)",
        ]


class _CaseReviews(Executes, Protocol):
    tables: CaseReviewTables

    def later(self, statement: str, params: Sequence[object]) -> None: ...

    def moved_on(self, case_id: UUID, version: int) -> None: ...

    def send_held(self) -> None: ...


class CaseReviewWriter(CaseRowWriter):
    """The writes the view's handlers make, inside its open page; every row is inserted
    once, keyed by what it records."""

    updatable = frozenset({"status", "team", "officer"})

    def __init__(self, view: _CaseReviews) -> None:
        super().__init__(view)
        self.reviews = view

    @property
    def t(self) -> CaseReviewTables:
        return self.reviews.tables

    @property
    def cases_table(self) -> str:
        return self.t.cases

    def update(self, event: CaseEvent, **columns: object) -> None:
        """A change of status, team or officer is written at once; an event that only moves
        the case's version on is folded into one guarded update per case at the page's end
        (the same rows: versions only rise, and each update is guarded by the row's)."""
        if columns:
            super().update(event, **columns)
        else:
            self.reviews.moved_on(event.originator_id, event.originator_version)

    def insert_case(self, event: CaseOpened, position: int) -> None:
        s = self.store
        self.view.execute(
            f"INSERT INTO {self.t.cases} ({CASE_COLUMNS})"  # noqa: S608 - names from code
            " VALUES (?, ?, 'open', NULL, NULL, ?, ?, ?, ?) ON CONFLICT (case_id) DO NOTHING",
            (
                s.uuid_param(event.originator_id),
                event.reference,
                position,
                event.originator_version,
                s.time_param(event.received_at),
                s.uuid_param(event.complainant_ref),
            ),
        )

    def insert_incident(self, event: IncidentRecorded) -> None:
        s = self.store
        self.reviews.later(
            f"INSERT INTO {self.t.incidents}"  # noqa: S608
            " (case_id, incident_id, occurred_at, recorded_at, victim_refs)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (case_id, incident_id) DO NOTHING",
            (
                s.uuid_param(event.originator_id),
                s.uuid_param(event.incident_id),
                s.time_param(event.occurred_at),
                s.time_param(event.timestamp),
                ",".join(str(ref) for ref in event.victim_refs),
            ),
        )

    def insert_problem(self, case_id: UUID, kind: ProblemKind, key: str) -> None:
        """The hook for "the same problem": the case shares ``kind``/``key`` with every other
        case holding it. Alleged perpetrators feed it now; a place key joins the same way."""
        self.reviews.later(
            f"INSERT INTO {self.t.problems} (kind, problem_key, case_id)"  # noqa: S608
            " VALUES (?, ?, ?) ON CONFLICT (kind, problem_key, case_id) DO NOTHING",
            (kind.value, key, self.store.uuid_param(case_id)),
        )

    def merge_problems(self, kind: ProblemKind, merged: str, into: str) -> None:
        """Every case holding ``merged``'s key holds ``into``'s instead (a merged record)."""
        self.view.execute(
            f"INSERT INTO {self.t.problems} (kind, problem_key, case_id)"  # noqa: S608
            f" SELECT kind, ?, case_id FROM {self.t.problems} WHERE kind = ? AND problem_key = ?"
            " ON CONFLICT (kind, problem_key, case_id) DO NOTHING",
            (into, kind.value, merged),
        )
        self.view.execute(
            f"DELETE FROM {self.t.problems} WHERE kind = ? AND problem_key = ?",  # noqa: S608
            (kind.value, merged),
        )

    def insert_request(self, event: CaseReviewRequested) -> None:
        s = self.store
        self.reviews.later(
            f"INSERT INTO {self.t.requests} (case_id, request_id, received_at)"  # noqa: S608
            " VALUES (?, ?, ?) ON CONFLICT (case_id, request_id) DO NOTHING",
            (
                s.uuid_param(event.originator_id),
                s.uuid_param(event.request_id),
                s.time_param(event.received_at),
            ),
        )
