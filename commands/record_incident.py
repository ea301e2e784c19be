"""Record a further incident of ASB on a case."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from commands.common import CaseCommand, load
from ledger import fields
from ledger.application import CaseLedger
from ledger.enums import HarmIndicator, IncidentType
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class RecordIncident(CaseCommand):
    incident_id: UUID
    incident_type: IncidentType
    description: str
    harms: tuple[HarmIndicator, ...] = ()
    criminal: bool = False
    victim_refs: tuple[UUID, ...] = ()
    location: str | None = None


def handle(cmd: RecordIncident, ledger: CaseLedger) -> Receipt:
    case, seal = load(ledger, cmd)
    case.record_incident(
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        incident_id=cmd.incident_id,
        incident_type=cmd.incident_type,
        description=seal.text(cmd.description, fields.INCIDENT_DESCRIPTION),
        harms=cmd.harms,
        criminal=cmd.criminal,
        victim_refs=cmd.victim_refs,
        location=seal.text(cmd.location, fields.INCIDENT_LOCATION),
    )
    return ledger.save_case(case)
