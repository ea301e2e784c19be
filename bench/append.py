"""Append throughput: opening cases, and appending one incident at a time, against raw inserts.

Opening is ``Case.open`` (real sealing of the description, location and complainant
under fresh case and person keys, a reference number, hashing) then
``ledger.save_new_case``. Appending keeps the case in memory and records then saves one
incident at a time, so no load is timed. Each is compared, round by round, with a raw
insert of one row per transaction, of the same size as the stored event, into a table
of the library's layout, through ``sqlite3`` or psycopg.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.common import Comparison, Figure, Op, Store, compare, store
from ledger.application import CaseLedger
from tests.builders import CaseKit

TARGET = 0.5


def _opener(ledger: CaseLedger) -> Op:
    def open_case() -> int:
        ledger.save_new_case(CaseKit(ledger).open())
        return 1

    return open_case


def _appender(ledger: CaseLedger) -> Op:
    kit = CaseKit(ledger)
    case = kit.open()
    ledger.save_new_case(case)

    def append() -> int:
        kit.incident(case)
        ledger.save_case(case)
        return 1

    return append


def stored_sizes(ledger: CaseLedger) -> tuple[tuple[str, int], tuple[str, int]]:
    """(topic, bytes) of a stored CaseOpened and of a stored IncidentRecorded."""
    kit = CaseKit(ledger)
    case = kit.open()
    ledger.save_new_case(case)
    kit.incident(case)
    ledger.save_case(case)
    opened, incident = ledger.recorder.select_events(case.id)
    return (opened.topic, len(opened.state)), (incident.topic, len(incident.state))


def run(kind: str, seconds: float) -> list[Figure]:
    with store(kind) as where:
        return _run(where, seconds)


def _run(where: Store, seconds: float) -> list[Figure]:
    ledgers = {"ours": where.ledger()}
    if where.kind == "postgres":
        ledgers["library"] = where.ledger(fast_recorder=False)
    closers: list[Callable[[], None]] = [ledger.close for ledger in ledgers.values()]
    try:
        (open_topic, open_bytes), (incident_topic, incident_bytes) = stored_sizes(ledgers["ours"])
        raw_open, close = where.raw_inserter(open_bytes, open_topic)
        closers.append(close)
        raw_incident, close = where.raw_inserter(incident_bytes, incident_topic)
        closers.append(close)

        opens: dict[str, Op] = {"raw": raw_open}
        appends: dict[str, Op] = {"raw": raw_incident}
        for name, ledger in ledgers.items():
            opens[name] = _opener(ledger)
            appends[name] = _appender(ledger)
        raw_chunk = 100 if where.kind == "sqlite" else 60
        appended = compare(
            appends,
            baseline="raw",
            chunk={name: raw_chunk if name == "raw" else 30 for name in appends},
            seconds=seconds,
        )
        opened = compare(
            opens,
            baseline="raw",
            chunk={name: raw_chunk if name == "raw" else 10 for name in opens},
            seconds=seconds,
        )
    finally:
        for closer in closers:
            closer()
    return _figures(where.kind, "open a case", opened, open_bytes) + _figures(
        where.kind, "append one incident", appended, incident_bytes
    )


def _figures(kind: str, workload: str, result: Comparison, row_bytes: int) -> list[Figure]:
    raw = result.rates["raw"]
    figures = [
        Figure(
            "append",
            kind,
            f"raw insert, 1 row of {row_bytes} B per transaction",
            raw,
            "rows/s",
            1.0,
            note=f"{result.rounds} interleaved rounds",
        )
    ]
    recorders = {
        "library": "library recorder",
        "ours": "our recorder",
    }
    for name, recorder in recorders.items():
        if name not in result.rates:
            continue
        label = f"{workload} ({recorder})" if kind == "postgres" else workload
        figures.append(
            Figure(
                "append",
                kind,
                label,
                result.rates[name],
                "events/s",
                result.ratios[name],
                baseline=f"raw {row_bytes} B row",
                target=TARGET if name == "ours" else None,
            )
        )
    return figures
