"""Record that criminal incidents were disseminated to the police."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from commands.common import CaseCommand, load
from ledger.application import CaseLedger
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class ReferToPolice(CaseCommand):
    incident_ids: tuple[UUID, ...]
    police_reference: str
    disseminated_at: datetime


def handle(cmd: ReferToPolice, ledger: CaseLedger) -> Receipt:
    case, _ = load(ledger, cmd)
    case.refer_to_police(
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        incident_ids=cmd.incident_ids,
        police_reference=cmd.police_reference,
        disseminated_at=cmd.disseminated_at,
    )
    return ledger.save_case(case)
