"""The raw loops that projection catch-up is measured against (``bench/projections.py``).

Each ``RawWriter`` works out what a view writes for a notification from its stored JSON
(``json.loads`` and dict lookups: no transcodings, no domain objects, no dispatch) and
holds back what the view holds back to the end of the page; ``RawLoop`` reads the same
pages as the runner and writes each page and its tracking in one transaction, on a
connection of its own.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import Notification

from bench.common import Store
from ledger.application import CaseLedger
from projections.directory.projection import CaseDirectory
from projections.stats.model import subject_token
from projections.stats.projection import AnalystStats
from projections.view import TRACKING_TABLE, View

PAGE = 500
Statement = tuple[str, tuple[object, ...]]


def _data(value: Any) -> Any:
    return value["_data_"] if isinstance(value, dict) else value


def _uuid(value: Any) -> UUID:
    return UUID(_data(value))


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


class RawWriter:
    """What a view writes for one notification, worked out from the stored JSON directly."""

    view: type[View]
    topics: frozenset[str]

    def __init__(self, target: View) -> None:
        self.store = target.store
        self.target = target

    def param(self, value: object) -> object:
        return self.store.uuid_param(value if isinstance(value, UUID) else UUID(str(value)))

    def rows(self, note: Notification, state: dict[str, Any]) -> list[Statement]:
        """Statements to send for one notification, in order (or none, if held back)."""
        raise NotImplementedError

    def flush(self) -> list[Statement]:
        """Statements held back until the end of the page."""
        return []


class RawDirectory(RawWriter):
    """The directory's rows, folded per case for the page and sent as the view sends them
    (``projections/directory/writes.py``): the cases opened in the page as multi-row
    inserts carrying their latest values, then the shares, then one guarded update per case
    with events after its opening, an ``executemany`` per set of columns."""

    view = CaseDirectory
    COLUMNS = (
        "case_id, reference, status, team, officer, lead_department, category, risk_level,"
        " received_at, opened_position, last_version, last_event_at"
    )
    UPDATABLE = ("status", "team", "officer", "risk_level")

    def __init__(self, target: View) -> None:
        super().__init__(target)
        self.topics = frozenset(target.projection().topics)
        t = self.store.table
        self.rows_table = t("asb_view_case_directory" + target.suffix)
        self.shares = t("asb_view_case_directory_shares" + target.suffix)
        # Per case: [opening or None, its version, highest version, its time, {column: (v, x)}]
        self.cases: dict[UUID, list[Any]] = {}
        self.shared: dict[tuple[UUID, str], None] = {}

    def rows(self, note: Notification, state: dict[str, Any]) -> list[Statement]:
        kind = note.topic.rsplit(".", 2)[-2]
        case, version = note.originator_id, note.originator_version
        assert isinstance(case, UUID)
        entry = self.cases.get(case)
        if entry is None:
            entry = self.cases[case] = [None, 0, 0, None, {}]
        if version > entry[2]:
            entry[2], entry[3] = version, _data(state["timestamp"])
        sets: dict[str, object] = {}
        if kind == "CaseOpened":
            if entry[0] is None:
                entry[0] = (
                    state["reference"],
                    _data(state["lead_department"]),
                    _data(state["category"]),
                    _data(state["received_at"]),
                    note.id,
                )
                entry[1] = version
        elif kind == "CaseAssigned":
            sets = {"team": state["team"], "officer": state["officer"]}
        elif kind == "RiskAssessed":
            sets = {"risk_level": _data(state["level"])}
        elif kind == "InformationShared":
            self.shared[case, _data(state["recipient"])["organisation"]] = None
        elif kind == "CaseClosed":
            sets = {"status": "closed"}
        elif kind == "CaseReopened":
            sets = {"status": "open"}
        folded = entry[4]
        for column, value in sets.items():
            found = folded.get(column)
            if found is None or found[0] < version:
                folded[column] = (version, value)
        return []

    def flush(self) -> list[Statement]:
        param = self.param
        new: list[tuple[object, ...]] = []
        groups: dict[tuple[str, ...], list[tuple[object, ...]]] = {}
        for case, (opening, opened, version, at, folded) in self.cases.items():
            if opening is not None:
                value = {column: found[1] for column, found in folded.items()}
                reference, department, category, received, position = opening
                new.append(
                    (
                        *(param(case), reference, value.get("status", "open")),
                        *(value.get("team"), value.get("officer"), department, category),
                        *(value.get("risk_level"), received, position, version, at),
                    )
                )
            if version > opened:
                columns = tuple(c for c in self.UPDATABLE if c in folded)
                guarded = [x for c in columns for x in folded[c]]
                row = (*guarded, version, at, param(case), version)
                groups.setdefault(columns, []).append(row)
        found = _inserts(self.rows_table, self.COLUMNS, "(case_id) ", new)
        shares = [(param(case), organisation) for case, organisation in self.shared]
        found += _inserts(self.shares, "case_id, organisation", "", shares)
        for columns, rows in groups.items():
            sets = "".join(
                f"{c} = CASE WHEN last_version < ? THEN ? ELSE {c} END, " for c in columns
            )
            sql = (
                f"UPDATE {self.rows_table} SET {sets}last_version = ?, last_event_at = ?"
                " WHERE case_id = ? AND last_version < ?"
            )
            found.extend((sql, row) for row in rows)
        self.cases.clear()
        self.shared.clear()
        return found


def _inserts(
    table: str, columns: str, key: str, rows: Sequence[tuple[object, ...]]
) -> list[Statement]:
    """Multi-row ``INSERT ... ON CONFLICT DO NOTHING``, 250 rows at most in each."""
    found: list[Statement] = []
    width = columns.count(",") + 1
    for start in range(0, len(rows), 250):
        chunk = rows[start : start + 250]
        values = ", ".join(["(" + ", ".join("?" * width) + ")"] * len(chunk))
        found.append(
            (
                f"INSERT INTO {table} ({columns}) VALUES {values} ON CONFLICT {key}DO NOTHING",
                tuple(v for row in chunk for v in row),
            )
        )
    return found


class RawDirectoryPerEvent(RawWriter):
    """The directory's rows as the view wrote them before its writes were folded: one
    statement per event (adjacent runs of one statement as one ``executemany``). Context:
    the baseline the 0.45x and 0.30x of the first run were measured against."""

    view = CaseDirectory

    def __init__(self, target: View) -> None:
        super().__init__(target)
        self.topics = frozenset(target.projection().topics)
        t = self.store.table
        self.rows_table = t("asb_view_case_directory" + target.suffix)
        self.shares = t("asb_view_case_directory_shares" + target.suffix)
        self.insert = (
            f"INSERT INTO {self.rows_table} (case_id, reference, status, team, officer,"
            " lead_department, category, risk_level, received_at, opened_position,"
            " last_version, last_event_at) VALUES (?, ?, 'open', NULL, NULL, ?, ?, NULL, ?, ?,"
            " ?, ?) ON CONFLICT (case_id) DO NOTHING"
        )
        self.share = (
            f"INSERT INTO {self.shares} (case_id, organisation) VALUES (?, ?)"
            " ON CONFLICT DO NOTHING"
        )

    def update(self, note: Notification, state: dict[str, Any], **columns: object) -> Statement:
        sets = "".join(f"{name} = ?, " for name in columns)
        return (
            f"UPDATE {self.rows_table} SET {sets}last_version = ?, last_event_at = ?"
            " WHERE case_id = ? AND last_version < ?",
            (
                *columns.values(),
                note.originator_version,
                _data(state["timestamp"]),
                self.param(note.originator_id),
                note.originator_version,
            ),
        )

    def rows(self, note: Notification, state: dict[str, Any]) -> list[Statement]:
        kind = note.topic.rsplit(".", 2)[-2]
        if kind == "CaseOpened":
            return [
                (
                    self.insert,
                    (
                        self.param(note.originator_id),
                        state["reference"],
                        _data(state["lead_department"]),
                        _data(state["category"]),
                        _data(state["received_at"]),
                        note.id,
                        note.originator_version,
                        _data(state["timestamp"]),
                    ),
                )
            ]
        if kind == "CaseAssigned":
            return [self.update(note, state, team=state["team"], officer=state["officer"])]
        if kind == "RiskAssessed":
            return [self.update(note, state, risk_level=_data(state["level"]))]
        if kind == "InformationShared":
            organisation = _data(state["recipient"])["organisation"]
            return [
                (self.share, (self.param(note.originator_id), organisation)),
                self.update(note, state),
            ]
        if kind == "CaseClosed":
            return [self.update(note, state, status="closed")]
        if kind == "CaseReopened":
            return [self.update(note, state, status="open")]
        return [self.update(note, state)]


class RawStats(RawWriter):
    """The statistics view's rows, held for the page and sent as the view sends them: each
    table's new rows as multi-row inserts, then the version-guarded updates."""

    view = AnalystStats
    columns: dict[str, tuple[str, ...]] = {
        "cases": (
            *("case_id", "opened_month", "received_s", "category", "lead_department"),
            *("channel", "ward", "status", "risk_version", "status_version"),
        ),
        "subjects": ("case_id", "subject", "role", "self_declared"),
        "incidents": (
            *("incident_id", "case_id", "occurred_month", "incident_type", "criminal"),
            *("targeted", "hate_motivated", "violence_or_threat"),
        ),
        "victimisations": ("incident_id", "subject"),
        "contacts": ("case_id", "subject", "contact_s"),
    }

    def __init__(self, target: View) -> None:
        super().__init__(target)
        self.topics = frozenset(target.projection().topics)
        self.tables = {
            name: self.store.table(f"asb_view_stats_{name}" + target.suffix)
            for name in self.columns
        }
        self.inserts: dict[str, list[tuple[object, ...]]] = {name: [] for name in self.columns}
        self.risk: list[tuple[object, ...]] = []
        self.status: list[tuple[object, ...]] = []

    def rows(self, note: Notification, state: dict[str, Any]) -> list[Statement]:
        kind, case = note.topic.rsplit(".", 2)[-2], self.param(note.originator_id)
        add = self.inserts
        version = note.originator_version
        if kind == "CaseOpened":
            received = _data(state["received_at"])
            add["cases"].append(
                (
                    case,
                    received[:7],
                    _epoch(received),
                    _data(state["category"]),
                    _data(state["lead_department"]),
                    _data(state["channel"]),
                    state["ward"],
                    "open",
                    0,
                    0,
                )
            )
            add["subjects"].append(
                (case, subject_token(_uuid(state["complainant_ref"])), "complainant", 0)
            )
        elif kind == "PersonLinked":
            add["subjects"].append(
                (
                    case,
                    subject_token(_uuid(state["person_ref"])),
                    _data(state["role"]),
                    int(state["self_declared_repeat_victim"]),
                )
            )
        elif kind == "IncidentRecorded":
            incident = self.param(_uuid(state["incident_id"]))
            harms = {_data(h) for h in state["harms"]}
            add["incidents"].append(
                (
                    incident,
                    case,
                    _data(state["occurred_at"])[:7],
                    _data(state["incident_type"]),
                    int(state["criminal"]),
                    int("targeted" in harms),
                    int("hate_motivated" in harms),
                    int("violence_or_threat" in harms),
                )
            )
            for ref in state["victim_refs"]:
                add["victimisations"].append((incident, subject_token(_uuid(ref))))
        elif kind == "ContactRecorded":
            if _data(state["outcome"]) in ("reached", "sent"):
                at = _epoch(_data(state["occurred_at"]))
                add["contacts"].append((case, subject_token(_uuid(state["person_ref"])), at))
        elif kind == "RiskAssessed":
            self.risk.append((_data(state["level"]), version, case, version))
        elif kind == "CaseClosed":
            closed = _data(state["occurred_at"])
            reason = _data(state["reason"])
            self.status.append(
                ("closed", reason, closed[:7], _epoch(closed), version, case, version)
            )
        elif kind == "CaseReopened":
            self.status.append(("open", None, None, None, version, case, version))
        return []

    def flush(self) -> list[Statement]:
        found: list[Statement] = []
        for name, rows in self.inserts.items():
            columns = self.columns[name]
            for start in range(0, len(rows), 250):
                chunk = rows[start : start + 250]
                values = ", ".join(["(" + ", ".join("?" * len(columns)) + ")"] * len(chunk))
                found.append(
                    (
                        f"INSERT INTO {self.tables[name]} ({', '.join(columns)}) VALUES"
                        f" {values} ON CONFLICT DO NOTHING",
                        tuple(v for row in chunk for v in row),
                    )
                )
            rows.clear()
        cases = self.tables["cases"]
        for sets, group, rows in (
            ("risk_level = ?, ", "risk", self.risk),
            (
                "status = ?, closure_reason = ?, closed_month = ?, closed_s = ?, ",
                "status",
                self.status,
            ),
        ):
            sql = (
                f"UPDATE {cases} SET {sets}{group}_version = ?"
                f" WHERE case_id = ? AND {group}_version < ?"
            )
            found.extend((sql, row) for row in rows)
            rows.clear()
        return found


RAW: dict[str, Callable[[View], RawWriter]] = {
    CaseDirectory.name: RawDirectory,
    AnalystStats.name: RawStats,
}


class RawLoop:
    """Pages of 500 notifications, one transaction each, on a connection of its own."""

    def __init__(self, ledger: CaseLedger, where: Store, writer: RawWriter) -> None:
        self.recorder = ledger.recorder
        self.writer = writer
        self.kind = where.kind
        view = writer.target
        self.tracking = (
            f"UPDATE {view.store.table(TRACKING_TABLE)} SET notification_id = ?"
            " WHERE view_name = ? AND application_name = ?"
        )
        self.names = (view.view_name, view.application_name)
        config = ledger.store_config
        if self.kind == "sqlite":
            assert config.sqlite_path is not None
            self.sqlite = sqlite3.connect(config.sqlite_path, isolation_level=None)
        else:
            assert config.postgres_conninfo is not None
            self.pg = psycopg.connect(config.postgres_conninfo)

    def close(self) -> None:
        if self.kind == "sqlite":
            self.sqlite.close()
        else:
            self.pg.close()

    def run(self) -> int:
        """From position 0 to the head; returns how many notifications it processed."""
        start, done = 1, 0
        topics, rows = self.writer.topics, self.writer.rows
        loads = json.loads
        while True:
            notes = self.recorder.select_notifications(start, PAGE)
            if not notes:
                return done
            statements: list[Statement] = []
            for note in notes:
                if note.topic in topics:
                    statements.extend(rows(note, loads(note.state)))
            statements.extend(self.writer.flush())
            statements.append((self.tracking, (notes[-1].id, *self.names)))
            self._write(statements)
            done += len(notes)
            start = notes[-1].id + 1
            if len(notes) < PAGE:
                return done

    def _write(self, statements: Sequence[Statement]) -> None:
        runs = _runs(statements)
        if self.kind == "sqlite":
            conn = self.sqlite
            conn.execute("BEGIN IMMEDIATE")
            for sql, params in runs:
                conn.executemany(sql, params)
            conn.execute("COMMIT")
            return
        with self.pg.transaction(), self.pg.pipeline(), self.pg.cursor() as cursor:
            for sql, params in runs:
                cursor.executemany(sql.replace("?", "%s"), params)


def _runs(statements: Iterable[Statement]) -> list[tuple[str, list[tuple[object, ...]]]]:
    """Adjacent statements with the same SQL, as one statement and its parameter rows."""
    runs: list[tuple[str, list[tuple[object, ...]]]] = []
    for sql, params in statements:
        if runs and runs[-1][0] == sql:
            runs[-1][1].append(params)
        else:
            runs.append((sql, [params]))
    return runs


CONTEXT: dict[str, tuple[str, Callable[[View], RawWriter]]] = {
    CaseDirectory.name: (
        "raw loop, one statement per event (before the fold)",
        RawDirectoryPerEvent,
    ),
}
"""Other raw loops measured in the same rounds, for context (no target)."""
