"""Open a case from a complaint: register it, link the complainant and assign it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from commands.common import Command, PersonText, plain
from commands.unit_of_work import UnitOfWork
from ledger import fields, rules
from ledger.case import Case
from ledger.enums import Category, Channel, ContactMethod, Department, Role
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class OpenCase(Command):
    name: ClassVar[str] = "open_case"

    case_id: UUID
    channel: Channel
    received_at: datetime
    category: Category
    description: str
    location: str
    lead_department: Department
    complainant_ref: UUID
    complainant: PersonText
    preferred_contact: ContactMethod
    ward: str | None = None
    team: str | None = None
    officer: str | None = None
    place_uprn: str | None = None
    place_address: str | None = None
    """The place the complaint is about; default: the location, if it holds a postcode and a
    house number or name (``ledger/places.py``)."""
    check_duplicates: bool = True
    """Search the person register first (a complainant named by no reference): a strong
    match refuses the opening as ``person.possible_duplicate``."""


def handle(cmd: OpenCase, uow: UnitOfWork) -> Receipt:
    """Opens the case and assigns it, in one save: to the team named, else the opener's;
    a caseworker who opens a case is its officer unless another is named."""
    # Required text is checked before a reference number is taken, so a plainly
    # incomplete complaint does not use one up.
    team = rules.text(cmd.team or cmd.actor.team, "team")
    rules.text(cmd.description, "description")
    rules.text(cmd.location, "location")
    rules.text(cmd.complainant.name, "complainant.name")
    ward = uow.ledger.vocabulary.ward(cmd.ward)
    places = uow.ledger.places
    place = places.named(cmd.place_uprn, cmd.place_address, "place") or places.of_text(cmd.location)
    officer = cmd.officer
    if officer is None and cmd.actor.role is Role.CASEWORKER:
        officer = cmd.actor.user_id
    people = uow.ledger.people
    given = plain(cmd.complainant)
    known = people.screen(
        cmd.complainant_ref, given, check_duplicates=cmd.check_duplicates, field="complainant"
    )
    reference = uow.ledger.prepare_opening(cmd.case_id, [cmd.complainant_ref], cmd.received_at)
    intake = people.intake(
        known,
        cmd.complainant_ref,
        given,
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        preferred_contact=cmd.preferred_contact,
    )
    seal = uow.seal(cmd.case_id)
    seal.confirm(cmd.complainant_ref)
    complainant = seal.details(cmd.complainant_ref, cmd.complainant)
    assert complainant is not None  # its name was checked above
    case = Case.open(
        case_id=cmd.case_id,
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        reference=reference,
        channel=cmd.channel,
        received_at=cmd.received_at,
        category=cmd.category,
        description=seal.text(cmd.description, fields.CASE_DESCRIPTION),
        location=seal.text(cmd.location, fields.CASE_LOCATION),
        lead_department=cmd.lead_department,
        complainant_ref=cmd.complainant_ref,
        complainant=complainant,
        preferred_contact=cmd.preferred_contact,
        ward=ward,
        place=place,
    )
    case.assign(actor=cmd.actor, occurred_at=cmd.occurred_at, team=team, officer=officer)
    receipt = uow.open(case, *([intake.person] if intake.person else []))
    people.add_tokens(cmd.complainant_ref, intake.tokens)
    return receipt
