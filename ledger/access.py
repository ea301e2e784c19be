"""Access records: every read of personal data, and every refused read, as its own stream.

Each record is a one-event aggregate with a fresh id, so reads never conflict with each
other or with case writers (DESIGN §4). The event is hash-chained like a case event (its
``prev_hash`` is the genesis hash), so the ledger-wide log can commit to it. It holds no
personal data: person references, never names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from ledger.case_steps import utc
from ledger.enums import AccessOutcome, AccessPurpose
from ledger.events import CaseEvent
from ledger.integrity import GENESIS
from ledger.type_names import stored_as
from ledger.values import Actor


@stored_as("asb.access.Accessed.v1")
class Accessed(CaseEvent, Aggregate.Created):
    """Someone was shown (or refused) a view of a case's data."""

    request_id: str
    case_id: UUID | None
    case_version: int | None
    view: str
    purpose: AccessPurpose
    subjects: tuple[UUID, ...]
    outcome: AccessOutcome
    reason: str | None


@stored_as("asb.access.AccessRecord.v1")
class AccessRecord(Aggregate):
    """One read (or refused read) of a case's data."""

    def __init__(
        self,
        *,
        actor: Actor,
        request_id: str,
        case_id: UUID | None,
        case_version: int | None,
        view: str,
        purpose: AccessPurpose,
        subjects: tuple[UUID, ...],
        outcome: AccessOutcome,
        reason: str | None,
    ) -> None:
        self.actor = actor
        self.request_id = request_id
        self.case_id = case_id
        self.case_version = case_version
        self.view = view
        self.purpose = purpose
        self.subjects = subjects
        self.outcome = outcome
        self.reason = reason
        self.head_hash = GENESIS

    @classmethod
    def record(cls, *, occurred_at: datetime, **fields: Any) -> AccessRecord:
        """A new access record; ``occurred_at`` is when the data was shown."""
        subjects: tuple[UUID, ...] = tuple(dict.fromkeys(fields.pop("subjects", ())))
        return cls._create(
            Accessed,
            id=uuid4(),
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=GENESIS,
            subjects=subjects,
            **fields,
        )
