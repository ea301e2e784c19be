"""Bringing people recorded before the person register into it, and re-indexing them.

Cases opened before the register hold their people's details only in their own events
(sealed under each person's key), so intake's duplicate check cannot find them. This
registers each such person from the details their cases hold (the latest given, field by
field, as the case shows them), by the system actor, and indexes them. It also recomputes
the index tokens of every registered person, which mends an index left short by a crash
between a person's events and their tokens. Erased people are left erased. Running it again
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from ledger import fields
from ledger.application import CaseLedger
from ledger.errors import SealBroken
from ledger.people import PersonRegistered
from ledger.person_register import PlainDetails
from ledger.sealing import Erased
from ledger.type_names import type_name
from ledger.values import Actor, PersonDetails


@dataclass
class Backfill:
    """What was found (and, applied, done): counts only, never a detail."""

    registered: int = 0
    """People registered from their cases' details."""
    erased: int = 0
    """People on cases whose details were erased: left as they are."""
    already: int = 0
    """People on cases the register held already."""
    reindexed: int = 0
    """Registered people whose index tokens were recomputed."""
    unreadable: int = 0
    """People whose sealed details do not open (``asb-ledger verify`` says why)."""


def run(ledger: CaseLedger, actor: Actor, now: datetime, *, apply: bool) -> Backfill:
    """Registers the people of every case the register lacks, then indexes everyone."""
    done = Backfill()
    people = ledger.people
    seen: set[UUID] = set()
    for case_id in ledger.case_ids():
        case = ledger.get_case(case_id)
        for ref, linked in case.persons.items():
            if ref in seen or linked.details is None:
                continue
            seen.add(ref)
            if people.get(ref) is not None:
                done.already += 1
                continue
            try:
                given = _plain(ledger, case_id, linked.details)
            except SealBroken:
                done.unreadable += 1
                continue
            if given is None:
                done.erased += 1
                continue
            done.registered += 1
            if apply:
                intake = people.intake(None, ref, given, actor=actor, occurred_at=now)
                assert intake.person is not None
                ledger.save(intake.person)
                people.add_tokens(ref, intake.tokens)
    for ref in _registered(ledger):
        record = people.get(ref)
        if record is None:
            continue
        held = people.details(record)
        if held["name"] is None:
            continue  # erased
        done.reindexed += 1
        if apply:  # a merged record's details find the record it was merged into
            tokens = people.index.tokens(PlainDetails(**held).tokens())
            owner = people.resolve(ref)
            people.add_tokens(owner, {token: kind.value for token, kind in tokens.items()})
            if owner != ref:
                people.merge_tokens(ref, owner)
    return done


def _plain(ledger: CaseLedger, case_id: UUID, details: PersonDetails) -> PlainDetails | None:
    values: dict[str, str | None] = {}
    for name, field in (
        ("name", fields.PERSON_NAME),
        ("contact", fields.PERSON_CONTACT),
        ("address", fields.PERSON_ADDRESS),
        ("date_of_birth", fields.PERSON_DATE_OF_BIRTH),
    ):
        sealed = getattr(details, name)
        plain = (
            None if sealed is None else ledger.sealer.unseal(sealed, case_id=case_id, field=field)
        )
        if isinstance(plain, Erased):
            return None
        values[name] = None if plain is None else str(plain)
    return PlainDetails(**values)


def _registered(ledger: CaseLedger, page: int = 500) -> list[UUID]:
    refs: list[UUID] = []
    start = 1
    topic = type_name(PersonRegistered)
    while True:
        notes = ledger.recorder.select_notifications(start, page, topics=[topic])
        for note in notes:
            event = ledger.mapper.to_domain_event(note)
            if isinstance(event, PersonRegistered):
                refs.append(event.person_ref)
        if len(notes) < page:
            return refs
        start = notes[-1].id + 1
