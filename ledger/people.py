"""The person register's aggregate: the master record of one human being.

A person's identity (name, contact, address, date of birth, preferred contact method,
vulnerabilities) is sealed under the person's own key (``person:<ref>``), so that erasing
the person destroys it wherever it was recorded. The record is a stream of its own:
registered, its details corrected (only the fields given: UK GDPR Article 16 rectification
is itself recorded), and perhaps merged into another record found to be the same person.
Cases refer to people by ``person_ref``; the stream's id is derived from it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger import rules
from ledger.case_steps import utc
from ledger.enums import ContactMethod, Vulnerability
from ledger.errors import Rule, RuleViolation
from ledger.events import CaseEvent
from ledger.integrity import GENESIS
from ledger.type_names import stored_as
from ledger.values import Actor, PersonDetails, Sealed, person_scope


def person_stream(person_ref: UUID) -> UUID:
    """The stream a person's record is kept in (never a case's id)."""
    return uuid5(NAMESPACE_URL, f"asb-ledger:person:{person_ref}")


@stored_as("asb.person.PersonRegistered.v1")
class PersonRegistered(CaseEvent, Aggregate.Created):
    """A person was registered, with their details sealed under their own key."""

    person_ref: UUID
    details: PersonDetails
    preferred_contact: ContactMethod | None
    vulnerabilities: tuple[Vulnerability, ...]
    vulnerability_note: Sealed | None


@stored_as("asb.person.PersonCorrected.v1")
class PersonCorrected(CaseEvent):
    """A person's details were corrected: each field given replaces the one held; a field
    not given (``None``) is kept as it was, never blanked."""

    name: Sealed | None
    contact: Sealed | None
    address: Sealed | None
    date_of_birth: Sealed | None
    preferred_contact: ContactMethod | None
    vulnerabilities: tuple[Vulnerability, ...]
    """Vulnerabilities added (a correction never removes one: that is a reassessment)."""
    vulnerability_note: Sealed | None

    def apply(self, aggregate: Any) -> None:
        person: Person = aggregate
        given = {
            name: value
            for name in ("name", "contact", "address", "date_of_birth")
            if (value := getattr(self, name)) is not None
        }
        person.details = replace(person.details, **given)
        if self.preferred_contact is not None:
            person.preferred_contact = self.preferred_contact
        person.vulnerabilities = tuple(
            dict.fromkeys((*person.vulnerabilities, *self.vulnerabilities))
        )
        if self.vulnerability_note is not None:
            person.vulnerability_note = self.vulnerability_note


@stored_as("asb.person.PersonMerged.v1")
class PersonMerged(CaseEvent):
    """This record was found to be the same person as ``into``: every reader treats the two
    references as one, ``into`` surviving. The record takes no further change."""

    person_ref: UUID
    """This record's reference (the stream's id is derived from it)."""
    into: UUID

    def apply(self, aggregate: Any) -> None:
        aggregate.merged_into = self.into


@stored_as("asb.person.PersonAbsorbed.v1")
class PersonAbsorbed(CaseEvent):
    """Records merged into this one (``absorbed``: the merged record and any it had
    absorbed itself): they are this person now, and erasing this person erases them."""

    absorbed: tuple[UUID, ...]

    def apply(self, aggregate: Any) -> None:
        aggregate.aliases = tuple(dict.fromkeys((*aggregate.aliases, *self.absorbed)))


@stored_as("asb.person.Person.v1")
class Person(Aggregate):
    """One human being known to the partnership."""

    def __init__(
        self,
        *,
        person_ref: UUID,
        details: PersonDetails,
        preferred_contact: ContactMethod | None,
        vulnerabilities: tuple[Vulnerability, ...],
        vulnerability_note: Sealed | None,
    ) -> None:
        self.person_ref = person_ref
        self.details = details
        self.preferred_contact = preferred_contact
        self.vulnerabilities = tuple(vulnerabilities)
        self.vulnerability_note = vulnerability_note
        self.merged_into: UUID | None = None
        self.aliases: tuple[UUID, ...] = ()
        """The references of records merged into this one."""
        self.head_hash = GENESIS

    @classmethod
    def register(
        cls,
        *,
        actor: Actor,
        occurred_at: datetime,
        person_ref: UUID,
        details: PersonDetails | None,
        preferred_contact: ContactMethod | None = None,
        vulnerabilities: tuple[Vulnerability, ...] = (),
        vulnerability_note: Sealed | None = None,
    ) -> Person:
        if details is None:
            raise RuleViolation(Rule.TEXT_REQUIRED, "a person is registered with a name")
        arguments = {"details": details, "vulnerability_note": vulnerability_note}
        _check_scopes(person_ref, arguments)
        return cls._create(
            PersonRegistered,
            id=person_stream(person_ref),
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=GENESIS,
            person_ref=person_ref,
            preferred_contact=preferred_contact,
            vulnerabilities=tuple(dict.fromkeys(vulnerabilities)),
            **arguments,
        )

    def correct(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        name: Sealed | None = None,
        contact: Sealed | None = None,
        address: Sealed | None = None,
        date_of_birth: Sealed | None = None,
        preferred_contact: ContactMethod | None = None,
        vulnerabilities: tuple[Vulnerability, ...] = (),
        vulnerability_note: Sealed | None = None,
    ) -> None:
        """Corrects the fields given; the others are kept."""
        self._changeable()
        sealed = {
            "name": name,
            "contact": contact,
            "address": address,
            "date_of_birth": date_of_birth,
            "vulnerability_note": vulnerability_note,
        }
        added = tuple(v for v in dict.fromkeys(vulnerabilities) if v not in self.vulnerabilities)
        changed = preferred_contact not in (None, self.preferred_contact)
        if all(value is None for value in sealed.values()) and not added and not changed:
            raise RuleViolation(Rule.PERSON_NOTHING_TO_CORRECT, "no field to correct was given")
        _check_scopes(self.person_ref, sealed)
        self.trigger_event(
            PersonCorrected,
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=self.head_hash,
            preferred_contact=preferred_contact if changed else None,
            vulnerabilities=added,
            **sealed,
        )

    def merge_into(self, *, actor: Actor, occurred_at: datetime, into: UUID) -> None:
        """Records that this record is the same person as ``into`` (which survives)."""
        self._changeable()
        if into == self.person_ref:
            raise RuleViolation(Rule.PERSON_MERGE, "a person cannot be merged into themselves")
        self.trigger_event(
            PersonMerged,
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=self.head_hash,
            person_ref=self.person_ref,
            into=into,
        )

    def absorb(self, *, actor: Actor, occurred_at: datetime, other: Person) -> None:
        """The survivor's side of a merge: ``other`` (and whatever it absorbed) is this
        person. ``other.merge_into`` records the other side, saved with this."""
        self._changeable()
        if other.person_ref == self.person_ref or other.person_ref in self.aliases:
            raise RuleViolation(Rule.PERSON_MERGE, "these records are already one person")
        self.trigger_event(
            PersonAbsorbed,
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=self.head_hash,
            absorbed=(other.person_ref, *other.aliases),
        )

    def _changeable(self) -> None:
        if self.merged_into is not None:
            raise RuleViolation(
                Rule.PERSON_MERGE,
                f"this record was merged into {self.merged_into}: change that one",
            )


def _check_scopes(person_ref: UUID, arguments: dict[str, Any]) -> None:
    """Every sealed detail is under the person's own key, or erasing them would miss it."""
    expected = person_scope(person_ref)
    for name, value in arguments.items():
        for path, sealed in rules.sealed_in(value, name):
            if sealed.scope != expected:
                raise RuleViolation(
                    Rule.SEAL_SCOPE, f"{path} must be sealed under the person's key"
                )
