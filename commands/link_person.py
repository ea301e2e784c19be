"""Link a person to a case: a victim, witness, alleged perpetrator or representative."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from commands.common import CaseCommand, PersonText
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


def handle(cmd: LinkPerson, uow: UnitOfWork) -> Receipt:
    """A person already on the case may take a further role without details again."""
    seal = uow.seal(cmd.case_id)

    def decide(case: Case) -> None:
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
        )

    return uow.update(cmd, decide)
