"""Personal data never reaches the store in the clear, and destroying a subject's key erases it."""

from __future__ import annotations

import base64
import binascii
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg import sql

from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import (
    Category,
    Channel,
    ContactMethod,
    Department,
    ErasureReason,
    HarmIndicator,
    IncidentType,
    PersonRole,
    Role,
)
from ledger.erasure import erasure_id
from ledger.errors import Rule, RuleViolation, SealBroken
from ledger.sealing import Erased, case_scope, person_scope
from ledger.settings import Settings
from ledger.values import Actor, PersonDetails, Sealed
from tests.builders import CASEWORKER, T0, CaseKit

DPO = Actor(user_id="dpo-1", display_name="Dee Pio", role=Role.DPO, organisation="council")
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{16,}={0,2}")


def canary(what: str) -> str:
    return f"canary-{what}-{uuid4().hex}"


@dataclass
class Subjects:
    """A saved case whose personal fields and free text each hold a unique canary."""

    case_id: UUID
    complainant: UUID
    victim: UUID
    canaries: dict[str, str]


def open_case(ledger: CaseLedger) -> Subjects:
    kit = CaseKit(ledger)
    victim = uuid4()
    c = {
        name: canary(name)
        for name in (
            "complainant.name",
            "complainant.address",
            "victim.name",
            "victim.address",
            "victim.dob",
            "description",
            "location",
            "incident",
            "vulnerability",
        )
    }
    case = Case.open(
        case_id=kit.case_id,
        actor=CASEWORKER,
        occurred_at=T0,
        reference=ledger.prepare_opening(kit.case_id, [kit.complainant], T0),
        channel=Channel.PHONE,
        received_at=T0,
        category=Category.PERSONAL,
        description=kit.text(c["description"], "description"),
        location=kit.text(c["location"], "location"),
        lead_department=Department.COMMUNITY_SAFETY,
        complainant_ref=kit.complainant,
        complainant=PersonDetails(
            name=kit.personal(kit.complainant, c["complainant.name"], "name"),
            address=kit.personal(kit.complainant, c["complainant.address"], "address"),
        ),
        preferred_contact=ContactMethod.PHONE,
        ward="Test Ward",
    )
    ledger.save_new_case(case)
    case.link_person(
        actor=CASEWORKER,
        occurred_at=T0 + timedelta(hours=1),
        person_ref=victim,
        role=PersonRole.VICTIM,
        details=PersonDetails(
            name=kit.personal(victim, c["victim.name"], "name"),
            address=kit.personal(victim, c["victim.address"], "address"),
            date_of_birth=kit.personal(victim, c["victim.dob"], "date_of_birth"),
        ),
        vulnerability_note=kit.personal(victim, c["vulnerability"], "vulnerability_note"),
    )
    case.record_incident(
        actor=CASEWORKER,
        occurred_at=T0 + timedelta(days=1),
        incident_id=uuid4(),
        incident_type=IncidentType.HARASSMENT,
        description=kit.text(c["incident"], "incident.description"),
        harms=(HarmIndicator.TARGETED,),
        criminal=False,
        victim_refs=(victim,),
    )
    ledger.save_case(case)
    return Subjects(case.id, kit.complainant, victim, c)


# -------------------------------------------------------------- raw store scans


def store_bytes(ledger: CaseLedger) -> list[bytes]:
    """Everything the store holds: the SQLite files (WAL included) or every table in the schema."""
    config = ledger.store_config
    if config.kind == "sqlite":
        assert config.sqlite_path is not None
        db = Path(config.sqlite_path)
        files = [p for p in db.parent.iterdir() if p.name.startswith(db.name)]
        assert db in files
        return [p.read_bytes() for p in files]
    assert config.postgres_conninfo is not None
    chunks: list[bytes] = []
    with psycopg.connect(config.postgres_conninfo) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (config.postgres_schema,),
        ).fetchall()
        assert {"caseledger_events", "asb_data_keys"} <= {t for (t,) in tables}
        for (table,) in tables:
            rows = conn.execute(
                sql.SQL("SELECT * FROM {}").format(sql.Identifier(config.postgres_schema, table))
            ).fetchall()
            for row in rows:
                for value in row:
                    chunks.append(
                        bytes(value)
                        if isinstance(value, bytes | memoryview)
                        else str(value).encode()
                    )
    return chunks


def readable_forms(chunk: bytes) -> Iterator[bytes]:
    """The bytes as stored, and every base64 run in them decoded."""
    yield chunk
    for run in _BASE64_RUN.findall(chunk):
        try:
            yield base64.b64decode(run + b"=" * (-len(run) % 4))
        except binascii.Error:
            continue


def leaks(ledger: CaseLedger, secrets: list[str]) -> list[str]:
    found: set[str] = set()
    for chunk in store_bytes(ledger):
        for form in readable_forms(chunk):
            found.update(s for s in secrets if s.encode() in form)
    return sorted(found)


def erasure_rows(ledger: CaseLedger, scope: str) -> list[tuple[str, bytes]]:
    stored = ledger.recorder.select_events(erasure_id(scope))
    return [(row.topic, row.state) for row in stored]


# ------------------------------------------------------------------------ tests


def test_no_plaintext_personal_data_reaches_the_store(ledger: CaseLedger) -> None:
    subjects = open_case(ledger)
    assert len(set(subjects.canaries.values())) == len(subjects.canaries)
    case = ledger.get_case(subjects.case_id)  # the canaries are there, sealed
    text = ledger.sealer.unseal(case.description, case_id=case.id, field="description")
    assert text == subjects.canaries["description"]
    assert leaks(ledger, list(subjects.canaries.values())) == []


def test_the_scan_would_see_a_leak(ledger: CaseLedger) -> None:
    # The raw scan itself works on this store: text in the clear (ward) and a reference show up.
    subjects = open_case(ledger)
    case = ledger.get_case(subjects.case_id)
    assert leaks(ledger, [case.reference, "Test Ward", "no-such-thing"]) == [
        case.reference,
        "Test Ward",
    ]


def _unseal_person(ledger: CaseLedger, case_id: UUID, person: UUID) -> dict[str, object]:
    case = ledger.get_case(case_id)
    details = case.persons[person].details
    assert details is not None
    fields: dict[str, Sealed | None] = {
        "name": details.name,
        "address": details.address,
        "date_of_birth": details.date_of_birth,
        "vulnerability_note": case.persons[person].vulnerability_note,
    }
    return {
        field: ledger.sealer.unseal(sealed, case_id=case_id, field=field)
        for field, sealed in fields.items()
        if sealed is not None
    }


def _unseal_free_text(ledger: CaseLedger, case_id: UUID) -> dict[str, object]:
    case = ledger.get_case(case_id)
    [incident] = case.incidents.values()
    return {
        "description": ledger.sealer.unseal(case.description, case_id=case_id, field="description"),
        "location": ledger.sealer.unseal(case.location, case_id=case_id, field="location"),
        "incident": ledger.sealer.unseal(
            incident.description, case_id=case_id, field="incident.description"
        ),
    }


def test_destroying_a_subjects_key_erases_them_everywhere(ledger: CaseLedger) -> None:
    subjects = open_case(ledger)
    other = open_case(ledger)
    c = subjects.canaries
    scope = person_scope(subjects.victim)
    assert _unseal_person(ledger, subjects.case_id, subjects.victim) == {
        "name": c["victim.name"],
        "address": c["victim.address"],
        "date_of_birth": c["victim.dob"],
        "vulnerability_note": c["vulnerability"],
    }

    assert ledger.destroy_key(
        scope, actor=DPO, occurred_at=T0 + timedelta(days=400), reason=ErasureReason.SUBJECT_REQUEST
    )

    fresh = CaseLedger(ledger.settings)
    try:
        for reader in (ledger, fresh):
            assert _unseal_person(reader, subjects.case_id, subjects.victim) == {
                "name": Erased(scope),
                "address": Erased(scope),
                "date_of_birth": Erased(scope),
                "vulnerability_note": Erased(scope),
            }
            assert _unseal_person(reader, subjects.case_id, subjects.complainant) == {
                "name": c["complainant.name"],
                "address": c["complainant.address"],
            }
            assert _unseal_free_text(reader, subjects.case_id) == {
                k: c[k] for k in ("description", "location", "incident")
            }
            beside = _unseal_person(reader, other.case_id, other.victim)
            assert beside["name"] == other.canaries["victim.name"]
            for case_id in (subjects.case_id, other.case_id):
                verdict = reader.verify_case(case_id)
                assert verdict.intact, verdict
            with pytest.raises(RuleViolation) as raised:
                reader.sealer.seal_personal(
                    "new data", case_id=subjects.case_id, person_ref=subjects.victim, field="name"
                )
            assert raised.value.rule is Rule.KEY_DESTROYED
    finally:
        fresh.close()


def test_the_erasure_record_holds_no_personal_data(ledger: CaseLedger) -> None:
    subjects = open_case(ledger)
    scope = person_scope(subjects.victim)
    ledger.destroy_key(
        scope, actor=DPO, occurred_at=T0 + timedelta(days=400), reason=ErasureReason.SUBJECT_REQUEST
    )
    [(topic, state)] = erasure_rows(ledger, scope)
    assert topic == "asb.erasure.KeyDestroyed.v1"
    doc = json.loads(state)
    assert set(doc) <= {"timestamp", "originator_topic", "actor", "occurred_at", "scope", "reason"}
    assert doc["scope"] == scope
    assert doc["reason"]["_data_"] == ErasureReason.SUBJECT_REQUEST.value
    assert b"asb.Sealed" not in state
    assert not any(s.encode() in state for s in subjects.canaries.values())
    assert leaks(ledger, list(subjects.canaries.values())) == []


def test_destroying_twice_is_harmless(ledger: CaseLedger) -> None:
    subjects = open_case(ledger)
    scope = person_scope(subjects.victim)
    when = T0 + timedelta(days=400)
    assert ledger.destroy_key(scope, actor=DPO, occurred_at=when, reason=ErasureReason.COURT_ORDER)
    assert not ledger.destroy_key(
        scope, actor=DPO, occurred_at=when + timedelta(days=1), reason=ErasureReason.SUBJECT_REQUEST
    )
    assert len(erasure_rows(ledger, scope)) == 1
    assert _unseal_person(ledger, subjects.case_id, subjects.victim)["name"] == Erased(scope)
    assert ledger.verify_case(subjects.case_id).intact


def test_erasing_a_case_scope_erases_its_free_text_only(ledger: CaseLedger) -> None:
    subjects = open_case(ledger)
    scope = case_scope(subjects.case_id)
    ledger.destroy_key(
        scope, actor=DPO, occurred_at=T0 + timedelta(days=9), reason=ErasureReason.RETENTION_EXPIRED
    )
    assert set(_unseal_free_text(ledger, subjects.case_id).values()) == {Erased(scope)}
    complainant = _unseal_person(ledger, subjects.case_id, subjects.complainant)
    assert complainant["name"] == subjects.canaries["complainant.name"]
    assert ledger.verify_case(subjects.case_id).intact


@pytest.fixture
def sqlite_ledger(tmp_path: Path) -> Iterator[CaseLedger]:
    app = CaseLedger(
        Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    )
    yield app
    app.close()


def test_sqlite_keeps_no_copy_of_a_destroyed_key(sqlite_ledger: CaseLedger) -> None:
    # Only the embedded store's pages can be read raw; PostgreSQL keeps the old row version
    # until vacuum (docs/ledger.md), useless without the master key.
    ledger = sqlite_ledger
    subjects = open_case(ledger)
    scope = person_scope(subjects.victim)
    assert ledger.store_config.sqlite_path is not None
    with sqlite3.connect(ledger.store_config.sqlite_path) as conn:
        [(wrapped,)] = conn.execute(
            "SELECT wrapped FROM asb_data_keys WHERE scope = ?", (scope,)
        ).fetchall()
    conn.close()
    assert any(wrapped in chunk for chunk in store_bytes(ledger))
    ledger.destroy_key(
        scope, actor=DPO, occurred_at=T0 + timedelta(days=400), reason=ErasureReason.SUBJECT_REQUEST
    )
    assert not any(wrapped in chunk for chunk in store_bytes(ledger))


# ------------------------------------------------------------ sealing on the store


def test_a_stored_ciphertext_moved_elsewhere_fails_authentication(ledger: CaseLedger) -> None:
    first, second = open_case(ledger), open_case(ledger)
    case = ledger.get_case(first.case_id)
    name = case.persons[first.complainant].details
    assert name is not None
    with pytest.raises(SealBroken):
        ledger.sealer.unseal(name.name, case_id=first.case_id, field="address")
    with pytest.raises(SealBroken):
        ledger.sealer.unseal(name.name, case_id=second.case_id, field="name")
    with pytest.raises(SealBroken):
        ledger.sealer.unseal(case.description, case_id=first.case_id, field="location")
    with pytest.raises(SealBroken):
        ledger.sealer.unseal(
            replace(case.description, scope=case_scope(second.case_id)),
            case_id=second.case_id,
            field="description",
        )
    with pytest.raises(SealBroken):
        ledger.sealer.unseal(
            replace(name.name, scope=person_scope(second.complainant)),
            case_id=first.case_id,
            field="name",
        )
    # In its own place it still reads.
    in_place = ledger.sealer.unseal(name.name, case_id=first.case_id, field="name")
    assert in_place == first.canaries["complainant.name"]


def test_the_master_key_file_is_private(ledger: CaseLedger) -> None:
    path = Path(ledger.settings.master_key_path)
    assert path.is_file()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.stat().st_size == 32


def _delete_key_rows(ledger: CaseLedger) -> None:
    """Loses the key table's rows behind the application's back (a bad restore, say)."""
    config = ledger.store_config
    if config.kind == "sqlite":
        assert config.sqlite_path is not None
        with sqlite3.connect(config.sqlite_path) as conn:
            conn.execute("DELETE FROM asb_data_keys")
        conn.close()
        return
    assert config.postgres_conninfo is not None
    with psycopg.connect(config.postgres_conninfo, autocommit=True) as pg:
        pg.execute(
            sql.SQL("DELETE FROM {}").format(
                sql.Identifier(config.postgres_schema, "asb_data_keys")
            )
        )


def test_a_ciphertext_relabelled_to_an_unkeyed_scope_fails_authentication(
    ledger: CaseLedger,
) -> None:
    subjects = open_case(ledger)
    details = ledger.get_case(subjects.case_id).persons[subjects.victim].details
    assert details is not None
    with pytest.raises(SealBroken):
        ledger.sealer.unseal(
            replace(details.name, scope=person_scope(uuid4())),
            case_id=subjects.case_id,
            field="name",
        )


def test_a_lost_key_is_an_error_not_an_erasure(ledger: CaseLedger) -> None:
    subjects = open_case(ledger)
    _delete_key_rows(ledger)
    fresh = CaseLedger(ledger.settings)
    try:
        case = fresh.get_case(subjects.case_id)
        with pytest.raises(SealBroken):
            fresh.sealer.unseal(case.description, case_id=case.id, field="description")
    finally:
        fresh.close()


def test_another_ledger_seals_nothing_new_under_a_destroyed_scope(ledger: CaseLedger) -> None:
    subjects = open_case(ledger)
    other = CaseLedger(ledger.settings)  # another worker process on the same store
    try:
        victim = _unseal_person(other, subjects.case_id, subjects.victim)  # now cached there
        assert victim["name"] == subjects.canaries["victim.name"]
        ledger.destroy_key(
            person_scope(subjects.victim),
            actor=DPO,
            occurred_at=T0 + timedelta(days=400),
            reason=ErasureReason.SUBJECT_REQUEST,
        )
        with pytest.raises(RuleViolation) as raised:
            other.sealer.seal_personal(
                "a new address",
                case_id=subjects.case_id,
                person_ref=subjects.victim,
                field="address",
            )
        assert raised.value.rule is Rule.KEY_DESTROYED
    finally:
        other.close()
