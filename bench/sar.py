"""Assembling a subject access response (issue 13 §1), on both stores: a person on 50 cases of
200 events each, against a bare loop that reads and decrypts the same sealed fields.

The ledger is built through the real commands (``commands/``): person A complains on every
case (by reference after the first), witness B is linked to each, and each case then has
incidents whose descriptions sometimes name B, 200 events a case in all. The product is
``replay.sar_draft.assemble``: it reads every event of the 50 cases, unseals A's fields and
the free text, finds B's words and redacts them, and builds the items for review. The
baseline reads the same stored rows with one raw ``SELECT`` per case, parses each with
``json.loads``, and decrypts every sealed field with AES-256-GCM under keys unwrapped
beforehand (the same associated data): the cost of getting the same plaintext with nothing
else done. Target ≥ 0.3x.
"""

from __future__ import annotations

import argparse
import base64
import json
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import psycopg
from psycopg import sql

from bench.common import Figure, Store, compare, quiet_logging, store
from commands import link_person, open_case, record_incident
from commands.common import PersonText
from commands.unit_of_work import UnitOfWork
from ledger.application import CaseLedger
from ledger.enums import (
    Category,
    Channel,
    ContactMethod,
    Department,
    HarmIndicator,
    IncidentType,
    PersonRole,
    Role,
    SarPart,
    SarRequester,
)
from ledger.fields import BOUND
from ledger.sar import SubjectAccessRequest
from ledger.sealing import associated_data
from ledger.settings import Retention
from ledger.type_names import kind_of, stored_class
from ledger.values import Actor
from replay.sar_draft import assemble, retention_sentence

CASES, EVENTS = 50, 200
QUICK_CASES, QUICK_EVENTS = 10, 50
WORKER = Actor(
    user_id="cw-1",
    display_name="Caseworker",
    role=Role.CASEWORKER,
    organisation="council",
    team="north",
)
DPO = Actor(user_id="dpo-1", display_name="DPO", role=Role.DPO, organisation="council")
A = PersonText(
    name="Augusta Quillfeather",
    contact="07700 900111",
    address="1 Canary Row, ST16 1AA",
    date_of_birth="1961-04-02",
)
B = PersonText(name="Barnaby Thistlewood", contact="07700 900222", date_of_birth="1970-01-09")


def build(ledger: CaseLedger, cases: int, events: int) -> tuple[UUID, list[UUID]]:
    """Person A's ref and their cases, each of ``events`` events, made by the commands."""
    a_ref, b_ref = uuid4(), uuid4()
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    case_ids = []
    for number in range(cases):
        when = start + timedelta(days=number)
        opened = open_case.handle(
            open_case.OpenCase(
                case_id=uuid4(),
                actor=WORKER,
                occurred_at=when,
                received_at=when,
                channel=Channel.PHONE,
                category=Category.PERSONAL,
                description="Door kicked in the night.",
                location="Outside 1 Canary Row",
                lead_department=Department.COMMUNITY_SAFETY,
                complainant_ref=a_ref,
                complainant=A,
                preferred_contact=ContactMethod.PHONE,
                check_duplicates=False,
            ),
            UnitOfWork(ledger=ledger),
        )
        case_id = opened.case_id
        link_person.handle(
            link_person.LinkPerson(
                case_id=case_id,
                actor=WORKER,
                occurred_at=when,
                person_ref=b_ref,
                role=PersonRole.WITNESS,
                details=B if number == 0 else None,
            ),
            UnitOfWork(ledger=ledger),
        )
        for n in range(events - ledger.current_version(case_id)):  # type: ignore[operator]
            saw = "Barnaby Thistlewood saw it." if n % 4 == 0 else "Nobody else saw it."
            record_incident.handle(
                record_incident.RecordIncident(
                    case_id=case_id,
                    actor=WORKER,
                    occurred_at=when,
                    incident_id=uuid4(),
                    incident_type=IncidentType.NOISE,
                    description=f"Music and shouting, night {n}. {saw}",
                    location="The stairwell",
                    harms=(HarmIndicator.TARGETED,),
                    victim_refs=(a_ref,),
                ),
                UnitOfWork(ledger=ledger),
            )
        case_ids.append(case_id)
    return a_ref, case_ids


def _rows(ledger: CaseLedger) -> tuple[Callable[[UUID], list[tuple[str, Any]]], Callable[[], None]]:
    """(topic, state) of a case's stored events, by a raw select on the product's store."""
    config, table = ledger.store_config, ledger.recorder.events_table_name  # type: ignore[attr-defined]
    if config.sqlite_path is not None:
        conn = sqlite3.connect(config.sqlite_path, check_same_thread=False)
        query = (
            f"SELECT topic, state FROM {table} WHERE originator_id = ? ORDER BY originator_version"
        )

        def select(case_id: UUID) -> list[tuple[str, Any]]:
            return conn.execute(query, (case_id.hex,)).fetchall()

        return select, conn.close
    assert config.postgres_conninfo is not None
    pg = psycopg.connect(config.postgres_conninfo, autocommit=True)
    statement = sql.SQL(
        "SELECT topic, state FROM {} WHERE originator_id = %s ORDER BY originator_version"
    ).format(sql.Identifier(config.postgres_schema, table))

    def select_pg(case_id: UUID) -> list[tuple[str, Any]]:
        return pg.execute(statement, (case_id,)).fetchall()

    return select_pg, pg.close


def _sealed(value: Any, path: str) -> Iterator[tuple[str, dict[str, str]]]:
    if isinstance(value, dict):
        if value.get("_type_") == "asb.Sealed":
            yield path, value["_data_"]
            return
        data = value.get("_data_", value) if "_type_" in value else value
        if not isinstance(data, dict):
            return
        for key, item in data.items():
            if not key.startswith("_"):
                yield from _sealed(item, f"{path}.{key}" if path else key)


def bare(ledger: CaseLedger, case_ids: list[UUID]) -> tuple[Callable[[], int], Callable[[], None]]:
    """Reads and decrypts every sealed field of the cases; returns how many it decrypted."""
    select, close = _rows(ledger)
    aeads: dict[str, Any] = {}
    kinds: dict[str, str] = {}

    def run() -> int:
        count = 0
        for case_id in case_ids:
            for topic, state in select(case_id):
                kind = kinds.get(topic) or kinds.setdefault(topic, kind_of(stored_class(topic)))
                bound = BOUND.get(kind, {})
                body = json.loads(state)
                for path, sealed in _sealed(body, ""):
                    scope = sealed["s"]
                    aead = aeads.get(scope)
                    if aead is None:
                        aead = aeads[scope] = ledger.keys.aead_for_reading(scope)
                    assert aead is not None
                    blob = base64.b64decode(sealed["b"])
                    aead.decrypt(blob[:12], blob[12:], associated_data(case_id, bound[path], scope))
                    count += 1
        return count

    return run, close


def product(
    ledger: CaseLedger, a_ref: UUID, case_ids: list[UUID], fields: int
) -> Callable[[], int]:
    """Assembles the draft; counts the same sealed fields as the bare loop (it unseals each)."""
    sar = SubjectAccessRequest.request(
        actor=DPO,
        occurred_at=datetime.now(UTC),
        sar_id=uuid4(),
        person_ref=a_ref,
        requester=SarRequester.DATA_SUBJECT,
        representative_ref=None,
        received_on=datetime.now(UTC).date(),
        identity_checked_on=None,
        asks_for=tuple(SarPart),
    )
    retention = retention_sentence(Retention())

    def run() -> int:
        draft = assemble(ledger, sar, case_ids, [], retention)
        assert len(draft.records) == sum(ledger.current_version(c) or 0 for c in case_ids)
        return fields

    return run


def sar_assembly(where: Store, seconds: float, cases: int, events: int) -> list[Figure]:
    ledger = where.ledger()
    try:
        t0 = time.perf_counter()
        a_ref, case_ids = build(ledger, cases, events)
        built = time.perf_counter() - t0
        raw, close = bare(ledger, case_ids)
        fields = raw()
        ops = {"raw": raw, "ledger": product(ledger, a_ref, case_ids, fields)}
        result = compare(ops, baseline="raw", chunk={"raw": 1, "ledger": 1}, seconds=seconds)
        close()
    finally:
        ledger.close()
    note = f"{cases} cases x {events} events, {fields:,} sealed fields; built in {built:.0f} s"
    return [
        Figure(
            "sar", where.kind, "raw select + decrypt", result.rates["raw"], "fields/s", note=note
        ),
        Figure(
            "sar",
            where.kind,
            "SAR draft assembled",
            result.rates["ledger"],
            "fields/s",
            result.ratios["ledger"],
            "raw select + decrypt",
            0.3,
            note,
        ),
    ]


def run(
    stores: list[str],
    seconds: float,
    *,
    quick: bool = False,
    cases: int | None = None,
    events: int | None = None,
) -> list[Figure]:
    default_cases, default_events = (QUICK_CASES, QUICK_EVENTS) if quick else (CASES, EVENTS)
    figures = []
    for kind in stores:
        with store(kind) as where:
            figures.extend(
                sar_assembly(where, seconds, cases or default_cases, events or default_events)
            )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sar", description=__doc__)
    parser.add_argument("--cases", type=int, default=CASES, help="cases the person is on")
    parser.add_argument("--events", type=int, default=EVENTS, help="events a case")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--seconds", type=float, default=6.0, help="time per comparison")
    args = parser.parse_args(argv)
    from bench.run import table

    quiet_logging()
    print(f"command: python -m bench.sar {' '.join(sys.argv[1:] if argv is None else argv)}")
    stores = [kind.strip() for kind in args.stores.split(",") if kind.strip()]
    print(table(run(stores, args.seconds, cases=args.cases, events=args.events)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
