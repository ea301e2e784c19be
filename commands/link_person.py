"""Link a person to a case: a victim, witness, alleged perpetrator or representative."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from commands.common import CaseCommand, PersonText, plain
from commands.unit_of_work import UnitOfWork
from ledger import fields
from ledger.case import Case
from ledger.enums import PersonRole, Vulnerability
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class LinkPerson(CaseCommand):
    name: ClassVar[str] = "link_person"

    person_ref: UUID
    role: PersonRole
    details: PersonText | None = None
    vulnerabilities: tuple[Vulnerability, ...] = ()
    vulnerability_note: str | None = None
    self_declared_repeat_victim: bool = False
    check_duplicates: bool = True
    """Search the person register first (a person named by no reference): a strong match
    refuses the link as ``person.possible_duplicate``."""


def handle(cmd: LinkPerson, uow: UnitOfWork) -> Receipt:
    """A person already on the case, or in the register, is linked without details again;
    details given for them correct the register's record in only the fields given. The
    register is searched, and written, only once the case is loaded and the caller admitted
    to it; its record is saved with the case's event."""
    people = uow.ledger.people
    given = plain(cmd.details)
    seal = uow.seal(cmd.case_id)
    written: list[Aggregate] = []
    tokens: dict[str, str] = {}

    def decide(case: Case) -> None:
        known = people.screen(
            cmd.person_ref, given, check_duplicates=cmd.check_duplicates, field="details"
        )
        case.link_person(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            person_ref=cmd.person_ref,
            role=cmd.role,
            details=seal.details(cmd.person_ref, cmd.details),
            vulnerabilities=cmd.vulnerabilities,
            vulnerability_note=seal.personal(
                cmd.person_ref, cmd.vulnerability_note, fields.PERSON_VULNERABILITY_NOTE
            ),
            self_declared_repeat_victim=cmd.self_declared_repeat_victim,
            registered=known is not None,
        )
        intake = people.intake(
            known,
            cmd.person_ref,
            given,
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            vulnerabilities=cmd.vulnerabilities,
        )
        written.extend([intake.person] if intake.person else [])
        tokens.update(intake.tokens)

    receipt = uow.update(cmd, decide, others=written)
    people.add_tokens(cmd.person_ref, tokens)
    return receipt
