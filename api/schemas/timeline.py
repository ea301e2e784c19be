"""Response models of a case's audit trail: one plain-language line per event."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from replay.timeline import TimelineLine


class TimelineActorOut(BaseModel):
    """Who did it: a member of staff or a partner officer (staff identity is the audit trail)."""

    user_id: str
    name: str
    role: str
    organisation: str
    team: str | None


class TimelineLineOut(BaseModel):
    """One event: what happened, with no personal data or free text, who did it, when it
    happened and when it was recorded, its version and the hash chain's link."""

    version: int
    type: str = Field(examples=["IncidentRecorded"])
    what: str = Field(examples=["Incident recorded (noise; targeted, criminal)"])
    refs: list[str] = Field(
        description="The ids the event concerns: `person:`, `incident:`, `share:`, ..."
    )
    actor: TimelineActorOut
    occurred_at: datetime
    recorded_at: datetime
    event_hash: str
    prev_hash: str

    @classmethod
    def of(cls, line: TimelineLine) -> TimelineLineOut:
        actor = line.actor
        return cls(
            version=line.version,
            type=line.type,
            what=line.what,
            refs=list(line.refs),
            actor=TimelineActorOut(
                user_id=actor.user_id,
                name=actor.display_name,
                role=actor.role.value,
                organisation=actor.organisation,
                team=actor.team,
            ),
            occurred_at=line.occurred_at,
            recorded_at=line.recorded_at,
            event_hash=line.event_hash,
            prev_hash=line.prev_hash,
        )


class TimelineOut(BaseModel):
    case_id: UUID
    reference: str
    version: int
    lines: list[TimelineLineOut]
