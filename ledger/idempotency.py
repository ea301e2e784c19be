"""Idempotency records: a command retried with the same key appends nothing twice.

A record is saved in the same atomic save as the command's events, under an id derived
from the caller and the key. So a retry finds it, and two racing first attempts cannot
both succeed: the second save fails on the record's version and records nothing. The
record holds a keyed fingerprint of the request, never the request itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.case_steps import utc
from ledger.events import CaseEvent
from ledger.integrity import GENESIS
from ledger.type_names import stored_as
from ledger.values import Actor

_NAMESPACE = uuid5(NAMESPACE_URL, "asb-ledger:idempotency")


@stored_as("asb.idempotency.CommandRecorded.v1")
class CommandRecorded(CaseEvent, Aggregate.Created):
    """A command with an idempotency key succeeded."""

    command: str
    fingerprint: str
    case_id: UUID
    case_version: int


@stored_as("asb.idempotency.IdempotencyRecord.v1")
class IdempotencyRecord(Aggregate):
    """The outcome of one command sent with an ``Idempotency-Key``."""

    def __init__(
        self, *, actor: Actor, command: str, fingerprint: str, case_id: UUID, case_version: int
    ) -> None:
        self.actor = actor
        self.command = command
        self.fingerprint = fingerprint
        self.case_id = case_id
        self.case_version = case_version
        self.head_hash = GENESIS

    @staticmethod
    def id_for(user_id: str, key: str) -> UUID:
        """Keys are the caller's own: two users may use the same key."""
        return uuid5(_NAMESPACE, f"{user_id}\n{key}")

    @classmethod
    def record(
        cls,
        *,
        actor: Actor,
        occurred_at: datetime,
        key: str,
        command: str,
        fingerprint: str,
        case_id: UUID,
        case_version: int,
    ) -> IdempotencyRecord:
        return cls._create(
            CommandRecorded,
            id=cls.id_for(actor.user_id, key),
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=GENESIS,
            command=command,
            fingerprint=fingerprint,
            case_id=case_id,
            case_version=case_version,
        )


@dataclass(frozen=True, kw_only=True)
class IdempotencyClaim:
    """A command in flight with an idempotency key: its record is saved in the same
    transaction as the command's events, so a second command with the same caller and key
    cannot also succeed."""

    actor: Actor
    key: str
    command: str
    fingerprint: str
    occurred_at: datetime

    def record(self, case_id: UUID, case_version: int) -> IdempotencyRecord:
        """The record of this command's success, at the case version it saved."""
        return IdempotencyRecord.record(
            actor=self.actor,
            occurred_at=self.occurred_at,
            key=self.key,
            command=self.command,
            fingerprint=self.fingerprint,
            case_id=case_id,
            case_version=case_version,
        )
