"""Merge two records of the person register found to be one person (a supervisor's call)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from commands.common import Command
from ledger.application import CaseLedger
from ledger.errors import ConcurrentWrite
from ledger.people import person_stream


@dataclass(frozen=True, kw_only=True)
class MergePeople(Command):
    name: ClassVar[str] = "merge_people"

    survivor: UUID
    duplicate: UUID


def handle(cmd: MergePeople, ledger: CaseLedger) -> list[int]:
    """Records both sides of the merge in one transaction: the duplicate merged into the
    survivor, the survivor absorbing it; then moves the duplicate's index tokens to the
    survivor (``asb-ledger people backfill`` mends them after a crash between the two).
    Returns the events' positions."""
    duplicate = ledger.people.resolve(cmd.duplicate)
    merged, survivor = ledger.people.merge(
        duplicate,
        cmd.survivor,
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
    )
    try:
        recordings = ledger.save(survivor, merged)
    except IntegrityError:
        raise ConcurrentWrite(person_stream(cmd.survivor)) from None
    ledger.people.merge_tokens(duplicate, cmd.survivor)
    return [r.notification.id for r in recordings]
