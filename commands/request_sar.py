"""Record a subject access request (UK GDPR Article 15): a DPO logs what arrived and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar
from uuid import UUID

from commands.common import Command
from ledger.application import CaseLedger
from ledger.enums import SarPart, SarRequester
from ledger.errors import Rule, RuleViolation
from ledger.sar import SubjectAccessRequest


@dataclass(frozen=True, kw_only=True)
class RequestSar(Command):
    name: ClassVar[str] = "request_sar"

    sar_id: UUID
    person_ref: UUID
    requester: SarRequester
    representative_ref: UUID | None
    received_on: date
    identity_checked_on: date | None
    asks_for: tuple[SarPart, ...]


def handle(cmd: RequestSar, ledger: CaseLedger) -> tuple[SubjectAccessRequest, int]:
    """Opens the request and its hold on the person, in one transaction. The person must be
    in the register: a request is answered from what is held about a known person."""
    if ledger.people.get(cmd.person_ref) is None:
        raise RuleViolation(
            Rule.PERSON_UNKNOWN, "person_ref: no such person in the register (POST /people/search)"
        )
    return ledger.sars.request(
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        sar_id=cmd.sar_id,
        person_ref=ledger.people.resolve(cmd.person_ref),
        requester=cmd.requester,
        representative_ref=cmd.representative_ref,
        received_on=cmd.received_on,
        identity_checked_on=cmd.identity_checked_on,
        asks_for=cmd.asks_for,
    )
