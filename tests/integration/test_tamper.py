"""Raw SQL edits behind the application's back are caught, named at the first bad version."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from ledger.application import CaseLedger
from ledger.chain import HASH_KEY, hash_event
from ledger.enums import Agency, PersonRole
from ledger.errors import IntegrityFailure
from ledger.risk import ASB_VRA_V1
from tests.builders import CASEWORKER, T0, CaseKit, due

EVENTS = 6


class RawEvents:
    """The events table of the ledger's store, reached with plain SQL."""

    def __init__(self, ledger: CaseLedger) -> None:
        self.config = ledger.store_config

    @contextmanager
    def _sqlite(self) -> Iterator[sqlite3.Connection]:
        assert self.config.sqlite_path is not None
        conn = sqlite3.connect(self.config.sqlite_path, timeout=30, isolation_level=None)
        try:
            yield conn
        finally:
            conn.close()

    def _run(self, sqlite_stmt: str, pg_stmt: str, params: tuple[Any, ...]) -> list[Any]:
        """Runs one statement; ``{t}`` in the PostgreSQL text is the events table."""
        if self.config.kind == "sqlite":
            lite = tuple(p.hex if isinstance(p, UUID) else p for p in params)
            with self._sqlite() as conn:
                return conn.execute(sqlite_stmt, lite).fetchall()
        assert self.config.postgres_conninfo is not None
        table = sql.Identifier(self.config.postgres_schema, "caseledger_events")
        with psycopg.connect(self.config.postgres_conninfo, autocommit=True) as conn:
            cur = conn.execute(sql.SQL(pg_stmt).format(t=table), params)
            return cur.fetchall() if cur.description is not None else []

    def rows(self, case_id: UUID) -> list[tuple[int, str, bytes]]:
        found = self._run(
            "SELECT originator_version, topic, state FROM stored_events"
            " WHERE originator_id = ? ORDER BY originator_version",
            "SELECT originator_version, topic, state FROM {t}"
            " WHERE originator_id = %s ORDER BY originator_version",
            (case_id,),
        )
        return [(int(v), str(t), bytes(s)) for v, t, s in found]

    def row(self, case_id: UUID, version: int) -> tuple[str, bytes]:
        [(_, topic, state)] = [r for r in self.rows(case_id) if r[0] == version]
        return topic, state

    def set_state(self, case_id: UUID, version: int, state: bytes) -> None:
        self._run(
            "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
            "UPDATE {t} SET state = %s WHERE originator_id = %s AND originator_version = %s",
            (state, case_id, version),
        )

    def set_topic(self, case_id: UUID, version: int, topic: str) -> None:
        self._run(
            "UPDATE stored_events SET topic = ? WHERE originator_id = ? AND originator_version = ?",
            "UPDATE {t} SET topic = %s WHERE originator_id = %s AND originator_version = %s",
            (topic, case_id, version),
        )

    def set_version(self, case_id: UUID, old: int, new: int) -> None:
        self._run(
            "UPDATE stored_events SET originator_version = ?"
            " WHERE originator_id = ? AND originator_version = ?",
            "UPDATE {t} SET originator_version = %s"
            " WHERE originator_id = %s AND originator_version = %s",
            (new, case_id, old),
        )

    def delete(self, case_id: UUID, version: int) -> None:
        self._run(
            "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            "DELETE FROM {t} WHERE originator_id = %s AND originator_version = %s",
            (case_id, version),
        )

    def insert(self, case_id: UUID, version: int, topic: str, state: bytes) -> None:
        self._run(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state)"
            " VALUES (?, ?, ?, ?)",
            "INSERT INTO {t} (originator_id, originator_version, topic, state)"
            " VALUES (%s, %s, %s, %s)",
            (case_id, version, topic, state),
        )


def build_case(ledger: CaseLedger) -> UUID:
    """Six events: opened, a victim, a criminal incident, its referral, risk, an action."""
    kit = CaseKit(ledger)
    case = kit.open()
    ledger.save_new_case(case)
    victim = uuid4()
    case.link_person(
        actor=CASEWORKER,
        occurred_at=T0 + timedelta(hours=1),
        person_ref=victim,
        role=PersonRole.VICTIM,
        details=kit.details(victim, "Vic Tim"),
    )
    incident = kit.incident(case, days=1, criminal=True, victims=(victim,))
    case.refer_to_police(
        actor=CASEWORKER,
        occurred_at=T0 + timedelta(days=1, hours=2),
        incident_ids=(incident,),
        police_reference="SP-2026-0042",
        organisation="test-police",
        disseminated_at=T0 + timedelta(days=1, hours=2),
    )
    case.assess_risk(
        actor=CASEWORKER,
        occurred_at=T0 + timedelta(days=2),
        instrument=ASB_VRA_V1.name,
        instrument_version=ASB_VRA_V1.version,
        answers={q.key: 1 for q in ASB_VRA_V1.questions},
        victim_ref=victim,
    )
    case.plan_action(
        actor=CASEWORKER,
        occurred_at=T0 + timedelta(days=2),
        action_id="visit-1",
        description=kit.text("visit the victim", "action.description"),
        owner_agency=Agency.COUNCIL,
        owner_officer="cw-1",
        due=due(5),
    )
    assert ledger.save_case(case).version == EVENTS
    assert ledger.verify_case(case.id).intact
    return case.id


@pytest.fixture
def raw(ledger: CaseLedger) -> RawEvents:
    return RawEvents(ledger)


@pytest.fixture
def bystander(ledger: CaseLedger) -> UUID:
    """A case opened first, beside the one tampered with: it must stay intact."""
    return build_case(ledger)


@pytest.fixture
def target(ledger: CaseLedger, bystander: UUID) -> UUID:
    return build_case(ledger)


def assert_caught(ledger: CaseLedger, case_id: UUID, version: int, bystander: UUID) -> None:
    verdict = ledger.verify_case(case_id)
    assert not verdict.intact
    assert verdict.version == version, verdict
    assert verdict.reason
    with pytest.raises(IntegrityFailure):
        ledger.get_case(case_id)
    beside = ledger.verify_case(bystander)
    assert beside.intact, beside
    assert beside.events == EVENTS
    assert ledger.get_case(bystander).version == EVENTS


def edited(state: bytes, old: bytes, new: bytes) -> bytes:
    """``state`` with the first ``old`` replaced by ``new`` (same length: one value changed)."""
    assert len(old) == len(new)
    assert old in state, (old, state)
    return state.replace(old, new, 1)


# ---------------------------------------------------------------- edits in place


def _actor_edit(state: bytes) -> bytes:
    return edited(state, b'"user_id":"cw-1"', b'"user_id":"cw-9"')


def _sealed_blob_edit(state: bytes) -> bytes:
    doc = json.loads(state)
    blob = doc["description"]["_data_"]["b"]
    flipped = ("B" if blob[0] != "B" else "C") + blob[1:]
    return edited(state, blob.encode(), flipped.encode())


def _plain_field_edit(state: bytes) -> bytes:
    return edited(state, b'"police_reference":"SP-2026-0042"', b'"police_reference":"SP-2026-0043"')


@pytest.mark.parametrize(
    ("version", "edit"),
    [
        pytest.param(1, _actor_edit, id="actor-of-first"),
        pytest.param(3, _sealed_blob_edit, id="sealed-ciphertext-in-middle"),
        pytest.param(4, _plain_field_edit, id="plain-field-in-middle"),
        pytest.param(EVENTS, _actor_edit, id="actor-of-last"),
    ],
)
def test_a_one_character_edit_that_keeps_the_json_valid_is_named(
    ledger: CaseLedger,
    raw: RawEvents,
    target: UUID,
    bystander: UUID,
    version: int,
    edit: Callable[[bytes], bytes],
) -> None:
    _, state = raw.row(target, version)
    tampered = edit(state)
    assert len(tampered) == len(state)
    assert sum(a != b for a, b in zip(tampered, state, strict=True)) == 1
    json.loads(tampered)
    raw.set_state(target, version, tampered)
    assert_caught(ledger, target, version, bystander)


def test_editing_the_last_event_is_named_at_the_last_version(
    ledger: CaseLedger, raw: RawEvents, target: UUID, bystander: UUID
) -> None:
    _, state = raw.row(target, EVENTS)
    raw.set_state(
        target, EVENTS, edited(state, b'"owner_officer":"cw-1"', b'"owner_officer":"cw-2"')
    )
    assert_caught(ledger, target, EVENTS, bystander)


@settings(
    max_examples=40,
    deadline=None,
    # Each example restores the row it changed, so the case is the same for every example.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_single_byte_changed_anywhere_is_named_or_changes_nothing(
    ledger: CaseLedger, raw: RawEvents, target: UUID, bystander: UUID, data: st.DataObject
) -> None:
    version = data.draw(st.integers(1, EVENTS), label="version")
    topic, state = raw.row(target, version)
    at = data.draw(st.integers(0, len(state) - 1), label="position")
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != state[at]), label="byte")
    tampered = state[:at] + bytes([byte]) + state[at + 1 :]
    raw.set_state(target, version, tampered)
    try:
        verdict = ledger.verify_case(target)
        if verdict.intact:
            # Only a change the decoder cannot see (say, the "T" between date and time)
            # may pass: the event read back must be exactly the one written.
            before, after = (
                ledger.mapper.to_domain_event(row)
                for row in (
                    _stored(target, version, topic, state),
                    _stored(target, version, topic, tampered),
                )
            )
            assert vars(after) == vars(before), (at, state[at : at + 1], bytes([byte]))
            assert ledger.get_case(target).version == EVENTS
        else:
            assert verdict.version == version, (verdict, at, bytes([byte]))
            with pytest.raises(IntegrityFailure):
                ledger.get_case(target)
    finally:
        raw.set_state(target, version, state)
    assert ledger.verify_case(bystander).intact


def _stored(case_id: UUID, version: int, topic: str, state: bytes) -> StoredEvent:
    return StoredEvent(originator_id=case_id, originator_version=version, topic=topic, state=state)


def test_a_stripped_event_hash_is_named(
    ledger: CaseLedger, raw: RawEvents, target: UUID, bystander: UUID
) -> None:
    _, state = raw.row(target, 3)
    doc = json.loads(state)
    del doc[HASH_KEY]
    raw.set_state(target, 3, json.dumps(doc, separators=(",", ":")).encode())
    assert_caught(ledger, target, 3, bystander)


def test_a_changed_topic_is_named(
    ledger: CaseLedger, raw: RawEvents, target: UUID, bystander: UUID
) -> None:
    topic, _ = raw.row(target, 4)
    other, _ = raw.row(target, 2)
    assert topic != other
    raw.set_topic(target, 4, other)
    assert_caught(ledger, target, 4, bystander)


def test_an_edit_that_rewrites_its_own_hash_is_named_at_the_next_version(
    ledger: CaseLedger, raw: RawEvents, target: UUID, bystander: UUID
) -> None:
    # The forger uses the ledger's own code to re-hash the edited event; the chain still
    # breaks at the next event, whose prev_hash names the original.
    topic, state = raw.row(target, 3)
    event = ledger.mapper.to_domain_event(_stored(target, 3, topic, state))
    vars(event)["criminal"] = False
    vars(event)[HASH_KEY] = hash_event(event)
    raw.set_state(target, 3, ledger.mapper.to_stored_event(event).state)
    assert ledger.verify_case(target).version == 4
    assert_caught(ledger, target, 4, bystander)


# ------------------------------------------------------- deletions, swaps, inserts


def test_deleting_an_event_in_the_middle_is_named(
    ledger: CaseLedger, raw: RawEvents, target: UUID, bystander: UUID
) -> None:
    raw.delete(target, 3)
    assert_caught(ledger, target, 3, bystander)


def test_deleting_the_first_event_is_named(
    ledger: CaseLedger, raw: RawEvents, target: UUID, bystander: UUID
) -> None:
    raw.delete(target, 1)
    assert_caught(ledger, target, 1, bystander)


@pytest.mark.parametrize(("low", "high"), [(3, 4), (2, 5), (5, EVENTS)])
def test_swapping_two_events_is_named_at_the_earlier(
    ledger: CaseLedger, raw: RawEvents, target: UUID, bystander: UUID, low: int, high: int
) -> None:
    raw.set_version(target, low, 1000)
    raw.set_version(target, high, low)
    raw.set_version(target, 1000, high)
    assert [v for v, _, _ in raw.rows(target)] == list(range(1, EVENTS + 1))
    assert_caught(ledger, target, low, bystander)


def test_reinserting_an_event_after_the_last_is_named(
    ledger: CaseLedger, raw: RawEvents, target: UUID, bystander: UUID
) -> None:
    topic, state = raw.row(target, 2)
    raw.insert(target, EVENTS + 1, topic, state)
    assert_caught(ledger, target, EVENTS + 1, bystander)


def test_reinserting_an_event_in_place_of_another_is_named(
    ledger: CaseLedger, raw: RawEvents, target: UUID, bystander: UUID
) -> None:
    topic, state = raw.row(target, 2)
    raw.delete(target, 4)
    raw.insert(target, 4, topic, state)
    assert_caught(ledger, target, 4, bystander)


def test_an_event_of_another_case_inserted_is_named(
    ledger: CaseLedger, raw: RawEvents, target: UUID, bystander: UUID
) -> None:
    topic, state = raw.row(bystander, EVENTS)
    raw.insert(target, EVENTS + 1, topic, state)
    assert_caught(ledger, target, EVENTS + 1, bystander)


# ------------------------------------------------------------------ command line


def run_cli(ledger: CaseLedger, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASB_")}
    env["ASB_DATA_DIR"] = str(ledger.settings.data_dir)
    assert ledger.settings.database_url is not None
    env["ASB_DATABASE_URL"] = ledger.settings.database_url
    env["ASB_LOG_FORMAT"] = "json"
    return subprocess.run(
        [str(Path(sys.executable).parent / "asb-ledger"), "verify", *args],
        env=env,
        cwd=ledger.settings.data_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_line_verifies_then_names_the_tampered_case(
    ledger: CaseLedger, raw: RawEvents, target: UUID, bystander: UUID
) -> None:
    for args in (("--case", str(target)), ("--all",)):
        done = run_cli(ledger, *args)
        assert (done.returncode, done.stdout.strip()) == (0, "intact"), done

    _, state = raw.row(target, 3)
    raw.set_state(target, 3, _sealed_blob_edit(state))

    for args in (("--case", str(target)), ("--all",)):
        done = run_cli(ledger, *args)
        assert done.returncode == 1, done
        assert done.stdout.startswith(f"FAILED case {target} version 3: "), done
        assert len(done.stdout.strip().splitlines()) == 1, done
    beside = run_cli(ledger, "--case", str(bystander))
    assert (beside.returncode, beside.stdout.strip()) == (0, "intact"), beside


def test_a_field_added_to_a_stored_event_is_named(
    ledger: CaseLedger, raw: RawEvents, target: UUID, bystander: UUID
) -> None:
    _, state = raw.row(target, 4)
    assert state.startswith(b"{")
    raw.set_state(target, 4, b'{"injected_note":"Jo Bloggs, 1 High St",' + state[1:])
    assert_caught(ledger, target, 4, bystander)


def test_a_case_whose_opening_was_removed_is_still_listed_and_named(
    ledger: CaseLedger, raw: RawEvents, target: UUID, bystander: UUID
) -> None:
    raw.delete(target, 1)
    verdicts = {v.case_id: v for v in ledger.verify_all()}
    assert verdicts[bystander].intact
    assert (verdicts[target].intact, verdicts[target].version) == (False, 1)
    done = run_cli(ledger, "--all")
    assert done.returncode == 1, done
    assert done.stdout.startswith(f"FAILED case {target} version 1: "), done


def test_a_case_whose_every_event_was_removed_is_named_through_its_reference(
    ledger: CaseLedger, raw: RawEvents, target: UUID, bystander: UUID
) -> None:
    reference = "ASB-2026-000002"
    assert ledger.find_case_id(reference) == target
    for version in range(1, EVENTS + 1):
        raw.delete(target, version)
    verdicts = {v.case_id: v for v in ledger.verify_all()}
    assert verdicts[target].intact is False
    assert verdicts[target].reason == "the case's events are missing"
    for args in (("--all",), ("--case", reference), ("--case", str(target))):
        done = run_cli(ledger, *args)
        assert done.returncode == 1, done
        assert done.stdout.startswith(f"FAILED case {target} version 1: "), done


def test_an_unknown_case_is_bad_usage_not_a_failure(ledger: CaseLedger, bystander: UUID) -> None:
    for unknown in ("ASB-2026-999999", str(uuid4())):
        done = run_cli(ledger, "--case", unknown)
        assert (done.returncode, done.stdout) == (2, ""), done
