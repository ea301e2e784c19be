"""A command's unit of work: what its handler may load and save, passed to it explicitly."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.domain import Aggregate

from commands.common import CaseCommand, Seal
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import Agency
from ledger.errors import Rule, RuleViolation
from ledger.idempotency import IdempotencyClaim
from ledger.organisations import OrganisationRecord
from ledger.values import Receipt

Admit = Callable[[Case], None]
"""The caller's check on the case as loaded (the API's policy): it raises to refuse."""


@dataclass(frozen=True, kw_only=True)
class UnitOfWork:
    """One command's access to the ledger, in the spirit of cosmicpython's ``uow`` and the
    Marten Helpdesk sample's ``GetAndUpdate``: the case is loaded once, ``admit`` may refuse
    it before the command decides anything, and ``claim`` (the caller's idempotency key) is
    saved in the same transaction as the command's events. Nothing travels implicitly."""

    ledger: CaseLedger
    claim: IdempotencyClaim | None = None
    admit: Admit | None = None

    def seal(self, case_id: UUID) -> Seal:
        """A sealer for one case's text and its people's details."""
        return Seal(self.ledger, case_id)

    def organisation(
        self, org_id: str, cmd: CaseCommand, field: str, agency: Agency | None = None
    ) -> OrganisationRecord:
        """The registered organisation ``org_id``, a signatory of the protocol when the
        command happened; ``agency``, if the caller named one, must be the registered one."""
        if not org_id.strip():
            raise RuleViolation(Rule.TEXT_REQUIRED, f"{field} is required")
        found = self.ledger.organisations.require(org_id.strip(), cmd.occurred_at.date(), field)
        if agency is not None and agency is not found.agency:
            raise RuleViolation(
                Rule.ORGANISATION_AGENCY_MISMATCH,
                f"{field}: {org_id} is registered as {found.agency.value}, not {agency.value}",
            )
        return found

    def update(
        self,
        cmd: CaseCommand,
        decide: Callable[[Case], None],
        *,
        others: Sequence[Aggregate] = (),
    ) -> Receipt:
        """Load the case, admit it, check ``cmd.expected_version``, let ``decide`` call the
        aggregate, and save what it triggered with ``others`` (read once ``decide`` has run,
        so it may add to them), in the same transaction."""
        return self.ledger.update(
            cmd.case_id,
            cmd.expected_version,
            decide,
            claim=self.claim,
            admit=self.admit,
            others=others,
        )

    def open(self, case: Case, *others: Aggregate) -> Receipt:
        """Save a newly opened case with its reference index, the claim and ``others``."""
        return self.ledger.save_new_case(case, *others, claim=self.claim)
