"""The retention sweep (DOMAIN §8): the closed cases past retention, listed, then erased one by one.

The list comes from the caseload view (``projections/caseload/retention.py``), brought up
to date by the caller; each case is then checked against the ledger itself before anything
is destroyed (``commands/erase_closed_case.py``): the view only says where to look. Holds
are read from the ledger (``ledger.holds``), never from a view.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from commands import erase_closed_case
from commands.erase_closed_case import EraseClosedCase, Outcome
from ledger.application import CaseLedger
from ledger.errors import LedgerError
from ledger.holds import Cover
from ledger.settings import Retention
from ledger.thresholds import Timescales
from ledger.values import Actor
from projections.caseload.projection import Caseload
from projections.caseload.retention import RetentionRow

log = structlog.get_logger("retention")


@dataclass(frozen=True)
class Due:
    """A closed case past retention, as the view lists it, with the holds that keep it."""

    row: RetentionRow
    holds: tuple[Cover, ...]


class RetentionSweep:
    """One sweep at one moment (``now``: the injected clock) by one DPO (``actor``)."""

    def __init__(
        self,
        ledger: CaseLedger,
        view: Caseload,
        *,
        actor: Actor,
        now: datetime,
        timescales: Timescales | None = None,
        retention: Retention | None = None,
    ) -> None:
        self.ledger = ledger
        self.view = view
        self.actor = actor
        self.now = now
        self.timescales = timescales or view.timescales
        self.retention = retention or view.retention
        self.today = self.timescales.local_date(now)

    def due(self) -> list[Due]:
        """The closed cases not yet erased whose retention ended by today, each with the
        holds in force that cover it, its people (as the view knows them) or its category."""
        rows = self.view.retention_due(self.today)
        holds = self.ledger.holds
        active = holds.active()
        if not active:
            return [Due(row, ()) for row in rows]
        people = self.view.people_of(row.case_id for row in rows)
        return [
            Due(
                row,
                tuple(
                    holds.covering(
                        cases=[row.case_id],
                        persons=people.get(row.case_id, ()),
                        categories=[row.category],
                        active=active,
                    )
                ),
            )
            for row in rows
        ]

    def erase(self, row: RetentionRow) -> Outcome:
        """Checks one listed case against the ledger and erases it; a case the ledger
        cannot check (its chain broken, say) fails alone, and the sweep goes on."""
        command = EraseClosedCase(
            actor=self.actor, occurred_at=self.now, case_id=row.case_id, today=self.today
        )
        try:
            outcome = erase_closed_case.handle(
                command,
                self.ledger,
                retention=self.retention,
                local_date=self.timescales.local_date,
                cases_of=self.view.cases_of,
            )
        except LedgerError as error:
            log.error("retention.failed", case_id=str(row.case_id), error=type(error).__name__)
            return Outcome(
                case_id=row.case_id,
                status="failed",
                reference=row.reference,
                closed_on=row.closed_on,
                due_on=row.due_on,
                detail=f"{type(error).__name__}: {error}",
            )
        log.info(
            "retention.case",
            case_id=str(row.case_id),
            status=outcome.status,
            scopes=len(outcome.scopes),
            kept=len(outcome.kept),
            holds=[str(h.hold_id) for h in outcome.holds],
        )
        return outcome

    def apply(
        self, rows: list[RetentionRow], advance: Callable[[Outcome], None] | None = None
    ) -> list[Outcome]:
        """Erases ``rows`` one case at a time (``advance`` is told of each)."""
        outcomes = []
        for row in rows:
            outcome = self.erase(row)
            outcomes.append(outcome)
            if advance is not None:
                advance(outcome)
        return outcomes


def counts(outcomes: list[Outcome]) -> Counter[str]:
    return Counter(outcome.status for outcome in outcomes)
