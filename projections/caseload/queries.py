"""Reading the caseload view: which cases a caller asked for (open, or closed with an ASB Case
Review outstanding), and judging them at a moment."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from ledger.enums import CaseReviewDecision, Department, RiskLevel
from ledger.thresholds import Timescales
from projections.caseload.model import CaseloadEntry, CaseloadFacts, CaseReviewSteps, dues
from projections.caseload.store import REVIEW_OUTSTANDING, CaseloadTables
from projections.paging import uuid_in, visible
from projections.store import Row, ViewStore
from projections.visibility import Visibility

UNASSESSED = "unassessed"


def listed(tables: CaseloadTables) -> str:
    """The condition on a case row (``c``) of being on the caseload: open, or closed with an
    ASB Case Review outstanding."""
    return (
        f"(c.status = 'open' OR EXISTS (SELECT 1 FROM {tables.case_reviews} r"  # noqa: S608
        f" WHERE r.case_id = c.case_id AND {REVIEW_OUTSTANDING}))"
    )


def case_filters(
    store: ViewStore,
    tables: CaseloadTables,
    visibility: Visibility,
    team: str | None,
    officer: str | None,
    risk_level: str | RiskLevel | None,
    lead_department: str | None,
) -> tuple[list[str], list[object]] | None:
    level: str | None = None
    if isinstance(risk_level, RiskLevel):
        level = risk_level.value
    elif risk_level is not None:
        level = risk_level if risk_level == UNASSESSED else RiskLevel(risk_level).value
    seen = visible(store, visibility)
    if seen is None:
        return None
    conditions, params = seen
    conditions = [*conditions, listed(tables)]
    params = list(params)
    for column, value in (
        ("team", team),
        ("officer", officer),
        ("lead_department", lead_department),
    ):
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(value)
    if level == UNASSESSED:
        conditions.append("risk_level IS NULL")
    elif level is not None:
        conditions.append("risk_level = ?")
        params.append(level)
    return conditions, params


def read_entries(
    store: ViewStore,
    tables: CaseloadTables,
    rows: Sequence[Row],
    *,
    now: datetime,
    timescales: Timescales,
) -> list[CaseloadEntry]:
    """Case rows (``CASE_COLUMNS``) with their open actions and unreferred criminal
    incidents, judged at ``now``: two more reads per batch."""
    if not rows:
        return []
    ids = [store.uuid_value(row[0]) for row in rows]
    actions: dict[UUID, list[tuple[str, date]]] = defaultdict(list)
    unreferred: dict[UUID, list[tuple[UUID, datetime]]] = defaultdict(list)
    condition, param = uuid_in(store, "case_id", ids)
    for case_id, action_id, due in store.select(
        store.sql(
            f"SELECT case_id, action_id, due FROM {tables.actions}"  # noqa: S608
            f" WHERE {condition} AND status = 'open'"
        ),
        (param,),
    ):
        actions[store.uuid_value(case_id)].append((str(action_id), date.fromisoformat(due)))
    for case_id, incident_id, recorded_at in store.select(
        store.sql(
            f"SELECT case_id, incident_id, recorded_at FROM {tables.criminal}"  # noqa: S608
            f" WHERE {condition} AND referred_at IS NULL"
        ),
        (param,),
    ):
        unreferred[store.uuid_value(case_id)].append(
            (store.uuid_value(incident_id), store.time_value(recorded_at))
        )
    reviews: dict[UUID, list[CaseReviewSteps]] = defaultdict(list)
    of_cases, cases_param = uuid_in(store, "r.case_id", ids)
    for case_id, request_id, received_at, acknowledged_at, decision, concluded_at in store.select(
        store.sql(
            "SELECT case_id, request_id, received_at, acknowledged_at, decision,"  # noqa: S608
            f" concluded_at FROM {tables.case_reviews} r WHERE {of_cases} AND {REVIEW_OUTSTANDING}"
        ),
        (cases_param,),
    ):
        reviews[store.uuid_value(case_id)].append(
            CaseReviewSteps(
                request_id=store.uuid_value(request_id),
                received_at=store.time_value(received_at),
                acknowledged=acknowledged_at is not None,
                decision=CaseReviewDecision(decision or CaseReviewDecision.PENDING.value),
                concluded=concluded_at is not None,
            )
        )
    entries = []
    for case_id, row in zip(ids, rows, strict=True):
        facts = CaseloadFacts(
            case_id=case_id,
            reference=str(row[1]),
            lead_department=Department(row[2]),
            team=row[3],
            officer=row[4],
            risk_level=None if row[5] is None else RiskLevel(row[5]),
            received_at=store.time_value(row[6]),
            version=int(row[7]),
            opened_position=int(row[8]),
            first_contact_at=None if row[9] is None else store.time_value(row[9]),
            agreed_first_contact=_date(row[10]),
            next_review=_date(row[11]),
            target_resolution=_date(row[12]),
            risk_assessed_at=None if row[13] is None else store.time_value(row[13]),
            open_actions=tuple(sorted(actions.get(case_id, []))),
            unreferred=tuple(sorted(unreferred.get(case_id, []), key=lambda u: (u[1], str(u[0])))),
            closed=row[14] != "open",
            case_reviews=tuple(
                sorted(reviews.get(case_id, []), key=lambda r: (r.received_at, str(r.request_id)))
            ),
        )
        entries.append(dues(facts, now=now, timescales=timescales))
    return entries


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))
