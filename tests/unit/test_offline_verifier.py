"""The offline verifier on bundles built from real pieces: each tampering is named, first."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.application import CaseLedger
from ledger.chain import commitment_of
from ledger.checkpoint import Checkpoint, SignerKey, VerifierKey, sign
from ledger.integrity import GENESIS, commitment, hash_commitment
from ledger.merkle import (
    MemoryHashStore,
    consistency_proof,
    event_leaf_hash,
    inclusion_proof,
    leaf_hash,
    tree_head,
)
from ledger.values import Sealed
from replay.bundle import (
    Bundle,
    BundleCase,
    BundleEvent,
    ConsistencyProof,
    MalformedBundle,
    parse_bundle,
)
from replay.offline import Result, verify_bundle
from tests.builders import CaseKit

NAME = "asb-ledger.example/notary"
SIGNER = SignerKey.generate(NAME)
KEY = SIGNER.verifier()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Entry:
    commitment: dict[str, Any]
    event_hash: str
    leaf_index: int
    ciphertexts: dict[str, bytes]


@dataclass
class Log:
    """A ledger-wide log from real pieces: chained, hashed commitments in an RFC 9162 tree."""

    seed: int = 0
    tree: MemoryHashStore = field(default_factory=MemoryHashStore)
    cases: dict[str, list[Entry]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def case(self, events: int = 0) -> str:
        case_id = str(UUID(int=self.rng.getrandbits(128), version=4))
        self.cases[case_id] = []
        for _ in range(events):
            self.append(case_id)
        return case_id

    def _seal(self, blobs: dict[str, bytes], scope: str) -> dict[str, str]:
        blob = self.rng.randbytes(12 + 20 + 16)
        digest = hashlib.sha256(blob).hexdigest()
        blobs[digest] = blob
        return {"sealed": digest, "scope": scope}

    def append(self, case_id: str, **fields: Any) -> Entry:
        events = self.cases[case_id]
        version = len(events) + 1
        blobs: dict[str, bytes] = {}
        body = commitment(
            case_id=case_id,
            version=version,
            topic="asb.case.IncidentRecorded.v1",
            recorded_at=(T0 + timedelta(minutes=self.tree.size)).isoformat(),
            actor={"user_id": "cw-1", "role": "caseworker", "organisation": "council"},
            fields={
                "harm": "noise",
                "criminal": version % 2 == 0,
                "count": version,
                "note": None,
                "description": self._seal(blobs, f"case:{case_id}"),
                "victims": [{"ref": "v-1", "name": self._seal(blobs, "person:v-1")}],
                **fields,
            },
            prev_hash=events[-1].event_hash if events else GENESIS,
        )
        entry = Entry(body, hash_commitment(body), self.tree.size, blobs)
        self.tree.append(event_leaf_hash(entry.event_hash))
        events.append(entry)
        return entry

    def access_record(self) -> None:
        """A leaf that belongs to no case, as the notary logs reads into the same tree."""
        self.tree.append(leaf_hash(self.rng.randbytes(32)))

    def note(self, size: int | None = None, signer: SignerKey = SIGNER) -> str:
        size = self.tree.size if size is None else size
        head = Checkpoint(NAME, size, tree_head(self.tree, size))
        return sign(head, signer.private_key, signer.name)

    def bundle(
        self,
        size: int | None = None,
        *,
        case_ids: list[str] | None = None,
        since: tuple[int, ...] = (),
    ) -> Bundle:
        size = self.tree.size if size is None else size

        def proof(index: int) -> list[bytes]:
            return inclusion_proof(self.tree, index, size) if index < size else []

        return Bundle(
            exported_at=T0 + timedelta(days=1),
            origin=NAME,
            checkpoint=self.note(size),
            consistency=[ConsistencyProof(m, consistency_proof(self.tree, m, size)) for m in since],
            cases=[
                BundleCase(
                    case_id,
                    [
                        BundleEvent(
                            e.commitment,
                            e.event_hash,
                            e.leaf_index,
                            proof(e.leaf_index),
                            e.ciphertexts,
                        )
                        for e in self.cases[case_id]
                    ],
                )
                for case_id in (list(self.cases) if case_ids is None else case_ids)
            ],
        )


def interleaved(seed: int = 0) -> tuple[Log, list[str]]:
    """Three cases of 4, 1 and 5 events, interleaved with each other and with access records."""
    log = Log(seed)
    ids = [log.case(), log.case(), log.case()]
    for step in range(5):
        for case_id, length in zip(ids, (4, 1, 5), strict=True):
            if step < length:
                log.append(case_id)
        log.access_record()
    return log, ids


def json_of(bundle: Bundle) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(bundle.to_json())
    return value


def check(raw: dict[str, Any], key: VerifierKey = KEY, since: str | None = None) -> Result:
    """What an auditor gets for a bundle file holding ``raw``."""
    return verify_bundle(parse_bundle(json.dumps(raw)), key, since)


def failure(result: Result) -> tuple[str | None, int | None]:
    assert not result.intact, result
    assert result.reason
    return result.case_id, result.version


def rechain(events: list[dict[str, Any]], start: int = 0) -> None:
    """What a forger with full database access does: renumber, relink and rehash from ``start``."""
    for position in range(start, len(events)):
        body = events[position]["commitment"]
        body["version"] = position + 1
        body["prev_hash"] = events[position - 1]["event_hash"] if position else GENESIS
        events[position]["event_hash"] = hash_commitment(body)


@pytest.fixture
def log_and_ids() -> tuple[Log, list[str]]:
    return interleaved()


def test_an_intact_bundle_passes_and_round_trips(log_and_ids: tuple[Log, list[str]]) -> None:
    log, _ = log_and_ids
    bundle = log.bundle()
    text = bundle.to_json()
    assert parse_bundle(text) == bundle
    assert parse_bundle(text.encode("utf-8")) == bundle
    assert json.loads(text)["exported_at"] == "2026-03-03T09:00:00Z"
    result = verify_bundle(parse_bundle(text), KEY)
    assert result == Result(True, cases=3, events=10)
    assert result.line() == "intact"


def test_one_case_of_many_verifies_on_its_own(log_and_ids: tuple[Log, list[str]]) -> None:
    log, ids = log_and_ids
    assert verify_bundle(log.bundle(case_ids=[ids[2]]), KEY).intact


def test_a_real_case_from_the_aggregate_verifies(memory_ledger: CaseLedger) -> None:
    """The commitments of real domain events, with their real sealed blobs, verify."""
    kit = CaseKit(memory_ledger)
    case = kit.open()
    kit.incident(case, days=1)
    kit.incident(case, days=2, victims=(kit.complainant,))
    events = case.collect_events()
    tree = MemoryHashStore()
    for event in events:
        tree.append(event_leaf_hash(vars(event)["event_hash"]))
    note = sign(Checkpoint(NAME, tree.size, tree_head(tree, tree.size)), SIGNER.private_key, NAME)
    bundle_events = [
        BundleEvent(
            commitment_of(event),
            vars(event)["event_hash"],
            index,
            inclusion_proof(tree, index, tree.size),
            {s.digest: s.blob for s in sealed_in(event)},
        )
        for index, event in enumerate(events)
    ]
    assert len(bundle_events[0].ciphertexts) == 4
    bundle = Bundle(T0, NAME, note, [], [BundleCase(str(kit.case_id), bundle_events)])
    assert verify_bundle(parse_bundle(bundle.to_json()), KEY).intact

    raw = json_of(bundle)
    raw["cases"][0]["events"][0]["ciphertexts"].popitem()  # a key destroyed, its blob erased
    assert check(raw).intact
    digest = next(iter(raw["cases"][0]["events"][1]["ciphertexts"]))
    raw["cases"][0]["events"][1]["ciphertexts"][digest] = "AAAA"
    result = check(raw)
    assert failure(result) == (str(kit.case_id), 2)
    assert result.reason == "a ciphertext does not match its digest"


def sealed_in(value: Any) -> list[Sealed]:
    if isinstance(value, Sealed):
        return [value]
    if isinstance(value, list | tuple):
        return [s for item in value for s in sealed_in(item)]
    if hasattr(value, "__dataclass_fields__"):
        return [s for name in value.__dataclass_fields__ for s in sealed_in(getattr(value, name))]
    return []


Tamper = Callable[[list[dict[str, Any]]], None]


def _flip_field(events: list[dict[str, Any]]) -> None:
    events[1]["commitment"]["fields"]["harm"] = "noisf"


def _change_actor(events: list[dict[str, Any]]) -> None:
    events[1]["commitment"]["actor"]["user_id"] = "cw-2"


def _change_recorded_at(events: list[dict[str, Any]]) -> None:
    events[1]["commitment"]["recorded_at"] = "2026-03-02T09:00:01+00:00"


def _change_version_only(events: list[dict[str, Any]]) -> None:
    events[1]["commitment"]["version"] = 7


def _swap_contents_renumbered(events: list[dict[str, Any]]) -> None:
    events[1], events[2] = events[2], events[1]
    events[1]["commitment"]["version"], events[2]["commitment"]["version"] = 2, 3


def _rewrite_with_recomputed_chain(events: list[dict[str, Any]]) -> None:
    events[1]["commitment"]["fields"]["harm"] = "vandalism"
    rechain(events, 1)


def _swap_recomputed_chain(events: list[dict[str, Any]]) -> None:
    events[1], events[2] = events[2], events[1]
    rechain(events, 1)


def _insert_forged_recomputed(events: list[dict[str, Any]]) -> None:
    forged = copy.deepcopy(events[1])
    forged["commitment"]["fields"]["harm"] = "threats"
    events.insert(1, forged)
    rechain(events, 1)


def _truncate_proof(events: list[dict[str, Any]]) -> None:
    events[1]["inclusion_proof"].pop()


def _flip_proof(events: list[dict[str, Any]]) -> None:
    element = events[1]["inclusion_proof"][0]
    events[1]["inclusion_proof"][0] = ("0" if element[0] != "0" else "1") + element[1:]


def _extend_proof(events: list[dict[str, Any]]) -> None:
    events[1]["inclusion_proof"].append("ab" * 32)


def _wrong_leaf(events: list[dict[str, Any]]) -> None:
    events[1]["leaf_index"] = events[2]["leaf_index"]


def _ciphertext_altered(events: list[dict[str, Any]]) -> None:
    blobs = events[1]["ciphertexts"]
    digest = sorted(blobs)[0]
    blobs[digest] = blobs[sorted(blobs)[1]]


def _ciphertext_of_another_event(events: list[dict[str, Any]]) -> None:
    events[1]["ciphertexts"].update(events[0]["ciphertexts"])


def _first_not_genesis(events: list[dict[str, Any]]) -> None:
    events[0]["commitment"]["prev_hash"] = "1" * 64
    events[0]["event_hash"] = hash_commitment(events[0]["commitment"])


def _float_in_commitment(events: list[dict[str, Any]]) -> None:
    events[1]["commitment"]["fields"]["count"] = 2.5


@pytest.mark.parametrize(
    ("tamper", "version", "reason"),
    [
        (_flip_field, 2, "the event's content does not match its hash"),
        (_change_actor, 2, "the event's content does not match its hash"),
        (_change_recorded_at, 2, "the event's content does not match its hash"),
        (_change_version_only, 2, "the event's content does not match its hash"),
        (_swap_contents_renumbered, 2, "the event's content does not match its hash"),
        (lambda events: events.pop(1), 2, "version 2 is missing"),
        (lambda events: events.insert(2, copy.deepcopy(events[2])), 3, "version 3 appears twice"),
        (
            lambda events: events.insert(1, events.pop(2)),
            2,
            "version 2 is listed after version 3",
        ),
        (_rewrite_with_recomputed_chain, 2, "the event is not in the checkpoint's tree"),
        (_swap_recomputed_chain, 2, "the event is not in the checkpoint's tree"),
        (_insert_forged_recomputed, 2, "the event is not in the checkpoint's tree"),
        (_truncate_proof, 2, "the event is not in the checkpoint's tree"),
        (_flip_proof, 2, "the event is not in the checkpoint's tree"),
        (_extend_proof, 2, "the event is not in the checkpoint's tree"),
        (_wrong_leaf, 2, "the event is not in the checkpoint's tree"),
        (_ciphertext_altered, 2, "a ciphertext does not match its digest"),
        (_ciphertext_of_another_event, 2, "a ciphertext is not the digest of any sealed field"),
        (_first_not_genesis, 1, "prev_hash of the first event is not the genesis hash"),
        (_float_in_commitment, 2, "the commitment holds a value that canonical JSON cannot"),
    ],
    ids=[
        "flipped-byte-in-field",
        "changed-actor",
        "changed-recorded-at",
        "changed-version",
        "swapped-contents",
        "deleted-middle-event",
        "duplicated-version",
        "listed-out-of-order",
        "rewritten-with-recomputed-chain",
        "swapped-with-recomputed-chain",
        "inserted-with-recomputed-chain",
        "truncated-proof",
        "flipped-proof",
        "extended-proof",
        "another-events-leaf",
        "ciphertext-not-its-digest",
        "ciphertext-not-sealed-here",
        "first-prev-hash-not-genesis",
        "float-in-commitment",
    ],
)
def test_tampering_names_the_first_bad_case_and_version(
    log_and_ids: tuple[Log, list[str]], tamper: Tamper, version: int, reason: str
) -> None:
    log, ids = log_and_ids
    raw = json_of(log.bundle())
    assert [case["case_id"] for case in raw["cases"]] == ids
    tamper(raw["cases"][2]["events"])
    result = check(raw)
    assert failure(result) == (ids[2], version)
    assert str(result.reason).startswith(reason), result.reason
    assert result.line().startswith(f"FAILED case {ids[2]} version {version}: ")


def test_a_bundle_is_no_proof_of_absence(log_and_ids: tuple[Log, list[str]]) -> None:
    """Leaving out a case's last events, or a whole case, leaves every event held proven:
    an export shows what it holds, not that nothing else exists (docs/verifying.md)."""
    log, _ = log_and_ids
    raw = json_of(log.bundle())
    raw["cases"][2]["events"].pop()
    del raw["cases"][1]
    assert check(raw).intact


def test_the_first_failure_in_bundle_order_is_reported(log_and_ids: tuple[Log, list[str]]) -> None:
    log, ids = log_and_ids
    raw = json_of(log.bundle())
    _flip_field(raw["cases"][2]["events"])
    raw["cases"][0]["events"][3]["commitment"]["fields"]["harm"] = "x"
    assert failure(check(raw)) == (ids[0], 4)


def test_an_event_moved_into_another_case_is_named(log_and_ids: tuple[Log, list[str]]) -> None:
    log, ids = log_and_ids
    raw = json_of(log.bundle())
    raw["cases"][1]["events"][0] = raw["cases"][0]["events"][0]
    result = check(raw)
    assert failure(result) == (ids[1], 1)
    assert result.reason == "the event belongs to another case"


def test_a_leaf_claimed_twice_is_named(log_and_ids: tuple[Log, list[str]]) -> None:
    log, ids = log_and_ids
    raw = json_of(log.bundle())
    raw["cases"][2]["events"][0]["leaf_index"] = raw["cases"][0]["events"][0]["leaf_index"]
    result = check(raw)
    assert failure(result) == (ids[2], 1)
    assert "claimed by another event" in str(result.reason)


def test_a_case_without_events_fails(log_and_ids: tuple[Log, list[str]]) -> None:
    log, ids = log_and_ids
    raw = json_of(log.bundle())
    raw["cases"][1]["events"] = []
    assert failure(check(raw)) == (ids[1], 1)


def test_an_event_after_the_checkpoint_is_not_covered() -> None:
    log = Log()
    case_id = log.case(events=2)
    size = log.tree.size
    log.append(case_id)
    result = verify_bundle(log.bundle(size), KEY)
    assert failure(result) == (case_id, 3)
    assert result.reason == "not covered by the checkpoint: leaf 2 is beyond its 2 leaves"


def test_a_wrong_key_fails_the_checkpoint(log_and_ids: tuple[Log, list[str]]) -> None:
    log, _ = log_and_ids
    other = SignerKey.generate(NAME).verifier()
    result = verify_bundle(log.bundle(), other)
    assert failure(result) == (None, None)
    assert result.line().startswith("FAILED checkpoint: the checkpoint is not signed by")
    renamed = SignerKey(f"{NAME}-2", SIGNER.private_key).verifier()
    assert not verify_bundle(log.bundle(), renamed).intact


def _resize(note: str) -> str:
    origin, size, rest = note.split("\n", 2)
    return f"{origin}\n{int(size) + 1}\n{rest}"


def _reroot(note: str) -> str:
    origin, size, _, rest = note.split("\n", 3)
    root = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    return f"{origin}\n{size}\n{root}\n{rest}"


@pytest.mark.parametrize(
    ("alter", "reason"),
    [
        (_resize, "the signature by"),
        (_reroot, "the signature by"),
        (lambda note: note.replace("\n\n", "\n"), "the checkpoint note is malformed"),
        (lambda note: note.split("\n\n")[0] + "\n\n", "the checkpoint note is malformed"),
    ],
    ids=["size", "root", "no-blank-line", "signature-removed"],
)
def test_an_altered_checkpoint_note_fails(
    log_and_ids: tuple[Log, list[str]], alter: Callable[[str], str], reason: str
) -> None:
    log, _ = log_and_ids
    raw = json_of(log.bundle())
    raw["checkpoint"] = alter(raw["checkpoint"])
    result = check(raw)
    assert failure(result) == (None, None)
    assert str(result.reason).startswith(reason), result.reason


def test_the_checkpoint_must_be_for_the_bundles_origin(log_and_ids: tuple[Log, list[str]]) -> None:
    log, _ = log_and_ids
    raw = json_of(log.bundle())
    raw["origin"] = "asb-ledger.elsewhere/notary"
    result = check(raw)
    assert failure(result) == (None, None)
    assert "is for log" in str(result.reason)


def test_since_a_consistent_older_checkpoint_passes() -> None:
    log = Log()
    case_id = log.case(events=3)
    pinned = [log.note(), log.note(1), log.note(0)]
    log.access_record()
    log.append(case_id)
    bundle = log.bundle(since=(1, 3))
    for note in pinned:
        assert verify_bundle(bundle, KEY, since=note).intact
    assert verify_bundle(bundle, KEY, since=log.note()).intact


def test_since_a_rollback_fails() -> None:
    log = Log()
    case_id = log.case(events=3)
    older = log.bundle(case_ids=[case_id])
    log.append(case_id)
    pinned = log.note()
    result = verify_bundle(older, KEY, since=pinned)
    assert failure(result) == (None, None)
    assert result.reason == "the ledger was rolled back: 4 leaves were pinned, the bundle has 3"


def test_since_a_forked_tree_fails() -> None:
    honest, forged = Log(seed=1), Log(seed=1)
    for log in (honest, forged):
        log.case(events=2)
    case_id = next(iter(forged.cases))
    pinned = honest.note()
    honest.append(case_id)
    forged.append(case_id, harm="rewritten")
    same_size = verify_bundle(forged.bundle(), KEY, since=honest.note())
    assert failure(same_size) == (None, None)
    assert same_size.reason == "the log forked: the pinned checkpoint has another root at size 3"
    assert verify_bundle(forged.bundle(since=(2,)), KEY, since=pinned).intact  # same first 2

    rewritten = Log(seed=2)
    rewritten.case(events=4)
    result = verify_bundle(rewritten.bundle(since=(2,)), KEY, since=pinned)
    assert failure(result) == (None, None)
    assert str(result.reason).startswith("the log was rewritten or forked: ")


def test_since_needs_a_consistency_proof_that_verifies() -> None:
    log = Log()
    log.case(events=3)
    pinned = log.note()
    log.case(events=3)
    missing = verify_bundle(log.bundle(), KEY, since=pinned)
    assert missing.reason == "the bundle holds no consistency proof from the pinned size 3"
    raw = json_of(log.bundle(since=(3,)))
    raw["consistency"][0]["proof"].pop()
    assert failure(check(raw, since=pinned)) == (None, None)


def test_since_must_be_signed_by_the_same_key() -> None:
    log = Log()
    log.case(events=2)
    pinned = log.note(signer=SignerKey.generate(NAME))
    result = verify_bundle(log.bundle(), KEY, since=pinned)
    assert failure(result) == (None, None)
    assert str(result.reason).startswith("the pinned checkpoint: the checkpoint is not signed")


SECRET = "Cathy Complainant of 1 Test Street"


def _secret_field(events: list[dict[str, Any]]) -> None:
    events[0]["commitment"]["fields"]["harm"] = SECRET


def _secret_field_rechained(events: list[dict[str, Any]]) -> None:
    _secret_field(events)
    rechain(events)


def _secret_number(events: list[dict[str, Any]]) -> None:
    events[0]["commitment"]["fields"]["count"] = 2**60 + 7


def _secret_ciphertext(events: list[dict[str, Any]]) -> None:
    blobs = events[0]["ciphertexts"]
    digest = sorted(blobs)[0]
    blobs[digest] = base64.b64encode(SECRET.encode()).decode()


@pytest.mark.parametrize(
    "tamper", [_secret_field, _secret_field_rechained, _secret_number, _secret_ciphertext]
)
def test_reasons_never_carry_field_values_or_ciphertext(
    log_and_ids: tuple[Log, list[str]], tamper: Tamper
) -> None:
    log, ids = log_and_ids
    raw = json_of(log.bundle())
    events = raw["cases"][0]["events"]
    tamper(events)
    line = check(raw).line()
    assert line.startswith(f"FAILED case {ids[0]} version 1: "), line
    for secret in (
        SECRET,
        str(2**60 + 7),
        *events[0]["ciphertexts"].values(),
        *events[0]["ciphertexts"],
    ):
        assert secret not in line


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"\xff{}", "not UTF-8"),
        (b"not json", "the bundle is not JSON"),
        (b'{"format": 1, "format": 2}', "repeats a key"),
        (b"[]", "the bundle is not a JSON object"),
        (b"NaN", "NaN is not JSON"),
        (b"[" * 100_000, "nested too deeply"),
    ],
    ids=["not-utf8", "not-json", "repeated-key", "not-an-object", "nan", "too-deep"],
)
def test_text_that_is_not_a_bundle_is_malformed(text: bytes, message: str) -> None:
    with pytest.raises(MalformedBundle, match=message):
        parse_bundle(text)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(raw: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = raw
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is KeyError:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_set("format", "asb-ledger/bundle/v2"), "format is not asb-ledger/bundle/v1"),
        (_set("origin", KeyError), "the bundle lacks origin"),
        (_set("extra", 1), "the bundle has unknown extra"),
        (_set("exported_at", "2026-03-03T09:00:00+01:00"), "exported_at is not an RFC 3339"),
        (_set("exported_at", "20260303T090000Z"), "exported_at is not an RFC 3339"),
        (_set("checkpoint", None), "checkpoint is not the text"),
        (_set("cases.0.case_id", "NOT-A-UUID"), r"cases\[0\]: case_id is not a UUID"),
        (_set("cases.0.events", {}), r"cases\[0\].events is not a JSON list"),
        (_set("cases.0.events.1.event_hash", "AB" * 32), r"cases\[0\].events\[1\]: event_hash"),
        (_set("cases.0.events.1.leaf_index", -1), "leaf_index is not a non-negative"),
        (_set("cases.0.events.1.leaf_index", True), "leaf_index is not a non-negative"),
        (_set("cases.0.events.1.commitment", []), r"events\[1\].commitment is not a JSON object"),
        (_set("cases.0.events.1.inclusion_proof.0", "00"), r"inclusion_proof\[0\] is not 64"),
        (_set("cases.0.events.1.ciphertexts", {"ab": "AAAA"}), "ciphertexts key is not 64"),
        (_set("cases.0.events.1.ciphertexts", {"ab" * 32: "AAA"}), "is not base64"),
        (_set("cases.0.events.1.ciphertexts", {"ab" * 32: "AAB="}), "is not canonical base64"),
        (_set("consistency", [{"from_size": 1, "proof": []}] * 2), "two proofs from the same"),
        (_set("consistency", [{"from_size": "1", "proof": []}]), "from_size is not"),
    ],
)
def test_a_malformed_bundle_is_refused_saying_where(
    log_and_ids: tuple[Log, list[str]], edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    log, _ = log_and_ids
    raw = json_of(log.bundle())
    edit(raw)
    with pytest.raises(MalformedBundle, match=message):
        parse_bundle(json.dumps(raw))


def test_the_same_case_twice_is_malformed(log_and_ids: tuple[Log, list[str]]) -> None:
    log, ids = log_and_ids
    with pytest.raises(MalformedBundle, match="the same case twice"):
        parse_bundle(log.bundle(case_ids=[ids[0], ids[0]]).to_json())


# --- any single change to any event of a random bundle is caught, at that event -------------


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every scalar and every object key in a JSON value."""
    if isinstance(value, dict):
        keys = [(*path, ("key", k)) for k in value]
        return keys + [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))]
    return [path]


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value[:-1] + ("x" if value[-1:] != "x" else "y")
    return "x"


def _mutate_commitment(body: dict[str, Any], path: tuple[Any, ...]) -> None:
    *parents, last = path
    node: Any = body
    for part in parents:
        node = node[part]
    if isinstance(last, tuple):
        node[_changed(last[1])] = node.pop(last[1])
    else:
        node[last] = _changed(node[last])


@st.composite
def bundles_with_a_mutation(draw: st.DrawFn) -> tuple[dict[str, Any], str, int]:
    log = Log(seed=draw(st.integers(0, 2**32)))
    lengths = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    ids = [log.case() for _ in lengths]
    pending = [case_id for case_id, n in zip(ids, lengths, strict=True) for _ in range(n)]
    order = draw(st.permutations(pending))
    for case_id in order:
        if draw(st.booleans()):
            log.access_record()
        log.append(case_id)
    raw = json_of(log.bundle())
    assert check(raw).intact
    c = draw(st.integers(0, len(ids) - 1))
    v = draw(st.integers(1, lengths[c]))
    event = raw["cases"][c]["events"][v - 1]
    kinds = ["commitment", "event_hash", "leaf_index", "extend_proof", "ciphertext"]
    if event["inclusion_proof"]:
        kinds += ["flip_proof", "truncate_proof"]
    kind = draw(st.sampled_from(kinds))
    if kind == "commitment":
        _mutate_commitment(event["commitment"], draw(st.sampled_from(_leaves(event["commitment"]))))
    elif kind == "event_hash":
        event["event_hash"] = _flip_hex(event["event_hash"])
    elif kind == "leaf_index":
        others = [i for i in range(log.tree.size + 2) if i != event["leaf_index"]]
        event["leaf_index"] = draw(st.sampled_from(others))
    elif kind == "extend_proof":
        event["inclusion_proof"].append(hashlib.sha256(b"extra").hexdigest())
    elif kind == "truncate_proof":
        event["inclusion_proof"].pop()
    elif kind == "flip_proof":
        i = draw(st.integers(0, len(event["inclusion_proof"]) - 1))
        event["inclusion_proof"][i] = _flip_hex(event["inclusion_proof"][i])
    else:
        digest = draw(st.sampled_from(sorted(event["ciphertexts"])))
        blob = event["ciphertexts"][digest]
        event["ciphertexts"][digest] = ("A" if blob[0] != "A" else "B") + blob[1:]
    return raw, ids[c], v


def _flip_hex(text: str) -> str:
    return text[:-1] + ("0" if text[-1] != "0" else "1")


@settings(max_examples=200, deadline=None)
@given(bundles_with_a_mutation())
def test_any_single_change_to_an_event_is_caught_there(
    case: tuple[dict[str, Any], str, int],
) -> None:
    raw, case_id, version = case
    result = check(raw)
    assert failure(result) == (case_id, version), result
