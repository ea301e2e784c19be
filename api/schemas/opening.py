"""The request to open a case from a complaint."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from api.commanding import Context
from api.schemas.base import (
    Occurred,
    PersonIn,
    PlaceIn,
    RequiredText,
    ShortText,
    StaffId,
    WrittenTime,
)
from commands.common import PersonText
from commands.open_case import OpenCase
from ledger.enums import Category, Channel, ContactMethod, Department


def person_text(person: PersonIn) -> PersonText:
    return PersonText(
        name=person.name,
        contact=person.contact,
        address=person.address,
        date_of_birth=person.date_of_birth,
    )


class OpenCaseIn(Occurred):
    """A complaint about anti-social behaviour."""

    channel: Channel = Field(examples=["phone"])
    received_at: WrittenTime | None = Field(
        default=None, description="When the complaint was received; default: now."
    )
    category: Category = Field(examples=["personal"])
    description: RequiredText = Field(examples=["Loud music most nights after midnight."])
    location: RequiredText = Field(examples=["Flat 2, 10 Example Road, Stafford"])
    lead_department: Department = Field(examples=["community_safety"])
    complainant: PersonIn
    complainant_ref: UUID | None = Field(
        default=None,
        description="The complainant's stable person reference, if already known to the"
        " council (so repeats across cases can be seen); default: a new person.",
    )
    place: PlaceIn | None = Field(
        default=None,
        description="The place the complaint is about; default: the location, where it holds"
        " a postcode and a house number or name.",
    )
    confirm_new_person: bool = Field(
        default=False,
        description="The complainant is someone new, though the register holds a person"
        " whose details match (after a ``person.possible_duplicate`` refusal).",
    )
    preferred_contact: ContactMethod = Field(examples=["phone"])
    ward: ShortText | None = Field(
        default=None,
        examples=["Forebridge"],
        description="One of the council's wards (``GET /reference-data``; ``ASB_WARDS``),"
        " matched regardless of case and punctuation; another is refused as ``ward.unknown``.",
    )
    team: StaffId | None = Field(
        default=None, description="Team to assign the case to; default: the opener's team."
    )
    officer: StaffId | None = Field(
        default=None, description="Officer to assign; default: the opener, if a caseworker."
    )

    def to_command(self, ctx: Context) -> OpenCase:
        return OpenCase(
            case_id=ctx.ids.new("case_id"),
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            channel=self.channel,
            received_at=self.received_at or ctx.occurred_at,
            category=self.category,
            description=self.description,
            location=self.location,
            lead_department=self.lead_department,
            complainant_ref=ctx.ids.given("complainant_ref", self.complainant_ref),
            complainant=person_text(self.complainant),
            preferred_contact=self.preferred_contact,
            ward=self.ward,
            team=self.team,
            officer=self.officer,
            check_duplicates=self.complainant_ref is None and not self.confirm_new_person,
            place_uprn=None if self.place is None else self.place.uprn,
            place_address=None if self.place is None else self.place.address,
        )
