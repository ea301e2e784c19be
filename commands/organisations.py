"""Register and retire the information sharing protocol's signatories (an admin's work)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from commands.common import Command
from ledger.application import CaseLedger
from ledger.enums import Agency
from ledger.organisations import OrganisationRecord


@dataclass(frozen=True, kw_only=True)
class RegisterOrganisation(Command):
    name: ClassVar[str] = "register_organisation"

    org_id: str
    org_name: str
    agency: Agency
    protocol_reference: str
    joined: date | None = None
    """Default: the day it is registered."""


@dataclass(frozen=True, kw_only=True)
class RetireOrganisation(Command):
    name: ClassVar[str] = "retire_organisation"

    org_id: str
    left: date | None = None
    """Default: the day it is retired (nothing is shared with it from then on)."""


def register(cmd: RegisterOrganisation, ledger: CaseLedger) -> tuple[OrganisationRecord, int]:
    """Registers an organisation; returns it and the event's notification position."""
    return ledger.organisations.register(
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        org_id=cmd.org_id,
        name=cmd.org_name,
        agency=cmd.agency,
        protocol_reference=cmd.protocol_reference,
        joined=cmd.joined or cmd.occurred_at.date(),
    )


def retire(cmd: RetireOrganisation, ledger: CaseLedger) -> tuple[OrganisationRecord, int]:
    """Records that an organisation left the protocol."""
    return ledger.organisations.retire(
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        org_id=cmd.org_id,
        left=cmd.left or cmd.occurred_at.date(),
    )
