"""Reading and writing break-glass grants through the ledger's store (``ledger/break_glass.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from ledger import fields
from ledger.break_glass import BreakGlassGrant, BreakGlassIndex, index_id
from ledger.case_steps import utc
from ledger.enums import AlertFollowUp, AlertOutcome, BreakGlassReason
from ledger.errors import Rule, RuleViolation
from ledger.sealing import Unsealed, case_scope
from ledger.values import Actor, Sealed

if TYPE_CHECKING:
    from ledger.application import CaseLedger
    from ledger.case import Case


class BreakGlassRegister:
    """Every read goes to the store, so a grant opens the next request and its expiry or
    closing shuts it, in every process at once."""

    def __init__(self, ledger: CaseLedger) -> None:
        self.ledger = ledger

    def grant(
        self,
        *,
        grant_id: UUID,
        actor: Actor,
        teams: frozenset[str],
        occurred_at: datetime,
        case: Case,
        reason: BreakGlassReason,
        rationale: str,
    ) -> tuple[BreakGlassGrant, int]:
        """Grants ``actor`` a read of ``case`` for the configured hours (the caller decided
        they may not read it otherwise); refused while an earlier grant of theirs on it
        runs. Returns the grant and its event's notification position."""
        now = utc(occurred_at, "occurred_at")
        index = self._index(actor.user_id, case.id)
        running = None if index is None else self.get(index.latest)
        if running is not None and running.active_at(now):
            raise RuleViolation(
                Rule.BREAK_GLASS_ACTIVE,
                f"your grant {running.id} on this case runs until {running.ends_at.isoformat()}",
            )
        grant = BreakGlassGrant.grant(
            grant_id=grant_id,
            actor=actor,
            occurred_at=now,
            case_id=case.id,
            reference=case.reference,
            teams=tuple(teams),
            reason=reason,
            rationale=self._seal(rationale, grant_id, case.id, fields.BREAK_GLASS_RATIONALE),
            hours=self.ledger.settings.break_glass_hours,
        )
        if index is None:
            index = BreakGlassIndex.open(
                actor=actor, occurred_at=now, case_id=case.id, grant_id=grant_id
            )
        else:
            index.add(actor=actor, occurred_at=now, grant_id=grant_id)
        return grant, self._save(grant, index, Rule.BREAK_GLASS_ACTIVE, "another grant")

    def review(
        self,
        grant_id: UUID,
        *,
        actor: Actor,
        occurred_at: datetime,
        outcome: AlertOutcome,
        follow_up: AlertFollowUp | None,
        note: str | None,
    ) -> tuple[BreakGlassGrant, int] | None:
        """Closes a grant's alert; None if there is no such grant."""
        grant = self.get(grant_id)
        if grant is None:
            return None
        sealed = self._seal(note, grant.id, grant.case_id, fields.BREAK_GLASS_NOTE)
        grant.review(
            actor=actor, occurred_at=occurred_at, outcome=outcome, follow_up=follow_up, note=sealed
        )
        return grant, self._save(grant, None, Rule.ALERT_CLOSED, "another review")

    def get(self, grant_id: UUID) -> BreakGlassGrant | None:
        found = self._load(grant_id)
        return found if isinstance(found, BreakGlassGrant) else None

    def active(self, user_id: str, case_id: UUID, now: datetime) -> BreakGlassGrant | None:
        """The caller's grant on the case running at ``now``, if any: only their latest can
        be (a new one is refused while one runs)."""
        index = self._index(user_id, case_id)
        grant = None if index is None else self.get(index.latest)
        if grant is None or grant.case_id != case_id or grant.supervisor.user_id != user_id:
            return None
        return grant if grant.active_at(now) else None

    def unsealed(self, grant: BreakGlassGrant) -> tuple[Unsealed, Unsealed | None]:
        """The grant's rationale and its review's note, in the clear (or as erased)."""
        sealer = self.ledger.sealer
        rationale = sealer.unseal(
            grant.rationale, case_id=grant.id, field=fields.BREAK_GLASS_RATIONALE
        )
        note = (
            None
            if grant.note is None
            else sealer.unseal(grant.note, case_id=grant.id, field=fields.BREAK_GLASS_NOTE)
        )
        return rationale, note

    def _index(self, user_id: str, case_id: UUID) -> BreakGlassIndex | None:
        found = self._load(index_id(user_id, case_id))
        return found if isinstance(found, BreakGlassIndex) else None

    def _load(self, stream: UUID) -> Any:
        try:
            return self.ledger.repository.get(stream)
        except AggregateNotFoundError:
            return None

    def _seal(self, text: str | None, grant_id: UUID, case_id: UUID, field: str) -> Sealed | None:
        """Free text about the case, under the case's key, bound to the grant's stream."""
        return self.ledger.sealer.seal(
            text, case_id=grant_id, field=field, scope=case_scope(case_id)
        )

    def _save(
        self, grant: BreakGlassGrant, index: BreakGlassIndex | None, rule: Rule, what: str
    ) -> int:
        try:
            recordings = self.ledger.save(grant, *([] if index is None else [index]))
        except IntegrityError:
            raise RuleViolation(rule, f"{what} was recorded at the same moment") from None
        mine = [r.notification.id for r in recordings if r.domain_event.originator_id == grant.id]
        return max(mine)
