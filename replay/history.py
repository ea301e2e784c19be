"""A case's stored events as the hash chain commits to them: for the events routes and audits.

Sealed fields appear only as the digest of their ciphertext and the key scope (what the
commitment holds), never as plaintext; each event carries its hash and the previous one's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.application import CaseLedger
from ledger.chain import HASH_KEY, commitment_of
from ledger.events import CaseEvent
from ledger.type_names import kind_of

PERSON_FIELDS = frozenset(
    {"person_ref", "complainant_ref", "victim_ref", "victim_refs", "subject_ref", "applicant_ref"}
)
"""The fields of case events that name a person by reference."""


@dataclass(frozen=True)
class RecordedEvent:
    """One stored event, in the form its hash commits to."""

    version: int
    type: str
    topic: str
    recorded_at: datetime
    occurred_at: datetime
    actor: dict[str, Any]
    fields: dict[str, Any]
    prev_hash: str
    event_hash: str

    def people(self) -> set[UUID]:
        """The people the event is about: its person fields, and people in shared items."""
        found: set[UUID] = set()
        for name, value in self.fields.items():
            values = value if isinstance(value, list) else [value]
            if name in PERSON_FIELDS:
                found.update(UUID(v) for v in values if isinstance(v, str))
            elif name == "items":
                found.update(
                    UUID(v.split(":", 1)[1]) for v in values if str(v).startswith("person:")
                )
        return found


def history(
    ledger: CaseLedger, case_id: UUID, *, upto: int, version: int | None = None
) -> list[RecordedEvent]:
    """The case's events up to version ``upto`` (or only ``version``), oldest first."""
    gt = 0 if version is None else version - 1
    lte = upto if version is None else version
    found: list[RecordedEvent] = []
    for event in ledger.repository.event_store.get(case_id, gt=gt, lte=lte):
        assert isinstance(event, CaseEvent)
        committed = commitment_of(event)
        found.append(
            RecordedEvent(
                version=event.originator_version,
                type=kind_of(type(event)),
                topic=committed["topic"],
                recorded_at=event.timestamp,
                occurred_at=event.occurred_at,
                actor=committed["actor"],
                fields=committed["fields"],
                prev_hash=event.prev_hash,
                event_hash=vars(event).get(HASH_KEY) or "",
            )
        )
    return found
