"""Record that criminal incidents were disseminated to the police."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger.case import Case
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class ReferToPolice(CaseCommand):
    name: ClassVar[str] = "refer_to_police"

    incident_ids: tuple[UUID, ...]
    police_reference: str
    disseminated_at: datetime


def handle(cmd: ReferToPolice, uow: UnitOfWork) -> Receipt:
    """Record that criminal incidents were disseminated to the police."""

    police_reference = uow.ledger.vocabulary.police_reference(cmd.police_reference)

    def decide(case: Case) -> None:
        case.refer_to_police(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            incident_ids=cmd.incident_ids,
            police_reference=police_reference,
            disseminated_at=cmd.disseminated_at,
        )

    return uow.update(cmd, decide)
