"""Subject access requests: what the DPO sends and what the routes answer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.base import Body
from ledger.enums import (
    SarClosure,
    SarDecision,
    SarExtensionReason,
    SarPart,
    SarRequester,
    SarStopReason,
    WithholdGround,
)
from ledger.sar import SubjectAccessRequest
from replay.sar_draft import Draft
from replay.sar_items import GROUND_TEXT, Item

SarStatus = Literal["awaiting_identity", "open", "stopped", "overdue", "issued", "closed"]


class SarIn(Body):
    person_ref: UUID = Field(description="The person in the register whose data is asked for.")
    requester: SarRequester = SarRequester.DATA_SUBJECT
    representative_ref: UUID | None = Field(
        default=None, description="The representative's person reference, when one asked."
    )
    received_on: date = Field(description="The day the request arrived.")
    identity_checked_on: date | None = Field(
        default=None,
        description="The day the requester's identity was confirmed; none yet: the clock"
        " waits for it.",
    )
    asks_for: list[SarPart] = Field(
        default_factory=lambda: list(SarPart), description="What was asked for; default all."
    )


class IdentityIn(Body):
    on: date = Field(description="The day the identity (or authority) was confirmed.")


class ClockStopIn(Body):
    on: date
    reason: SarStopReason


class ClockRestartIn(Body):
    on: date = Field(description="The day what the clock waited for arrived.")


class ExtensionIn(Body):
    months: int = Field(ge=1, le=2)
    reason: SarExtensionReason


class CloseIn(Body):
    closure: SarClosure


class DecisionIn(Body):
    decision: SarDecision
    ground: WithholdGround | None = Field(
        default=None, description="Required to withhold; absent to release."
    )


class SarOut(BaseModel):
    """A request as the queue shows it: references, dates and codes only."""

    sar_id: UUID
    person_ref: UUID
    requester: SarRequester
    received_on: date
    identity_checked_on: date | None
    asks_for: list[SarPart]
    status: SarStatus
    due_on: date | None = Field(description="None while the clock is stopped or not started.")
    extension_months: int
    decisions: int = Field(description="Items the reviewer has decided.")
    issued_at: datetime | None
    version: int

    @classmethod
    def of(cls, sar: SubjectAccessRequest, today: date) -> SarOut:
        return cls(
            sar_id=sar.id,
            person_ref=sar.person_ref,
            requester=sar.requester,
            received_on=sar.received_on,
            identity_checked_on=sar.identity_checked_on,
            asks_for=list(sar.asks_for),
            status=sar.status(today),
            due_on=sar.due() if sar.open else None,
            extension_months=sar.extension_months,
            decisions=len(sar.decisions),
            issued_at=sar.issued_at,
            version=sar.version,
        )


_RANK = {"overdue": 0, "open": 1, "awaiting_identity": 2, "stopped": 2}


def queue(found: Iterable[SarOut]) -> list[SarOut]:
    """The queue's order: overdue first, then open by due date, then those waiting for
    identity or clarification; then the issued and closed, newest first."""
    ordered = sorted(found, key=lambda s: s.received_on, reverse=True)
    return sorted(ordered, key=lambda s: (_RANK.get(s.status, 3), s.due_on or date.max))


class SarsOut(BaseModel):
    items: list[SarOut] = Field(description="Overdue first, then by due date; closed last.")


class ItemOut(BaseModel):
    """One item for the reviewer: what it is, what it would release, and where it appears."""

    item: str
    describes: str
    value: str | None = Field(description="What releasing it would show (for the reviewer).")
    context: list[str] = Field(description="Where it appears in what is released.")
    default: SarDecision
    decision: SarDecision
    ground: WithholdGround | None
    ground_text: str | None
    decided_by: str | None

    @classmethod
    def of(cls, item: Item) -> ItemOut:
        assert item.decision is not None
        return cls(
            item=item.id,
            describes=item.describes,
            value=item.value,
            context=item.context,
            default=item.default,
            decision=item.decision,
            ground=item.ground,
            ground_text=None if item.ground is None else GROUND_TEXT[item.ground],
            decided_by=item.decided_by,
        )


class LineOut(BaseModel):
    label: str
    text: str
    item: str | None


class RecordOut(BaseModel):
    case_id: UUID
    reference: str
    version: int
    kind: str
    occurred_at: datetime
    event_hash: str
    by: str
    lines: list[LineOut]


class DraftCaseOut(BaseModel):
    case_id: UUID
    reference: str
    roles: list[str]
    category: str
    channel: str
    closed_on: date | None
    sources: list[str]
    retention: str


class SarDraftOut(BaseModel):
    """The request and its draft response as it would be issued now."""

    sar: SarOut
    details: dict[str, str | None] = Field(description="The person's record in the register.")
    cases: list[DraftCaseOut]
    records: list[RecordOut]
    recipients: int = Field(description="Shares and referrals of the person's data.")
    accesses: int = Field(description="Consultations of the person's data.")
    items: list[ItemOut] = Field(description="Withheld items first.")

    @classmethod
    def of(cls, sar: SubjectAccessRequest, draft: Draft, today: date) -> SarDraftOut:
        return cls(
            sar=SarOut.of(sar, today),
            details=draft.register,
            cases=[
                DraftCaseOut(
                    case_id=c.case_id,
                    reference=c.reference,
                    roles=c.roles,
                    category=c.category,
                    channel=c.channel,
                    closed_on=c.closed_on,
                    sources=c.contributors,
                    retention=c.retention,
                )
                for c in draft.cases
            ],
            records=[
                RecordOut(
                    case_id=r.case_id,
                    reference=r.reference,
                    version=r.version,
                    kind=r.kind,
                    occurred_at=r.occurred_at,
                    event_hash=r.event_hash,
                    by=r.by,
                    lines=[LineOut(label=x.label, text=x.text, item=x.item) for x in r.lines],
                )
                for r in draft.records
            ],
            recipients=len(draft.recipients),
            accesses=len(draft.accesses),
            items=[
                ItemOut.of(i)
                for i in sorted(draft.items.values(), key=lambda i: (i.released, i.id))
            ],
        )


class IssuedOut(BaseModel):
    sar: SarOut
    folder: str = Field(description="Where the response was written (report.html, bundle.json).")
    report_sha256: str
    bundle_sha256: str
    released: int
    withheld: int
