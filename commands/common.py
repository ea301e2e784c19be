"""What every command shares: the case it acts on, who acts and when, and sealing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from ledger import fields
from ledger.application import CaseLedger
from ledger.person_register import PlainDetails
from ledger.sealing import case_scope, person_scope
from ledger.values import Actor, PersonDetails, Sealed


@dataclass(frozen=True, kw_only=True)
class Command:
    """Something a caseworker or partner does: who acts, and when it happened in the world.

    ``name`` is the command's stable name: it is stored in idempotency records and labels
    the metrics, so it never changes (``commands/handlers.py`` maps each type to its code)."""

    name: ClassVar[str]
    actor: Actor
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class CaseCommand(Command):
    """A command on an existing case. ``expected_version`` (from ``If-Match``) is checked
    once the case is loaded, before the command decides anything."""

    case_id: UUID
    expected_version: int | None = None


@dataclass(frozen=True, kw_only=True)
class PersonText:
    """A person's identifying details, in plain text until the command seals them."""

    name: str
    contact: str | None = None
    address: str | None = None
    date_of_birth: str | None = None


def plain(person: PersonText | None) -> PlainDetails | None:
    """A person's details as the register takes them."""
    if person is None:
        return None
    return PlainDetails(
        name=person.name,
        contact=person.contact,
        address=person.address,
        date_of_birth=person.date_of_birth,
    )


class Seal:
    """Seals one case's plain text: free text under the case's key, a person's details
    under that person's key. Blank text seals to ``None``, so the aggregate's rules fire."""

    def __init__(self, ledger: CaseLedger, case_id: UUID) -> None:
        self.sealer = ledger.sealer.for_one_command()
        self.case_id = case_id

    def confirm(self, *person_refs: UUID) -> None:
        """Asks the key table about the case's scope and these people's in one query."""
        self.sealer.confirm([case_scope(self.case_id), *map(person_scope, person_refs)])

    def text(self, value: str | None, field: str) -> Sealed | None:
        return self.sealer.seal_text(value, case_id=self.case_id, field=field)

    def personal(self, person_ref: UUID, value: str | None, field: str) -> Sealed | None:
        return self.sealer.seal_personal(
            value, case_id=self.case_id, person_ref=person_ref, field=field
        )

    def details(self, person_ref: UUID, person: PersonText | None) -> PersonDetails | None:
        if person is None:
            return None
        name = self.personal(person_ref, person.name, fields.PERSON_NAME)
        if name is None:
            return None
        return PersonDetails(
            name=name,
            contact=self.personal(person_ref, person.contact, fields.PERSON_CONTACT),
            address=self.personal(person_ref, person.address, fields.PERSON_ADDRESS),
            date_of_birth=self.personal(
                person_ref, person.date_of_birth, fields.PERSON_DATE_OF_BIRTH
            ),
        )
