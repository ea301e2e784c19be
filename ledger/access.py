"""Access records: every read of personal data, and every refused read, as its own stream.

Each record is a one-event aggregate with a fresh id, so reads never conflict with each
other or with case writers (DESIGN §4). The event is hash-chained like a case event (its
``prev_hash`` is the genesis hash), so the ledger-wide log can commit to it. It holds no
personal data: person references, never names.

A read under a supervisor's break-glass grant (``ledger/break_glass.py``) is an
``Accessed.v2``: the same record with the grant's id, and the purpose ``break_glass``.
Every other read is still written, and read back, as ``Accessed.v1``.
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


@stored_as("asb.access.Accessed.v2")
class AccessedV2(Accessed):
    """A read under a break-glass grant: ``grant_id`` names the grant that opened it."""

    grant_id: UUID


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
        grant_id: UUID | None = None,
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
        self.grant_id = grant_id
        self.head_hash = GENESIS

    @classmethod
    def record(
        cls, *, occurred_at: datetime, grant_id: UUID | None = None, **fields: Any
    ) -> AccessRecord:
        """A new access record; ``occurred_at`` is when the data was shown. With
        ``grant_id`` it is a read under that break-glass grant (``Accessed.v2``)."""
        subjects: tuple[UUID, ...] = tuple(dict.fromkeys(fields.pop("subjects", ())))
        if grant_id is not None:
            fields |= {"grant_id": grant_id, "purpose": AccessPurpose.BREAK_GLASS}
        return cls._create(
            Accessed if grant_id is None else AccessedV2,
            id=uuid4(),
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=GENESIS,
            subjects=subjects,
            **fields,
        )
