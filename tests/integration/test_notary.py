"""The notary on both stores: every event a leaf, in order, exactly once; signed checkpoints that
only ever extend; proofs from its tables; forks stop it with an alarm; append-only tables."""

from __future__ import annotations

import copy
import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import psycopg.errors
import pytest
from structlog.testing import capture_logs

from ledger import merkle
from ledger.application import CaseLedger
from ledger.chain import HASH_KEY, hash_event
from ledger.checkpoint import SignerKey, verify
from ledger.events import CaseEvent
from ledger.integrity import GENESIS
from ledger.settings import Settings
from projections import ViewRunner, ViewStore, open_view_store
from projections.notary import (
    Notary,
    NotaryAlarm,
    NotaryKeyError,
    NotarySettings,
    leaf_digest,
    load_or_create_signer,
    logged_topics,
    notary_settings,
)
from projections.service import NotaryTicker
from tests.integration.test_directory import Cases
from tests.integration.test_projection_runner import record_access
from tests.integration.test_tamper import RawEvents

ORIGIN = "asb-ledger.test/notary"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def signer() -> SignerKey:
    return SignerKey.generate(ORIGIN)


@pytest.fixture
def view_store(ledger: CaseLedger) -> Iterator[ViewStore]:
    store = open_view_store(ledger.store_config)
    yield store
    store.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_notary(
    store: ViewStore, signer: SignerKey, clock: Clock, every: int = 1, seconds: float = 3600
) -> Notary:
    return Notary(
        store,
        settings=NotarySettings(signer=signer, origin=ORIGIN, every=every, seconds=seconds),
        clock=clock,
    )


@pytest.fixture
def notary(view_store: ViewStore, signer: SignerKey, clock: Clock) -> Notary:
    return make_notary(view_store, signer, clock)


def chained(ledger: CaseLedger) -> list[Any]:
    """Every event the notary logs, in notification order, decoded."""
    topics = set(logged_topics())
    notes = ledger.recorder.select_notifications(1, 100_000)
    return [ledger.mapper.to_domain_event(n) for n in notes if n.topic in topics]


def some_cases(ledger: CaseLedger, count: int = 3) -> Cases:
    """``count`` cases of three events each (opened, assigned, an incident)."""
    cases = Cases(ledger)
    for _ in range(count):
        case = cases.open(team="north")
        cases.note(case)
    return cases


def test_every_chained_event_is_a_leaf_in_notification_order(
    ledger: CaseLedger, notary: Notary, signer: SignerKey
) -> None:
    some_cases(ledger)
    ViewRunner(ledger, [notary], page_size=4).catch_up()

    events = chained(ledger)
    leaves = notary.leaves(0, 1000)
    assert [(leaf.case_id, leaf.version) for leaf in leaves] == [
        (e.originator_id, e.originator_version) for e in events
    ]
    assert [leaf.index for leaf in leaves] == list(range(len(events)))
    assert [leaf.event_hash for leaf in leaves] == [leaf_digest(e) for e in events]
    assert notary.tree_size() == len(events)

    latest = notary.latest_checkpoint()
    assert latest is not None
    assert latest.size == len(events)
    signed = verify(latest.note, signer.private_key.public_key(), signer.name, origin=ORIGIN)
    expected = merkle.tree_root(merkle.event_leaf_hash(leaf_digest(e)) for e in events)
    assert signed.root == expected == latest.root


def test_delivering_again_or_restarting_logs_nothing_twice(
    ledger: CaseLedger, view_store: ViewStore, signer: SignerKey, clock: Clock
) -> None:
    some_cases(ledger, 2)
    first = make_notary(view_store, signer, clock)
    ViewRunner(ledger, [first], page_size=3).catch_up()
    size = first.tree_size()
    notes = ledger.recorder.select_notifications(1, 1000)
    runner = ViewRunner(ledger, [first])
    assert runner.deliver(first, notes) == 0

    some_cases(ledger, 1)
    again = make_notary(view_store, signer, clock)  # a restart: resumes from its tables
    ViewRunner(ledger, [again], page_size=2).catch_up()
    assert again.tree_size() == len(chained(ledger)) > size
    root = merkle.tree_root(merkle.event_leaf_hash(leaf_digest(e)) for e in chained(ledger))
    latest = again.latest_checkpoint()
    assert latest is not None
    assert latest.root == root


def test_checkpoints_every_n_leaves_or_t_seconds_and_each_extends_the_last(
    ledger: CaseLedger, view_store: ViewStore, signer: SignerKey, clock: Clock
) -> None:
    notary = make_notary(view_store, signer, clock, every=5, seconds=60)
    runner = ViewRunner(ledger, [notary], page_size=1)
    cases = some_cases(ledger, 1)
    runner.catch_up()
    assert [c.size for c in notary.checkpoints()] == [1]  # the first page signs

    case = cases.open()
    for _ in range(4):
        cases.note(case)
    runner.catch_up()  # one leaf a page: a checkpoint each time 5 more are logged
    size = notary.tree_size()
    assert size > 6
    counted = list(range(1, size + 1, 5))
    assert [c.size for c in notary.checkpoints()] == counted

    while notary.tree_size() - counted[-1] in (0, 4):  # leave 1 to 3 leaves unsigned
        cases.note(case)
        runner.catch_up()
        counted = [c.size for c in notary.checkpoints()]
    notary.tick()
    assert [c.size for c in notary.checkpoints()] == counted  # too few, too soon: not due
    clock.now += timedelta(seconds=61)
    notary.tick()
    assert [c.size for c in notary.checkpoints()] == [*counted, notary.tree_size()]
    notary.tick(force=True)  # nothing new to cover: nothing signed
    assert len(notary.checkpoints()) == len(counted) + 1

    public = signer.private_key.public_key()
    signed = [verify(c.note, public, signer.name) for c in notary.checkpoints()]
    for older, newer in itertools.pairwise(signed):
        proof = notary.consistency_proof(older.size, newer.size)
        merkle.verify_consistency(older.size, newer.size, older.root, newer.root, proof)


def test_inclusion_proofs_from_the_tables_verify_against_the_checkpoint(
    ledger: CaseLedger, notary: Notary
) -> None:
    some_cases(ledger, 4)
    ViewRunner(ledger, [notary], page_size=5).catch_up()
    latest = notary.latest_checkpoint()
    assert latest is not None
    for event in chained(ledger):
        leaf = notary.leaf_of(event.originator_id, event.originator_version)
        assert leaf is not None
        assert notary.leaf_by_hash(leaf.event_hash) == leaf
        proof = notary.inclusion_proof(leaf.index, latest.size)
        merkle.verify_inclusion(leaf.leaf_hash, leaf.index, latest.size, proof, latest.root)
    assert notary.leaf_of(UUID(int=1), 1) is None


def test_a_case_is_checked_for_forks_as_it_is_logged(
    ledger: CaseLedger, notary: Notary, signer: SignerKey, clock: Clock
) -> None:
    """A second, diverging history of a case (an edited copy of an event saved under
    another case's stream would be refused by the store; so feed the notary directly)."""
    cases = some_cases(ledger, 1)
    ViewRunner(ledger, [notary]).catch_up()
    case_id = next(iter(cases.kits))
    first = chained(ledger)[0]
    assert first.originator_id == case_id

    def feed(event: CaseEvent, position: int) -> None:
        with notary.page():
            notary.log(event, position)

    replayed = copy.copy(first)
    with capture_logs() as logs, pytest.raises(NotaryAlarm, match="version 1 follows version"):
        feed(replayed, 10_000)
    assert [e["event"] for e in logs if e["log_level"] == "error"] == ["notary.alarm"]
    assert logs[0]["case_id"] == str(case_id)
    assert logs[0]["version"] == 1

    edited = copy.copy(first)
    vars(edited)["prev_hash"] = "1" * 64
    with pytest.raises(NotaryAlarm, match="does not match its recorded hash"):
        feed(edited, 10_001)
    vars(edited)[HASH_KEY] = hash_event(edited)
    vars(edited)["originator_version"] = 4
    vars(edited)[HASH_KEY] = hash_event(edited)
    with pytest.raises(NotaryAlarm, match="prev_hash is not the hash logged for version 3"):
        feed(edited, 10_002)

    alarms = notary.alarms()
    assert [(a.position, a.case_id, a.version) for a in alarms] == [
        (10_000, case_id, 1),
        (10_001, case_id, 1),
        (10_002, case_id, 4),
    ]
    assert notary.tree_size() == len(chained(ledger))  # nothing of a failed page was kept


def test_a_tampered_row_stops_the_runner_at_it(
    ledger: CaseLedger, notary: Notary, view_store: ViewStore
) -> None:
    cases = some_cases(ledger, 2)
    head = ledger.recorder.max_notification_id() or 0
    last_case = list(cases.kits)[-1]
    raw = RawEvents(ledger)
    _topic, state = raw.row(last_case, 2)
    raw.set_state(last_case, 2, state.replace(b'"prev_hash":"', b'"prev_hash":"f', 1))
    runner = ViewRunner(ledger, [notary], interval=0.01)
    with pytest.raises(NotaryAlarm) as raised:
        runner.catch_up()
    assert (raised.value.case_id, raised.value.version) == (last_case, 2)
    assert notary.position() < head
    assert notary.alarms()[0].case_id == last_case


@pytest.mark.postgres
@pytest.mark.parametrize("store", ["postgres"], indirect=True)
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {leaves} SET event_hash = 'x'",
        "DELETE FROM {leaves}",
        "TRUNCATE {leaves}",
        "UPDATE {subtrees} SET hash = 'x'",
        "DELETE FROM {checkpoints}",
        "TRUNCATE {checkpoints}",
        "DELETE FROM {alarms}",
    ],
)
def test_on_postgresql_the_notary_tables_refuse_change(
    ledger: CaseLedger, notary: Notary, statement: str
) -> None:
    some_cases(ledger, 1)
    ViewRunner(ledger, [notary]).catch_up()
    notary._record_alarm(NotaryAlarm(99, None, None, "a test alarm"))
    size = notary.tree_size()
    config = ledger.store_config
    assert config.postgres_conninfo is not None
    sql = statement.format(
        leaves=notary.tables.leaves,
        subtrees=notary.tables.subtrees,
        checkpoints=notary.tables.checkpoints,
        alarms=notary.tables.alarms,
    )
    with (
        psycopg.connect(config.postgres_conninfo, autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"),
    ):
        conn.execute(sql)
    assert notary.tree_size() == size


def test_an_inconsistent_tree_is_never_signed(
    ledger: CaseLedger, notary: Notary, view_store: ViewStore
) -> None:
    cases = Cases(ledger)
    case = cases.open(team="north")
    ViewRunner(ledger, [notary]).catch_up()
    # Someone rewrites a stored subtree hash (the triggers are off, or this is SQLite).
    with view_store.transaction() as tx:
        if ledger.store_config.kind == "postgres":
            tx.execute(f"ALTER TABLE {notary.tables.subtrees} DISABLE TRIGGER USER")
        tx.execute(view_store.sql(f"UPDATE {notary.tables.subtrees} SET hash = ?"), ("00" * 32,))
    signed = len(notary.checkpoints())
    cases.note(case)
    with pytest.raises(NotaryAlarm, match="will not sign"):
        ViewRunner(ledger, [notary]).catch_up()
    assert len(notary.checkpoints()) == signed


# ------------------------------------------------------------------ keys


def test_the_embedded_key_is_made_once_with_0600_and_its_public_half_beside_it(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    first = notary_settings(settings)
    key = tmp_path / "var" / "notary.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert first.signer.name == first.origin == "asb-ledger.local/notary"
    published = (tmp_path / "var" / "notary.pub").read_text().strip()
    assert published == first.signer.verifier().encode()
    again = notary_settings(settings)
    assert again.signer.encode() == first.signer.encode()
    key.unlink()  # lost: a new key could not extend what the old one signed
    with pytest.raises(NotaryKeyError, match="restore the key"):
        notary_settings(settings)
    assert not key.exists()


def test_a_configured_key_must_exist_and_be_a_key(tmp_path: Path) -> None:
    missing = Settings(data_dir=tmp_path, notary_key_file=tmp_path / "nope.key")
    with pytest.raises(NotaryKeyError, match="does not exist"):
        notary_settings(missing)
    assert not (tmp_path / "nope.key").exists()
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    with pytest.raises(NotaryKeyError, match="not an Ed25519 signer key"):
        load_or_create_signer(bad, "x", create=False)


def test_genesis_is_the_first_prev_hash() -> None:
    assert GENESIS == "0" * 64


def test_a_proof_reads_o_log_n_rows_in_one_query(
    ledger: CaseLedger, notary: Notary, view_store: ViewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    some_cases(ledger, 40)  # 160 leaves: three events and a reference each
    ViewRunner(ledger, [notary], page_size=50).catch_up()
    size = notary.tree_size()
    assert size == 160
    queries: list[int] = []
    select = view_store.select

    def counted(statement: str, params: Any = ()) -> Any:
        rows = select(statement, params)
        queries.append(len(rows))
        return rows

    monkeypatch.setattr(view_store, "select", counted)
    bound = 2 * (size - 1).bit_length()
    latest = notary.latest_checkpoint()
    assert latest is not None
    for index in (0, 1, 59, 64, 127, 128, 158, 159):
        queries.clear()
        proof = notary.inclusion_proof(index, size)
        leaf = notary.hashes()  # (not counted below)
        assert len(queries) == 1, queries
        assert 0 < queries[0] <= bound, (index, queries)
        monkeypatch.setattr(view_store, "select", select)
        merkle.verify_inclusion(leaf.leaf(index), index, size, proof, latest.root)
        monkeypatch.setattr(view_store, "select", counted)
    for old in (1, 7, 64, 100, 128, 159):
        queries.clear()
        proof = notary.consistency_proof(old, size)
        assert len(queries) == 1, queries
        assert 0 < queries[0] <= bound, (old, queries)


def test_an_alarm_the_notary_got_past_is_no_longer_active(
    ledger: CaseLedger, notary: Notary
) -> None:
    some_cases(ledger, 1)
    ViewRunner(ledger, [notary]).catch_up()
    ahead = (ledger.recorder.max_notification_id() or 0) + 1
    notary._record_alarm(NotaryAlarm(ahead, None, None, "stopped here"))
    assert [a.position for a in notary.active_alarms()] == [ahead]
    some_cases(ledger, 1)  # the notary logs past it (it was, say, a key restored since)
    ViewRunner(ledger, [notary]).catch_up()
    assert notary.active_alarms() == []
    assert [a.position for a in notary.alarms()] == [ahead]


def test_an_undecodable_row_stops_the_notary_with_an_alarm(
    ledger: CaseLedger, notary: Notary
) -> None:
    cases = some_cases(ledger, 1)
    case_id = next(iter(cases.kits))
    raw = RawEvents(ledger)
    _, state = raw.row(case_id, 2)
    raw.set_state(case_id, 2, state[: len(state) // 2])
    with pytest.raises(NotaryAlarm, match="cannot be decoded"):
        ViewRunner(ledger, [notary]).catch_up()
    assert next(a.reason for a in notary.active_alarms()).startswith("a stored event after")


def test_two_notaries_at_once_log_each_event_once_and_sign_only_extensions(
    ledger: CaseLedger, view_store: ViewStore, signer: SignerKey, clock: Clock
) -> None:
    """Two notaries (say, the service's and a projections process) on the same tables, with
    writers going on: pages serialise on the tracking row, so the log stays one tree."""
    first = make_notary(view_store, signer, clock, every=3)
    second = make_notary(open_view_store(ledger.store_config), signer, clock, every=2)
    runners = [
        ViewRunner(ledger, [first], page_size=7, interval=0.005),
        ViewRunner(ledger, [second], page_size=3, interval=0.005),
    ]
    for runner in runners:
        runner.start()
    try:
        writers = [threading.Thread(target=some_cases, args=(ledger, 5)) for _ in range(3)]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        head = ledger.recorder.max_notification_id() or 0
        assert first.wait_for(head, 20)
        assert second.wait_for(head, 20)
    finally:
        for runner in runners:
            runner.stop()
    first.tick(force=True)
    events = chained(ledger)
    leaves = first.leaves(0, 10_000)
    assert [(leaf.case_id, leaf.version) for leaf in leaves] == [
        (e.originator_id, e.originator_version) for e in events
    ]
    assert [leaf.index for leaf in leaves] == list(range(len(events)))
    assert first.alarms() == []
    public = signer.private_key.public_key()
    signed = [verify(c.note, public, signer.name) for c in first.checkpoints()]
    assert signed[-1].size == len(events)
    for older, newer in itertools.pairwise(signed):
        proof = first.consistency_proof(older.size, newer.size)
        merkle.verify_consistency(older.size, newer.size, older.root, newer.root, proof)
    second.store.close()


def test_the_ticker_signs_when_the_log_is_quiet(
    ledger: CaseLedger, view_store: ViewStore, signer: SignerKey, clock: Clock
) -> None:
    notary = make_notary(view_store, signer, clock, every=1000, seconds=60)
    cases = some_cases(ledger, 1)
    ViewRunner(ledger, [notary]).catch_up()  # the first page signs
    cases.note(cases.open())
    ViewRunner(ledger, [notary]).catch_up()  # not due: too few, too soon
    signed = [c.size for c in notary.checkpoints()]
    assert signed[-1] < notary.tree_size()
    ticker = NotaryTicker(notary, 0.02)
    ticker.start()
    try:
        clock.now += timedelta(seconds=61)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(notary.checkpoints()) == len(signed):
            time.sleep(0.02)
    finally:
        ticker.stop()
    assert [c.size for c in notary.checkpoints()] == [*signed, notary.tree_size()]


def test_access_records_are_leaves_of_the_same_tree(ledger: CaseLedger, notary: Notary) -> None:
    cases = some_cases(ledger, 1)
    position = record_access(ledger, next(iter(cases.kits)))
    ViewRunner(ledger, [notary]).catch_up()
    (leaf,) = [leaf for leaf in notary.leaves(0, 1000) if leaf.position == position]
    (note,) = ledger.recorder.select_notifications(position, 1)
    assert note.topic == "asb.access.Accessed.v1"
    assert leaf.version == 1
    latest = notary.latest_checkpoint()
    assert latest is not None
    proof = notary.inclusion_proof(leaf.index, latest.size)
    merkle.verify_inclusion(leaf.leaf_hash, leaf.index, latest.size, proof, latest.root)
