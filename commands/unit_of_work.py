"""A command's unit of work: what its handler may load and save, passed to it explicitly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from commands.common import CaseCommand, Seal
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.idempotency import IdempotencyClaim
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

    def update(self, cmd: CaseCommand, decide: Callable[[Case], None]) -> Receipt:
        """Load the case, admit it, check ``cmd.expected_version``, let ``decide`` call the
        aggregate, and save what it triggered."""
        return self.ledger.update(
            cmd.case_id, cmd.expected_version, decide, claim=self.claim, admit=self.admit
        )

    def open(self, case: Case) -> Receipt:
        """Save a newly opened case with its reference index (and the claim)."""
        return self.ledger.save_new_case(case, claim=self.claim)
