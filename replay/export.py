"""Export bundles: a case's (or every case's) events as the offline verifier reads them.

Each event goes out as its commitment (exactly what its hash covers: sealed personal fields
appear only as ciphertext digests), the hash the ledger recorded, its leaf in the Merkle log
with the inclusion proof to the latest signed checkpoint, and the sealed blobs that survive
(ciphertext, never plaintext: a blob whose key was destroyed stays unreadable). The bundle
also carries the checkpoint note and a consistency proof from every earlier checkpoint, so
an auditor holding any of them can check that the log only grew. The format is
``replay/bundle.py``; ``docs/verifying.md`` describes it.

Export refuses, naming the case and version, rather than write a bundle that would hide a
problem: an event the checkpoint does not cover yet, a row that cannot be read as the event
it claims to be, or an event the notary logged that the store no longer holds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.application import CaseLedger
from ledger.chain import HASH_KEY, commitment_of, committed_fields
from ledger.checkpoint import parse
from ledger.errors import IntegrityFailure
from ledger.events import CaseEvent
from ledger.values import Sealed
from ledger.verify import UNREADABLE
from projections.notary import Notary, SignedCheckpoint
from replay.bundle import Bundle, BundleCase, BundleEvent, ConsistencyProof


class ExportRefused(RuntimeError):
    """The bundle would not be complete or true; names the case and version where it can."""

    def __init__(self, reason: str, case_id: UUID | None = None, version: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.case_id = case_id
        self.version = version


def sealed_blobs(value: Any) -> Iterator[Sealed]:
    """Every sealed field inside an event's value, however deeply nested."""
    if isinstance(value, Sealed):
        yield value
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from sealed_blobs(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from sealed_blobs(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from sealed_blobs(getattr(value, field.name))


def export_bundle(
    ledger: CaseLedger, notary: Notary, case_ids: Iterable[UUID], *, exported_at: datetime
) -> Bundle:
    """The bundle of ``case_ids`` against the notary's latest signed checkpoint."""
    latest = notary.latest_checkpoint()
    if latest is None:
        raise ExportRefused("no checkpoint is signed yet: run the notary first")
    cases = [_case(ledger, notary, latest, case_id) for case_id in case_ids]
    consistency = [
        ConsistencyProof(older.size, tuple(notary.consistency_proof(older.size, latest.size)))
        for older in notary.checkpoints()
        if 0 < older.size < latest.size
    ]
    origin = parse(latest.note)[0].origin
    return Bundle(
        exported_at=exported_at,
        origin=origin,
        checkpoint=latest.note,
        consistency=consistency,
        cases=cases,
    )


def _case(
    ledger: CaseLedger, notary: Notary, latest: SignedCheckpoint, case_id: UUID
) -> BundleCase:
    rows = ledger.recorder.select_events(case_id)
    logged = {leaf.version: leaf for leaf in notary.leaves_of(case_id)}
    events = []
    for row in rows:
        version = row.originator_version
        try:
            event = ledger.mapper.to_domain_event(row)
        except (*UNREADABLE, IntegrityFailure):
            raise ExportRefused("stored event cannot be decoded", case_id, version) from None
        if not isinstance(event, CaseEvent):
            raise ExportRefused(f"{row.topic} is not a case event", case_id, version)
        leaf = logged.get(version)
        if leaf is None or leaf.index >= latest.size:
            raise ExportRefused(
                "not yet covered by a signed checkpoint: wait for the next one", case_id, version
            )
        recorded = vars(event).get(HASH_KEY)
        if not isinstance(recorded, str) or len(recorded) != 64:
            raise ExportRefused("stored event has no recorded hash", case_id, version)
        blobs = {
            sealed.digest: sealed.blob
            for name in committed_fields(type(event))
            for sealed in sealed_blobs(getattr(event, name))
        }
        events.append(
            BundleEvent(
                commitment=commitment_of(event),
                event_hash=recorded,
                leaf_index=leaf.index,
                inclusion_proof=tuple(notary.inclusion_proof(leaf.index, latest.size)),
                ciphertexts=blobs,
            )
        )
    stored = {row.originator_version for row in rows}
    missing = sorted(set(logged) - stored)
    if missing:
        reason = "logged in the Merkle log but missing from the store"
        raise ExportRefused(reason, case_id, missing[0])
    if not events:
        raise ExportRefused("the case has no events in the store", case_id)
    return BundleCase(str(case_id), events)
