"""The record that a data key was destroyed: no personal data, only the scope and why."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from ledger.enums import ErasureReason
from ledger.type_names import stored_as
from ledger.values import Actor


def erasure_id(scope: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"asb-ledger:erasure:{scope}")


@stored_as("asb.erasure.KeyDestroyed.v1")
class KeyDestroyed(Aggregate.Created):
    """A data key was destroyed: every field sealed under it now reads as erased."""

    actor: Actor
    occurred_at: datetime
    scope: str
    reason: ErasureReason


@stored_as("asb.erasure.KeyErasure.v1")
class KeyErasure(Aggregate):
    """One per destroyed key scope; its single event is the erasure record."""

    @staticmethod
    def create_id(scope: str) -> UUID:
        return erasure_id(scope)

    @event(KeyDestroyed)
    def __init__(self, actor: Actor, occurred_at: datetime, scope: str, reason: ErasureReason):
        self.actor = actor
        self.occurred_at = occurred_at
        self.scope = scope
        self.reason = reason


@stored_as("asb.reference.ReferenceRegistered.v1")
class ReferenceRegistered(Aggregate.Created):
    """A reference was given to a case."""

    reference: str
    case_id: UUID


@stored_as("asb.reference.CaseReferenceIndex.v1")
class CaseReferenceIndex(Aggregate):
    """Maps a human-readable reference to its case; saved atomically with the case."""

    @staticmethod
    def create_id(reference: str) -> UUID:
        return reference_index_id(reference)

    @event(ReferenceRegistered)
    def __init__(self, reference: str, case_id: UUID):
        self.reference = reference
        self.case_id = case_id


def reference_index_id(reference: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"asb-ledger:reference:{reference}")
