"""Reading the ASB Case Review view's facts for a batch of cases, and judging them at a moment.

Five reads per batch whatever its size: the batch's problems, the other cases sharing them,
those cases' rows, and every case's incidents and review requests.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

from ledger.thresholds import CaseReviewThresholds
from projections.case_reviews.model import (
    CaseFacts,
    CaseReviewStatus,
    IncidentFact,
    ProblemKind,
    judge_case,
)
from projections.case_reviews.store import CASE_COLUMNS, CaseReviewTables
from projections.paging import uuid_in
from projections.store import Row, ViewStore


class CaseReviewFacts:
    """Reads facts from the view's tables."""

    def __init__(self, store: ViewStore, tables: CaseReviewTables) -> None:
        self.store = store
        self.tables = tables

    def _select(self, columns: str, table: str, column: str, ids: Iterable[UUID]) -> list[Row]:
        condition, param = uuid_in(self.store, column, ids)
        return self.store.select(
            self.store.sql(f"SELECT {columns} FROM {table} WHERE {condition}"),  # noqa: S608
            (param,),
        )

    def judge(
        self, rows: Sequence[Row], *, now: datetime, rules: CaseReviewThresholds
    ) -> list[CaseReviewStatus]:
        """Case rows (``CASE_COLUMNS``), each judged at ``now`` on itself and its problems."""
        if not rows:
            return []
        s, t = self.store, self.tables
        batch = [s.uuid_value(row[0]) for row in rows]
        keys: dict[UUID, set[tuple[ProblemKind, str]]] = defaultdict(set)
        for kind, key, case_id in self._select(
            "kind, problem_key, case_id", t.problems, "case_id", batch
        ):
            keys[s.uuid_value(case_id)].add((ProblemKind(kind), str(key)))
        wanted = set().union(*keys.values()) if keys else set()
        members: dict[tuple[ProblemKind, str], set[UUID]] = defaultdict(set)
        if wanted:
            condition = s.in_list("problem_key")
            for kind, key, case_id in s.select(
                s.sql(
                    f"SELECT kind, problem_key, case_id FROM {t.problems}"  # noqa: S608
                    f" WHERE {condition}"
                ),
                (s.list_param({key for _, key in wanted}),),
            ):
                problem = (ProblemKind(kind), str(key))
                if problem in wanted:
                    members[problem].add(s.uuid_value(case_id))
        involved = set(batch).union(*members.values())
        others = [row for row in self._cases(involved - set(batch))]
        facts = self._facts([*rows, *others])
        judged = []
        for case_id in batch:
            problems = [
                (kind, key, [facts[m] for m in sorted(members[(kind, key)], key=str)])
                for kind, key in sorted(keys.get(case_id, ()), key=lambda p: (p[0].value, p[1]))
            ]
            judged.append(judge_case(facts[case_id], problems, now=now, rules=rules))
        return judged

    def _cases(self, ids: set[UUID]) -> list[Row]:
        if not ids:
            return []
        return self._select(CASE_COLUMNS, self.tables.cases, "case_id", ids)

    def _facts(self, rows: Sequence[Row]) -> dict[UUID, CaseFacts]:
        s, t = self.store, self.tables
        ids = [s.uuid_value(row[0]) for row in rows]
        incidents: dict[UUID, list[IncidentFact]] = defaultdict(list)
        for case_id, incident_id, occurred_at, recorded_at, victims in self._select(
            "case_id, incident_id, occurred_at, recorded_at, victim_refs",
            t.incidents,
            "case_id",
            ids,
        ):
            incidents[s.uuid_value(case_id)].append(
                IncidentFact(
                    incident_id=s.uuid_value(incident_id),
                    occurred_at=s.time_value(occurred_at),
                    recorded_at=s.time_value(recorded_at),
                    victim_refs=tuple(UUID(ref) for ref in str(victims).split(",") if ref),
                )
            )
        requested = {
            s.uuid_value(case_id)
            for (case_id,) in self._select("case_id", t.requests, "case_id", ids)
        }
        facts: dict[UUID, CaseFacts] = {}
        for case_id, row in zip(ids, rows, strict=True):
            facts[case_id] = CaseFacts(
                case_id=case_id,
                reference=str(row[1]),
                status=str(row[2]),
                team=row[3],
                officer=row[4],
                opened_position=int(row[5]),
                version=int(row[6]),
                received_at=s.time_value(row[7]),
                complainant_ref=s.uuid_value(row[8]),
                incidents=tuple(
                    sorted(
                        incidents.get(case_id, []),
                        key=lambda i: (i.occurred_at, str(i.incident_id)),
                    )
                ),
                requested=case_id in requested,
            )
        return facts
