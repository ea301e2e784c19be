"""The tamper matrix (issue 6), on SQLite and PostgreSQL: each edit is made with raw SQL behind
the application's back, after the notary logged and signed the events, and each is caught by
``asb-ledger verify --all`` naming the first bad case and version (or the checkpoint, for what
only a checkpoint can show). Untouched data, and data after a key was destroyed, verify."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner, Result

from api.cli.app import app
from ledger.application import CaseLedger
from ledger.chain import HASH_KEY, hash_event
from ledger.enums import ErasureReason
from ledger.erasure import KeyErasure, reference_index_id
from ledger.sealing import person_scope
from projections import ViewRunner, ViewStore, open_view_store
from projections.notary import Notary, NotaryAlarm, leaf_digest, notary_settings
from tests.builders import SUPERVISOR
from tests.integration.test_tamper import EVENTS, RawEvents, _stored, build_case, edited


@dataclass
class Scene:
    ledger: CaseLedger
    raw: RawEvents
    store: ViewStore
    notary: Notary
    bystander: UUID
    target: UUID

    def log(self) -> None:
        """The notary catches up and signs what it logged."""
        ViewRunner(self.ledger, [self.notary]).catch_up()
        self.notary.tick(force=True)

    def pin(self) -> Path:
        """An auditor keeps the latest checkpoint, outside the database."""
        latest = self.notary.latest_checkpoint()
        assert latest is not None
        path = self.ledger.settings.data_dir.parent / f"pinned-{latest.size}.checkpoint"
        path.write_text(latest.note, encoding="utf-8")
        return path

    def verify(self, *args: str) -> Result:
        settings = self.ledger.settings
        env = {"ASB_DATA_DIR": str(settings.data_dir), "ASB_LOG_FORMAT": "json"}
        assert settings.database_url is not None
        env["ASB_DATABASE_URL"] = settings.database_url
        return CliRunner().invoke(app, ["verify", "--all", *args], env=env)


@pytest.fixture
def scene(ledger: CaseLedger) -> Iterator[Scene]:
    bystander = build_case(ledger)
    target = build_case(ledger)
    store = open_view_store(ledger.store_config)
    settings = dataclasses.replace(notary_settings(ledger.settings), every=1)
    notary = Notary(store, settings=settings)
    scene = Scene(ledger, RawEvents(ledger), store, notary, bystander, target)
    scene.log()
    yield scene
    store.close()


def assert_intact(result: Result) -> None:
    assert (result.exit_code, result.stdout) == (0, "intact\n"), result.output


def assert_named(result: Result, case_id: UUID, version: int, *words: str) -> None:
    assert result.exit_code == 1, result.output
    line = result.stdout.strip()
    assert line.startswith(f"FAILED case {case_id} version {version}: "), line
    assert len(line.splitlines()) == 1
    for word in words:
        assert word in line, line


def assert_checkpoint_failed(result: Result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    line = result.stdout.strip()
    assert line.startswith("FAILED checkpoint: "), line
    for word in words:
        assert word in line, line


# ------------------------------------------------------------------ untouched


def test_untouched_data_verifies_with_and_without_a_pinned_checkpoint(scene: Scene) -> None:
    pinned = scene.pin()
    build_case(scene.ledger)
    scene.log()
    assert_intact(scene.verify())
    assert_intact(scene.verify("--since", str(pinned)))
    assert scene.notary.tree_size() == 3 * (EVENTS + 1)  # each case, and its reference


def test_data_after_a_key_was_destroyed_verifies(scene: Scene) -> None:
    pinned = scene.pin()
    case = scene.ledger.get_case(scene.target)
    victim = next(iter(case.persons))
    assert scene.ledger.destroy_key(
        person_scope(victim),
        actor=SUPERVISOR,
        occurred_at=datetime(2026, 4, 1, tzinfo=UTC),
        reason=ErasureReason.RETENTION_EXPIRED,
    )
    scene.log()
    assert_intact(scene.verify("--since", str(pinned)))


def test_events_not_yet_logged_are_left_to_their_chain(scene: Scene) -> None:
    build_case(scene.ledger)  # the notary has not run since
    assert_intact(scene.verify())


# ------------------------------------------------------------------ edits in place


def test_a_flipped_byte_is_named(scene: Scene) -> None:
    _, state = scene.raw.row(scene.target, 3)
    at = state.index(b'"criminal":true')
    scene.raw.set_state(scene.target, 3, state[:at] + b'"criminal":tru3' + state[at + 15 :])
    assert_named(scene.verify(), scene.target, 3)


def test_a_changed_actor_is_named(scene: Scene) -> None:
    _, state = scene.raw.row(scene.target, 2)
    scene.raw.set_state(scene.target, 2, edited(state, b'"user_id":"cw-1"', b'"user_id":"cw-9"'))
    assert_named(scene.verify(), scene.target, 2)


def test_a_changed_timestamp_is_named(scene: Scene) -> None:
    _, state = scene.raw.row(scene.target, 4)
    old = state[state.index(b'"timestamp"') :][:80]
    year = old.index(b"202")
    new = old[:year] + b"2019" + old[year + 4 :]
    scene.raw.set_state(scene.target, 4, state.replace(old, new, 1))
    assert_named(scene.verify(), scene.target, 4)


# ------------------------------------------------------------------ removals, swaps, inserts


def test_an_event_deleted_in_the_middle_is_named(scene: Scene) -> None:
    scene.raw.delete(scene.target, 3)
    assert_named(scene.verify(), scene.target, 3)


def test_two_events_swapped_are_named_at_the_earlier(scene: Scene) -> None:
    t3, s3 = scene.raw.row(scene.target, 3)
    t4, s4 = scene.raw.row(scene.target, 4)
    scene.raw.delete(scene.target, 3)
    scene.raw.delete(scene.target, 4)
    scene.raw.insert(scene.target, 3, t4, s4)
    scene.raw.insert(scene.target, 4, t3, s3)
    assert_named(scene.verify(), scene.target, 3)


def test_an_event_inserted_in_the_middle_is_named(scene: Scene) -> None:
    for version in range(EVENTS, 3, -1):
        scene.raw.set_version(scene.target, version, version + 1)
    topic, state = scene.raw.row(scene.bystander, 4)  # another case's event, re-numbered
    scene.raw.insert(scene.target, 4, topic, state)
    assert_named(scene.verify(), scene.target, 4)


def test_a_case_truncated_is_named_at_its_first_missing_event(scene: Scene) -> None:
    """Its chain still links: only the Merkle log knows the case went further."""
    scene.raw.delete(scene.target, EVENTS)
    scene.raw.delete(scene.target, EVENTS - 1)
    assert scene.ledger.verify_case(scene.target).intact
    assert_named(scene.verify(), scene.target, EVENTS - 1, "missing from the store")


def test_a_forged_event_with_its_chain_recomputed_is_named(scene: Scene) -> None:
    """The forger re-hashes the edited event and every later one with the ledger's own code:
    the chain verifies; the Merkle log does not hold those hashes."""
    forge_chain_from(scene, 3)
    assert scene.ledger.verify_case(scene.target).intact
    assert_named(scene.verify(), scene.target, 3, "not the one logged")


def test_forged_events_and_a_rewritten_notary_are_caught_by_the_signed_root(
    scene: Scene,
) -> None:
    """The forger also rewrites the notary's tables to match (with its triggers disabled),
    but cannot sign: the rebuilt root is not the one in the signed checkpoint."""
    forge_chain_from(scene, 3)
    rewrite_notary(scene)
    assert scene.ledger.verify_case(scene.target).intact
    assert_checkpoint_failed(scene.verify(), "signed")


def test_a_rollback_to_an_earlier_backup_is_caught_by_a_pinned_checkpoint(
    scene: Scene, tmp_path: Path
) -> None:
    backup = take_backup(scene, tmp_path)
    build_case(scene.ledger)
    scene.log()
    pinned = scene.pin()
    assert_intact(scene.verify("--since", str(pinned)))

    restore_backup(scene, backup)
    # A consistent older state: only a checkpoint kept outside the database can tell. The
    # notary keeps its last one beside its key, which verify uses by default ...
    assert_checkpoint_failed(scene.verify(), "rolled back")
    # ... and an auditor elsewhere has the one they pinned.
    scene.ledger.settings.notary_witness_path.unlink()
    assert_intact(scene.verify())
    assert_checkpoint_failed(scene.verify("--since", str(pinned)), "rolled back")


# ------------------------------------------------------------------ the forger's tools


def forge_chain_from(scene: Scene, version: int) -> None:
    ledger, raw, target = scene.ledger, scene.raw, scene.target
    previous = None
    for v in range(version, EVENTS + 1):
        topic, state = raw.row(target, v)
        event: Any = ledger.mapper.to_domain_event(_stored(target, v, topic, state))
        if v == version:
            vars(event)["criminal"] = False
        if previous is not None:
            vars(event)["prev_hash"] = previous
        vars(event)[HASH_KEY] = previous = hash_event(event)
        raw.set_state(target, v, ledger.mapper.to_stored_event(event).state)


def rewrite_notary(scene: Scene) -> None:
    """Recomputes the leaves and subtrees from the forged rows and writes them over."""
    from ledger import merkle
    from replay.log_check import _Rows

    notary, store = scene.notary, scene.store
    leaves = [row[2] for row in _Rows(scene.ledger)]
    memory = merkle.MemoryHashStore()
    for leaf in leaves:
        assert leaf is not None
        memory.append(leaf)
    with store.transaction() as tx:
        if scene.ledger.store_config.kind == "postgres":
            tx.execute("SET LOCAL session_replication_role = replica")
        for index, leaf in enumerate(leaves):
            assert leaf is not None
            found = notary.leaf_at(index)
            assert found is not None
            tx.execute(
                store.sql(
                    f"UPDATE {notary.tables.leaves} SET leaf_hash = ?, event_hash = ?"
                    " WHERE leaf_index = ?"
                ),
                (leaf.hex(), _event_hash_of(scene, found.case_id, found.version), index),
            )
        perfect = [
            (start, size)
            for size in (2, 4, 8, 16, 32, 64)
            for start in range(0, len(leaves) - size + 1, size)
        ]
        update = f"UPDATE {notary.tables.subtrees} SET hash = ? WHERE start = ? AND size = ?"
        for start, size in perfect:
            tx.execute(store.sql(update), (memory.subtree(start, size).hex(), start, size))


def _event_hash_of(scene: Scene, case_id: UUID, version: int) -> str:
    notes = scene.ledger.recorder.select_events(case_id, gt=version - 1, lte=version)
    return leaf_digest(scene.ledger.mapper.to_domain_event(notes[0]))


def take_backup(scene: Scene, tmp_path: Path) -> Any:
    config = scene.ledger.store_config
    if config.kind == "sqlite":
        assert config.sqlite_path is not None
        copy = tmp_path / "backup.sqlite3"
        import sqlite3

        with sqlite3.connect(config.sqlite_path) as source, sqlite3.connect(copy) as target:
            source.backup(target)
        return copy
    assert config.postgres_conninfo is not None
    backup = f"{config.postgres_schema}_backup"
    with psycopg.connect(config.postgres_conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(backup)))
        for table in _tables(conn, config.postgres_schema):
            conn.execute(
                sql.SQL("CREATE TABLE {} AS TABLE {}").format(
                    sql.Identifier(backup, table), sql.Identifier(config.postgres_schema, table)
                )
            )
    return backup


def restore_backup(scene: Scene, backup: Any) -> None:
    config = scene.ledger.store_config
    scene.ledger.close()
    scene.store.close()
    if config.kind == "sqlite":
        assert config.sqlite_path is not None
        for suffix in ("-wal", "-shm"):
            Path(config.sqlite_path + suffix).unlink(missing_ok=True)
        shutil.copyfile(backup, config.sqlite_path)
        return
    assert config.postgres_conninfo is not None
    schema = config.postgres_schema
    with psycopg.connect(config.postgres_conninfo, autocommit=True) as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        for table in _tables(conn, backup):
            live = sql.Identifier(schema, table)
            conn.execute(sql.SQL("TRUNCATE {}").format(live))
            conn.execute(
                sql.SQL("INSERT INTO {} SELECT * FROM {}").format(
                    live, sql.Identifier(backup, table)
                )
            )
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(backup)))


def _tables(conn: psycopg.Connection[Any], schema: str) -> list[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = %s AND table_type = 'BASE TABLE'",
        (schema,),
    ).fetchall()
    return [str(row[0]) for row in rows]


# ------------------------------------------------------------------ records, the notary's rows


def test_a_removed_reference_or_erasure_record_is_caught_by_the_log(scene: Scene) -> None:
    case = scene.ledger.get_case(scene.target)
    victim = next(iter(case.persons))
    scene.ledger.destroy_key(
        person_scope(victim),
        actor=SUPERVISOR,
        occurred_at=datetime(2026, 4, 1, tzinfo=UTC),
        reason=ErasureReason.SUBJECT_REQUEST,
    )
    scene.log()
    erasure = KeyErasure.create_id(person_scope(victim))
    scene.raw.delete(erasure, 1)
    assert_named(scene.verify(), erasure, 1, "missing from the store")


def test_a_reference_pointed_at_another_case_is_caught_by_the_log(scene: Scene) -> None:
    reference = scene.ledger.get_case(scene.target).reference
    index = reference_index_id(reference)
    _, state = scene.raw.row(index, 1)
    forged = state.replace(scene.target.hex.encode(), scene.bystander.hex.encode())
    forged = forged.replace(str(scene.target).encode(), str(scene.bystander).encode())
    assert forged != state
    scene.raw.set_state(index, 1, forged)
    assert scene.ledger.find_case_id(reference) == scene.bystander
    assert_named(scene.verify(), index, 1, "not the one logged")


def test_removed_checkpoints_are_caught(scene: Scene) -> None:
    with scene.store.transaction() as tx:
        if scene.ledger.store_config.kind == "postgres":
            tx.execute("SET LOCAL session_replication_role = replica")
        tx.execute(f"DELETE FROM {scene.notary.tables.checkpoints}")
    scene.ledger.settings.notary_witness_path.unlink()  # not even the witness is left
    assert_checkpoint_failed(scene.verify(), "checkpoints were removed")


def test_a_notary_cut_back_to_re_log_a_forgery_refuses_to_sign(scene: Scene) -> None:
    """Someone forges a case and cuts the notary's rows back to before it, so that it would
    log the forgery afresh: the notary remembers what it signed, outside the database."""
    forge_chain_from(scene, 3)
    cut = EVENTS + 1  # the bystander and its reference stay
    with scene.store.transaction() as tx:
        if scene.ledger.store_config.kind == "postgres":
            tx.execute("SET LOCAL session_replication_role = replica")
        for table, column in (
            (scene.notary.tables.leaves, "leaf_index"),
            (scene.notary.tables.subtrees, "start + size - 1"),
            (scene.notary.tables.checkpoints, "tree_size - 1"),
        ):
            tx.execute(scene.store.sql(f"DELETE FROM {table} WHERE {column} >= ?"), (cut,))
        tx.execute(
            scene.store.sql(
                "UPDATE asb_projection_tracking SET notification_id = ? WHERE view_name = 'notary'"
            )
            if scene.ledger.store_config.kind == "sqlite"
            else scene.store.sql(
                f"UPDATE {scene.store.table('asb_projection_tracking')}"
                " SET notification_id = ? WHERE view_name = 'notary'"
            ),
            (notary_position_of(scene, cut),),
        )
    signed = len(scene.notary.checkpoints())
    restarted = Notary(scene.store, settings=scene.notary.settings)
    with pytest.raises(NotaryAlarm, match="cut back"):
        ViewRunner(scene.ledger, [restarted]).catch_up()
    assert len(restarted.checkpoints()) == signed
    assert_checkpoint_failed(scene.verify())


def notary_position_of(scene: Scene, size: int) -> int:
    leaf = scene.notary.leaf_at(size - 1)
    assert leaf is not None
    return leaf.position


def test_an_unreadable_reference_row_is_named_not_a_crash(scene: Scene) -> None:
    index = reference_index_id(scene.ledger.get_case(scene.target).reference)
    _, state = scene.raw.row(index, 1)
    scene.raw.set_state(index, 1, state[: len(state) // 2])
    assert_named(scene.verify(), index, 1, "cannot be decoded")
