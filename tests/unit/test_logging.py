"""Saves and erasures are logged by id and event type, never with personal data or free text."""

from __future__ import annotations

from uuid import uuid4

from structlog.testing import capture_logs

from ledger.application import CaseLedger
from ledger.enums import ErasureReason
from ledger.sealing import person_scope
from tests.builders import SUPERVISOR, T0, CaseKit


def test_save_logs_ids_and_event_types_only(memory_ledger: CaseLedger) -> None:
    kit = CaseKit(memory_ledger)
    case = kit.open(description="CANARY-7f3a loud party at Flat 9")
    with capture_logs() as logs:
        memory_ledger.save_new_case(case)
        memory_ledger.destroy_key(
            person_scope(uuid4()),
            actor=SUPERVISOR,
            occurred_at=T0,
            reason=ErasureReason.RETENTION_EXPIRED,
        )
    saved = [entry for entry in logs if entry["event"] == "case.saved"]
    assert saved == [
        {
            "event": "case.saved",
            "log_level": "debug",
            "case_id": str(case.id),
            "version": 1,
            "position": saved[0]["position"],
            "events": ["CaseOpened"],
        }
    ]
    assert any(entry["event"] == "key.destroyed" for entry in logs)
    text = repr(logs)
    assert "CANARY-7f3a" not in text
    assert "Cathy Complainant" not in text
    assert "person:" not in text
