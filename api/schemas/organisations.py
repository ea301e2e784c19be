"""Request and response models of the organisation register."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from api.schemas.base import Body, RequiredShortText
from ledger.enums import Agency
from ledger.organisations import DEFAULT_PROTOCOL, ORGANISATION_ID_MAX, OrganisationRecord

OrganisationId = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=ORGANISATION_ID_MAX, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
    ),
]


class OrganisationIn(Body):
    """A signatory of the information sharing protocol, registered by an admin."""

    id: OrganisationId = Field(
        examples=["staffordshire-police"],
        description="A stable slug: partners' tokens carry it as ``org``; shares, referrals"
        " and agencies name it. Never reused.",
    )
    name: RequiredShortText = Field(examples=["Staffordshire Police"])
    agency: Agency = Field(examples=["police"])
    protocol_reference: RequiredShortText = Field(default=DEFAULT_PROTOCOL)
    joined: date | None = Field(
        default=None, description="When it signed the protocol; default: today."
    )


class RetireIn(Body):
    left: date | None = Field(
        default=None,
        description="When it left the protocol; default: today. From then on nothing is"
        " shared with it and its officers' tokens are refused.",
    )


class OrganisationOut(BaseModel):
    id: str
    name: str
    agency: Agency
    protocol_reference: str
    joined: date
    left: date | None
    active: bool = Field(description="A signatory of the protocol today.")
    version: int

    @classmethod
    def of(cls, record: OrganisationRecord, today: date) -> OrganisationOut:
        return cls(
            id=record.org_id,
            name=record.name,
            agency=record.agency,
            protocol_reference=record.protocol_reference,
            joined=record.joined,
            left=record.left,
            active=record.active_on(today),
            version=record.version,
        )


class OrganisationsOut(BaseModel):
    items: list[OrganisationOut]


class RegisteredOrganisationOut(OrganisationOut):
    position: int = Field(description="The event's notification position (for min_position).")

    @classmethod
    def made(
        cls, record: OrganisationRecord, today: date, position: int
    ) -> RegisteredOrganisationOut:
        return cls(**OrganisationOut.of(record, today).model_dump(), position=position)
