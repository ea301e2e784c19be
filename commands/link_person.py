"""Link a person to a case: a victim, witness, alleged perpetrator or representative."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from commands.common import CaseCommand, PersonText, load
from ledger import fields
from ledger.application import CaseLedger
from ledger.enums import PersonRole, Vulnerability
from ledger.values import Receipt


@dataclass(frozen=True, kw_only=True)
class LinkPerson(CaseCommand):
    person_ref: UUID
    role: PersonRole
    details: PersonText | None = None
    vulnerabilities: tuple[Vulnerability, ...] = ()
    vulnerability_note: str | None = None
    self_declared_repeat_victim: bool = False


def handle(cmd: LinkPerson, ledger: CaseLedger) -> Receipt:
    """A person already on the case may take a further role without details again."""
    case, seal = load(ledger, cmd)
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
    return ledger.save_case(case)
