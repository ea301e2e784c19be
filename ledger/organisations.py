"""The organisation register: the information sharing protocol's signatories, as data.

A partner organisation has a stable id (a slug such as ``staffordshire-police``), a name,
an agency type, the protocol it signed and when it joined and left. Shares, support
referrals and agencies joining a case name an organisation by its id; the recipient's
agency type and protocol come from here, never from a request; a partner's token carries
the id, and what a partner may see is decided by comparing ids, never names.

Each organisation is a stream of its own (``asb.organisation.*``): registered, then
perhaps retired. Its events are chained and logged by the notary like every other record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.case_steps import utc
from ledger.enums import Agency
from ledger.errors import Rule, RuleViolation
from ledger.events import CaseEvent
from ledger.integrity import GENESIS
from ledger.type_names import stored_as
from ledger.values import Actor

ORGANISATION_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""A lower-case slug: letters, digits and single hyphens (``staffordshire-police``)."""
ORGANISATION_ID_MAX = 64
DEFAULT_PROTOCOL = "One Staffordshire ISP"


def organisation_stream(org_id: str) -> UUID:
    """The stream an organisation's events are stored in: derived from its id, so a second
    registration of the same id conflicts on save."""
    return uuid5(NAMESPACE_URL, f"asb-ledger:organisation:{org_id}")


def check_id(org_id: str, field: str = "organisation") -> str:
    if len(org_id) > ORGANISATION_ID_MAX or not ORGANISATION_ID.match(org_id):
        raise RuleViolation(
            Rule.ORGANISATION_UNKNOWN,
            f"{field} is not an organisation id (a lower-case slug such as"
            " staffordshire-police; GET /organisations)",
        )
    return org_id


@stored_as("asb.organisation.OrganisationRegistered.v1")
class OrganisationRegistered(CaseEvent, Aggregate.Created):
    """An organisation signed the information sharing protocol and was registered."""

    org_id: str
    name: str
    agency: Agency
    protocol_reference: str
    joined: date


@stored_as("asb.organisation.OrganisationRetired.v1")
class OrganisationRetired(CaseEvent):
    """An organisation left the protocol: nothing is shared with it from ``left`` on, and
    its officers' tokens are refused."""

    left: date

    def apply(self, aggregate: Any) -> None:
        aggregate.left = self.left


@stored_as("asb.organisation.Organisation.v1")
class Organisation(Aggregate):
    """One partner organisation of the information sharing protocol."""

    def __init__(
        self,
        *,
        org_id: str,
        name: str,
        agency: Agency,
        protocol_reference: str,
        joined: date,
    ) -> None:
        self.org_id = org_id
        self.name = name
        self.agency = agency
        self.protocol_reference = protocol_reference
        self.joined = joined
        self.left: date | None = None
        self.head_hash = GENESIS

    @classmethod
    def register(
        cls,
        *,
        actor: Actor,
        occurred_at: datetime,
        org_id: str,
        name: str,
        agency: Agency,
        protocol_reference: str,
        joined: date,
    ) -> Organisation:
        name, protocol = name.strip(), protocol_reference.strip()
        if not name or not protocol:
            raise RuleViolation(Rule.TEXT_REQUIRED, "name and protocol_reference are required")
        return cls._create(
            OrganisationRegistered,
            id=organisation_stream(check_id(org_id, "id")),
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=GENESIS,
            org_id=org_id,
            name=name,
            agency=agency,
            protocol_reference=protocol,
            joined=joined,
        )

    def retire(self, *, actor: Actor, occurred_at: datetime, left: date) -> None:
        if self.left is not None:
            raise RuleViolation(
                Rule.ORGANISATION_RETIRED, f"{self.org_id} left the protocol on {self.left}"
            )
        if left < self.joined:
            raise RuleViolation(
                Rule.DATE_BEFORE_CASE, f"left is before the organisation joined ({self.joined})"
            )
        self.trigger_event(
            OrganisationRetired,
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=self.head_hash,
            left=left,
        )

    @property
    def record(self) -> OrganisationRecord:
        return OrganisationRecord(
            org_id=self.org_id,
            name=self.name,
            agency=self.agency,
            protocol_reference=self.protocol_reference,
            joined=self.joined,
            left=self.left,
            version=self.version,
        )


@dataclass(frozen=True, kw_only=True)
class OrganisationRecord:
    """What the register says of one organisation (a plain value, safe to cache)."""

    org_id: str
    name: str
    agency: Agency
    protocol_reference: str
    joined: date
    left: date | None
    version: int

    def active_on(self, day: date) -> bool:
        return self.joined <= day and (self.left is None or day < self.left)

    def require_active(self, day: date, field: str) -> OrganisationRecord:
        """This organisation, if it is a signatory on ``day``; else the rule it breaks."""
        if not self.active_on(day):
            when = f"left on {self.left}" if self.left and day >= self.left else "joined later"
            raise RuleViolation(
                Rule.ORGANISATION_RETIRED,
                f"{field}: {self.org_id} is not a signatory of the protocol on {day} ({when})",
            )
        return self
