"""The commitment covers what DESIGN §5 lists, and sealed fields only by ciphertext digest."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from ledger.application import CaseLedger
from ledger.chain import commitment_of, hash_event
from ledger.events import CaseEvent, CaseOpened
from ledger.integrity import DOMAIN_TAG, canonical_json
from tests.builders import CaseKit


def opened(memory_ledger: CaseLedger) -> CaseOpened:
    event = CaseKit(memory_ledger).open().collect_events()[0]
    assert isinstance(event, CaseOpened)
    return event


def test_hash_is_domain_separated_sha256_of_canonical_commitment(memory_ledger: CaseLedger) -> None:
    event = opened(memory_ledger)
    expected = hashlib.sha256(DOMAIN_TAG + canonical_json(commitment_of(event))).hexdigest()
    assert hash_event(event) == expected == vars(event)["event_hash"]


def test_commitment_names_the_envelope(memory_ledger: CaseLedger) -> None:
    event = opened(memory_ledger)
    body = commitment_of(event)
    assert body["case_id"] == str(event.originator_id)
    assert body["version"] == 1
    assert body["topic"] == "asb.case.CaseOpened.v1"
    assert body["recorded_at"] == event.timestamp.isoformat()
    assert body["actor"]["user_id"] == "cw-1"
    assert body["fields"]["description"] == {
        "sealed": hashlib.sha256(event.description.blob).hexdigest(),
        "scope": event.description.scope,
    }
    assert body["fields"]["channel"] == "phone"
    assert "event_hash" not in body["fields"]


def _changed(event: CaseEvent, **changes: Any) -> str:
    clone = replace(event, **changes)
    return hash_event(clone)


def test_any_change_changes_the_hash(memory_ledger: CaseLedger) -> None:
    event = opened(memory_ledger)
    original = hash_event(event)
    other = CaseKit(memory_ledger)
    assert _changed(event, originator_version=2) != original
    assert _changed(event, actor=replace(event.actor, user_id="someone-else")) != original
    assert _changed(event, prev_hash="1" * 64) != original
    assert _changed(event, reference="ASB-2026-999999") != original
    assert _changed(event, description=other.text("other")) != original
    assert _changed(event, timestamp=event.timestamp.replace(microsecond=1)) != original
