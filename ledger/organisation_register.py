"""Reading and writing the organisation register through the ledger's store."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from ledger.enums import Agency
from ledger.errors import Rule, RuleViolation
from ledger.organisations import (
    Organisation,
    OrganisationRecord,
    OrganisationRegistered,
    check_id,
    organisation_stream,
)
from ledger.type_names import type_name
from ledger.values import Actor

if TYPE_CHECKING:
    from ledger.application import CaseLedger

REGISTERED_TOPIC = type_name(OrganisationRegistered)


class OrganisationRegister:
    """The register as the ledger holds it: every read goes to the store, so a retirement
    takes effect on the next command and the next request."""

    def __init__(self, ledger: CaseLedger) -> None:
        self.ledger = ledger

    def register(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        org_id: str,
        name: str,
        agency: Agency,
        protocol_reference: str,
        joined: date,
    ) -> tuple[OrganisationRecord, int]:
        """Registers a new organisation; returns it and its notification position."""
        organisation = Organisation.register(
            actor=actor,
            occurred_at=occurred_at,
            org_id=org_id,
            name=name,
            agency=agency,
            protocol_reference=protocol_reference,
            joined=joined,
        )
        try:
            recordings = self.ledger.save(organisation)
        except IntegrityError:
            raise RuleViolation(
                Rule.ORGANISATION_ALREADY_REGISTERED, f"{org_id} is already registered"
            ) from None
        return organisation.record, recordings[-1].notification.id

    def retire(
        self, *, actor: Actor, occurred_at: datetime, org_id: str, left: date
    ) -> tuple[OrganisationRecord, int]:
        organisation = self._load(org_id, "id")
        organisation.retire(actor=actor, occurred_at=occurred_at, left=left)
        recordings = self.ledger.save(organisation)
        return organisation.record, recordings[-1].notification.id

    def get(self, org_id: str) -> OrganisationRecord | None:
        try:
            return self._load(org_id, "organisation").record
        except RuleViolation:
            return None

    def name_of(self, org_id: str) -> str:
        """The organisation's name, or its id if it is not registered."""
        record = self.get(org_id) if org_id else None
        return org_id if record is None else record.name

    def require(self, org_id: str, on: date, field: str) -> OrganisationRecord:
        """The organisation ``org_id``, a signatory on ``on``; else the rule it breaks."""
        return self._load(org_id, field).record.require_active(on, field)

    def the_only(self, agency: Agency, on: date) -> OrganisationRecord | None:
        """The one signatory of ``agency`` on ``on``, if there is exactly one."""
        found = [o for o in self.all() if o.agency is agency and o.active_on(on)]
        return found[0] if len(found) == 1 else None

    def all(self, page: int = 500) -> list[OrganisationRecord]:
        """Every registered organisation, by id."""
        found: list[OrganisationRecord] = []
        start = 1
        while True:
            notes = self.ledger.recorder.select_notifications(
                start, page, topics=[REGISTERED_TOPIC]
            )
            for note in notes:
                organisation: Organisation = self.ledger.repository.get(
                    UUID(str(note.originator_id))
                )
                found.append(organisation.record)
            if len(notes) < page:
                return sorted(found, key=lambda o: o.org_id)
            start = notes[-1].id + 1

    def _load(self, org_id: str, field: str) -> Organisation:
        try:
            stream = organisation_stream(check_id(org_id, field))
            organisation: object = self.ledger.repository.get(stream)
        except AggregateNotFoundError:
            raise RuleViolation(
                Rule.ORGANISATION_UNKNOWN,
                f"{field}: no organisation {org_id} is registered (GET /organisations)",
            ) from None
        if not isinstance(organisation, Organisation):
            raise RuleViolation(Rule.ORGANISATION_UNKNOWN, f"{field}: not an organisation")
        return organisation
