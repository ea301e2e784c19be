"""The ASB Case Review (Community Trigger) view's catch-up over 100,000 events, on both stores,
against a raw paged loop that writes the same rows (issue 12).

Measured as the other views are (``bench/projections.py``'s ``catch_up``): the product is
``ViewRunner(ledger, [CaseReviews(...)], page_size=500).catch_up()`` into fresh tables,
interleaved round by round with ``RawLoop`` and the writer here, which reads the same pages,
parses the stored JSON with ``json.loads``, and sends the statements the view's handlers send
(``projections/case_reviews/``), in the same order, one transaction per page with the
tracking once; the two sets of tables are then compared row for row. The ledger is
``bench.population`` with places on: cases and incidents name a UPRN of 5,000 (v2 events),
so the view keeps place keys as well as alleged perpetrators.
"""

from __future__ import annotations

import contextlib
import sys
import time
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from bench.common import Figure, Store, store
from bench.population import fill
from bench.projections import catch_up
from bench.projections_raw import RawWriter, Statement
from ledger.events import (
    CaseAssigned,
    CaseClosed,
    CaseOpened,
    CaseOpenedV2,
    CaseReopened,
    CaseReviewRequested,
    IncidentRecorded,
    IncidentRecordedV2,
    PersonLinked,
)
from ledger.type_names import stored_class
from projections.case_reviews.model import ProblemKind
from projections.case_reviews.projection import CaseReviews
from projections.case_reviews.store import CASE_COLUMNS
from projections.store import open_view_store
from projections.view import View

EVENTS = 100_000
QUICK_EVENTS = 10_000
_KINDS = (
    (CaseOpenedV2, "opened_at"),
    (CaseOpened, "opened"),
    (IncidentRecordedV2, "incident_at"),
    (IncidentRecorded, "incident"),
    (PersonLinked, "linked"),
    (CaseReviewRequested, "requested"),
    (CaseAssigned, "assigned"),
    (CaseClosed, "closed"),
    (CaseReopened, "reopened"),
)


def _data(value: Any) -> Any:
    return value["_data_"] if isinstance(value, dict) else value


class RawCaseReviews(RawWriter):
    """The view's statements for one notification, from its stored JSON: one statement per
    write, as the view's handlers make them (the runner sends adjacent runs of one statement
    as one ``executemany``, as the raw loops of the other views do)."""

    view = CaseReviews

    def __init__(self, target: View) -> None:
        super().__init__(target)
        assert isinstance(target, CaseReviews)
        self.topics = frozenset(target.projection().topics)
        self.kinds = {topic: self._kind(topic) for topic in self.topics}
        t = target.tables
        self.insert_case = (
            f"INSERT INTO {t.cases} ({CASE_COLUMNS})"
            " VALUES (?, ?, 'open', NULL, NULL, ?, ?, ?, ?) ON CONFLICT (case_id) DO NOTHING"
        )
        self.insert_incident = (
            f"INSERT INTO {t.incidents}"
            " (case_id, incident_id, occurred_at, recorded_at, victim_refs)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (case_id, incident_id) DO NOTHING"
        )
        self.insert_problem = (
            f"INSERT INTO {t.problems} (kind, problem_key, case_id)"
            " VALUES (?, ?, ?) ON CONFLICT (kind, problem_key, case_id) DO NOTHING"
        )
        self.insert_request = (
            f"INSERT INTO {t.requests} (case_id, request_id, received_at)"
            " VALUES (?, ?, ?) ON CONFLICT (case_id, request_id) DO NOTHING"
        )
        self.cases_table = t.cases

    @staticmethod
    def _kind(topic: str) -> str:
        cls = stored_class(topic)
        return next((name for kind, name in _KINDS if issubclass(cls, kind)), "other")

    def time(self, value: Any) -> object:
        return self.store.time_param(datetime.fromisoformat(_data(value)))

    def update(self, note: Notification, case: object, **columns: object) -> Statement:
        sets = "".join(f"{name} = ?, " for name in columns)
        version = note.originator_version
        return (
            f"UPDATE {self.cases_table} SET {sets}last_version = ?"
            " WHERE case_id = ? AND last_version < ?",
            (*columns.values(), version, case, version),
        )

    def problem(self, case: object, kind: ProblemKind, key: str) -> Statement:
        return (self.insert_problem, (kind.value, key, case))

    def rows(self, note: Notification, state: dict[str, Any]) -> list[Statement]:
        kind = self.kinds[note.topic]
        case = self.param(note.originator_id)
        if kind in ("opened", "opened_at"):
            found: list[Statement] = [
                (
                    self.insert_case,
                    (
                        case,
                        state["reference"],
                        note.id,
                        note.originator_version,
                        self.time(state["received_at"]),
                        self.param(UUID(_data(state["complainant_ref"]))),
                    ),
                )
            ]
            if kind == "opened_at":
                found.append(self.problem(case, ProblemKind.PLACE, state["place"]))
            return found
        if kind == "assigned":
            return [self.update(note, case, team=state["team"], officer=state["officer"])]
        if kind == "closed":
            return [self.update(note, case, status="closed")]
        if kind == "reopened":
            return [self.update(note, case, status="open")]
        found = []
        if kind == "linked" and _data(state["role"]) == "alleged_perpetrator":
            key = str(UUID(_data(state["person_ref"])))
            found.append(self.problem(case, ProblemKind.PERPETRATOR, key))
        elif kind in ("incident", "incident_at"):
            if kind == "incident_at" and state.get("place") is not None:
                found.append(self.problem(case, ProblemKind.PLACE, state["place"]))
            victims = ",".join(str(UUID(_data(ref))) for ref in state["victim_refs"])
            found.append(
                (
                    self.insert_incident,
                    (
                        case,
                        self.param(UUID(_data(state["incident_id"]))),
                        self.time(state["occurred_at"]),
                        self.time(state["timestamp"]),
                        victims,
                    ),
                )
            )
        elif kind == "requested":
            found.append(
                (
                    self.insert_request,
                    (
                        case,
                        self.param(UUID(_data(state["request_id"]))),
                        self.time(state["received_at"]),
                    ),
                )
            )
        found.append(self.update(note, case))
        return found


def run(stores: list[str], seconds: float, *, quick: bool = False) -> list[Figure]:
    """The section for ``bench.run``: catch-up at 100,000 events (10,000 with ``quick``),
    3 interleaved rounds (1 with ``quick``) after a warm-up, on each store."""
    del seconds  # rounds, not seconds, bound these runs
    events = QUICK_EVENTS if quick else EVENTS
    rounds = 1 if quick else 3
    figures: list[Figure] = []
    with contextlib.ExitStack() as stack:
        wheres: list[Store] = [stack.enter_context(store(kind)) for kind in stores]
        ledgers = [where.ledger() for where in wheres]
        try:
            t0 = time.perf_counter()
            head = fill(ledgers, events, places=True)
            built = time.perf_counter() - t0
            print(f"    {head:,} notifications made in {built:.0f} s", file=sys.stderr)
            for where, ledger in zip(wheres, ledgers, strict=True):
                views = open_view_store(ledger.store_config)
                try:
                    found = catch_up(ledger, where, views, CaseReviews, rounds, RawCaseReviews)
                finally:
                    views.close()
                figures += [
                    Figure(
                        "case_reviews",
                        f.store,
                        f.workload,
                        f.rate,
                        f.unit,
                        f.ratio,
                        f.baseline,
                        f.target,
                        f.note,
                    )
                    for f in found
                ]
        finally:
            for ledger in ledgers:
                ledger.close()
    return figures
