"""Break-glass: a supervisor's grant, and the DPO's queue of alerts and their closing."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.base import Body, LongText, RequiredText
from api.schemas.views import Erased, Text
from ledger.break_glass import BreakGlassGrant
from ledger.enums import AlertFollowUp, AlertOutcome, BreakGlassReason
from ledger.sealing import Erased as ErasedField
from ledger.sealing import Unsealed
from projections.alerts.model import Alert


class BreakGlassIn(Body):
    """Why a supervisor must read a case outside their teams: a coded reason and, in their
    own words, the rationale (sealed under the case's key; the DPO reads it)."""

    reason: BreakGlassReason = Field(examples=["safeguarding_emergency"])
    rationale: RequiredText = Field(
        examples=["Police called out of hours about a threat to the victim; team lead absent."]
    )


class BreakGlassOut(BaseModel):
    """A grant: the case's reads open to its holder until ``expires_at`` (never a command).
    Every read under it is recorded as a break-glass read, and the DPO reviews the use."""

    grant_id: UUID
    case_id: UUID
    reference: str
    reason: BreakGlassReason
    granted_at: datetime
    expires_at: datetime
    position: int = Field(description="The grant's position in the ledger (for min_position).")

    @classmethod
    def of(cls, grant: BreakGlassGrant, position: int) -> BreakGlassOut:
        return cls(
            grant_id=grant.id,
            case_id=grant.case_id,
            reference=grant.reference,
            reason=grant.reason,
            granted_at=grant.granted_at,
            expires_at=grant.expires_at,
            position=position,
        )


class AlertOut(BaseModel):
    """One break-glass use: references, codes, staff ids and times, no personal data."""

    grant_id: UUID
    case_id: UUID
    reference: str
    supervisor_id: str
    supervisor_team: str | None
    teams: list[str] = Field(description="The supervisor's teams when they broke the glass.")
    reason: str = Field(examples=["police_request"])
    granted_at: datetime
    expires_at: datetime
    ends_at: datetime = Field(
        description="When reads under it stop: its expiry, or its closing as corrected or"
        " escalated if earlier."
    )
    active: bool = Field(description="Whether reads under it are allowed now.")
    reads: int = Field(description="Reads made under it.")
    last_read_at: datetime | None
    status: Literal["open", "closed"]
    outcome: str | None = Field(description="`justified`, `corrected` or `escalated` once closed.")
    follow_up: str | None
    closed_by: str | None
    closed_at: datetime | None
    reconciled: bool = Field(
        description="The case was later assigned to one of the supervisor's teams."
    )
    reconciled_at: datetime | None
    reconciled_team: str | None

    @classmethod
    def of(cls, alert: Alert, now: datetime) -> AlertOut:
        return cls(
            grant_id=alert.grant_id,
            case_id=alert.case_id,
            reference=alert.reference,
            supervisor_id=alert.supervisor_id,
            supervisor_team=alert.supervisor_team,
            teams=list(alert.teams),
            reason=alert.reason,
            granted_at=alert.granted_at,
            expires_at=alert.expires_at,
            ends_at=alert.ends_at,
            active=alert.active_at(now),
            reads=alert.reads,
            last_read_at=alert.last_read_at,
            status=alert.status,
            outcome=alert.outcome,
            follow_up=alert.follow_up,
            closed_by=alert.closed_by,
            closed_at=alert.closed_at,
            reconciled=alert.reconciled_at is not None,
            reconciled_at=alert.reconciled_at,
            reconciled_team=alert.reconciled_team,
        )


class AlertsOut(BaseModel):
    as_of: datetime = Field(description="The moment ``active`` was judged at.")
    items: list[AlertOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


def _text(value: Unsealed | None) -> Text:
    return Erased() if isinstance(value, ErasedField) else value


class AlertDetailOut(AlertOut):
    """One alert with what the DPO judges it by: the supervisor's rationale and the closing
    note, unsealed (``{"erased": true}`` once the case's key is destroyed). Recorded as an
    access to the case's data."""

    rationale: Text
    note: Text

    @classmethod
    def with_text(
        cls, alert: Alert, now: datetime, rationale: Unsealed, note: Unsealed | None
    ) -> AlertDetailOut:
        return cls(**dict(AlertOut.of(alert, now)), rationale=_text(rationale), note=_text(note))


class AlertCloseIn(Body):
    """The DPO's review of a break-glass use. ``corrected`` and ``escalated`` end a grant
    still running; ``justified`` leaves it to its expiry."""

    outcome: AlertOutcome = Field(examples=["justified"])
    follow_up: AlertFollowUp | None = Field(default=None, examples=["advice_given"])
    note: LongText | None = Field(
        default=None, description="Free text, sealed under the case's key."
    )


class AlertClosedOut(BaseModel):
    grant_id: UUID
    outcome: AlertOutcome
    follow_up: AlertFollowUp | None
    closed_at: datetime
    ends_at: datetime
    position: int = Field(description="The review's position in the ledger (for min_position).")

    @classmethod
    def of(cls, grant: BreakGlassGrant, position: int) -> AlertClosedOut:
        assert grant.outcome is not None
        assert grant.reviewed_at is not None
        return cls(
            grant_id=grant.id,
            outcome=grant.outcome,
            follow_up=grant.follow_up,
            closed_at=grant.reviewed_at,
            ends_at=grant.ends_at,
            position=position,
        )
