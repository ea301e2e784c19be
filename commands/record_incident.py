"""Record a further incident of ASB on a case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger import fields
from ledger.case import Case
from ledger.enums import HarmIndicator, IncidentType
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class RecordIncident(CaseCommand):
    name: ClassVar[str] = "record_incident"

    incident_id: UUID
    incident_type: IncidentType
    description: str
    harms: tuple[HarmIndicator, ...] = ()
    criminal: bool = False
    victim_refs: tuple[UUID, ...] = ()
    location: str | None = None
    place_uprn: str | None = None
    place_address: str | None = None
    """Where it happened; default: the location, if it holds a postcode and a house number
    or name (``ledger/places.py``)."""


def handle(cmd: RecordIncident, uow: UnitOfWork) -> Receipt:
    """Record a further incident of ASB on a case."""
    seal = uow.seal(cmd.case_id)
    places = uow.ledger.places
    place = places.named(cmd.place_uprn, cmd.place_address, "place") or places.of_text(cmd.location)

    def decide(case: Case) -> None:
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
            place=place,
        )

    return uow.update(cmd, decide)
