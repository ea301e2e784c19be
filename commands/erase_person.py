"""Erase a person: a data protection officer's decision (UK GDPR Article 17), with its ground.

Every record found to be the person (a merge joins two) loses its key, and with it every
field sealed under it, wherever recorded, and its blind-index tokens; each destruction is
recorded (``KeyErasure``: the scope, the ground and who decided, no personal data). It is
refused while a legal hold covers the person, a case they are on, or that case's category
(``erasure.legal_hold``, naming the holds); while a subject access request about them is
open (``erasure.open_sar``): erasing what a request covers is an offence (DPA 2018 s173);
and while a case on which they are a victim or an alleged perpetrator is open: the case
still needs them (``erasure.case_open``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from commands.common import Command
from ledger.application import CaseLedger
from ledger.enums import ErasureReason, PersonRole
from ledger.errors import Rule, RuleViolation

HELD_BY = frozenset({PersonRole.VICTIM, PersonRole.ALLEGED_PERPETRATOR})
"""The roles in which an open case still needs the person."""


@dataclass(frozen=True, kw_only=True)
class ErasePerson(Command):
    name: ClassVar[str] = "erase_person"

    person_ref: UUID
    ground: ErasureReason


def handle(cmd: ErasePerson, ledger: CaseLedger, cases: Iterable[UUID]) -> list[str]:
    """Checks ``cases`` (every case the person is on, as the caller found them) as they
    stand now, then erases; returns the key scopes destroyed."""
    refs = set(ledger.people.same_person(cmd.person_ref))
    held = ledger.sars.open_for(refs)
    if held:
        raise RuleViolation(
            Rule.ERASURE_OPEN_SAR,
            f"subject access request {held[0]} about this person is open: their data is"
            " held until it is answered (DPA 2018 s173)",
        )
    loaded = [ledger.get_case(case_id) for case_id in cases]
    holds = ledger.holds.covering(
        cases=[case.id for case in loaded],
        persons=refs,
        categories={case.category for case in loaded},
    )
    if holds:
        raise RuleViolation(
            Rule.ERASURE_LEGAL_HOLD,
            f"held: {'; '.join(hold.describe() for hold in holds)}",
        )
    for case in loaded:
        roles = set().union(*(case.persons[r].roles for r in refs if r in case.persons))
        if not case.closed and roles & HELD_BY:
            raise RuleViolation(
                Rule.ERASURE_CASE_OPEN,
                f"case {case.reference} is open with this person as"
                f" {' and '.join(sorted(r.value for r in roles & HELD_BY))}: close it first",
            )
    return ledger.erase_person(
        cmd.person_ref, actor=cmd.actor, occurred_at=cmd.occurred_at, reason=cmd.ground
    )
