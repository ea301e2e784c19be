"""Request and response models of legal holds: references and codes, never personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from api.schemas.base import Body
from ledger.enums import Category, HoldLiftReason, HoldReason, HoldScopeKind
from ledger.holds import REFERENCE, LegalHold

MatterReference = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=REFERENCE.pattern)
]


class HoldIn(Body):
    """A legal hold: exactly one of ``case``, ``person_ref`` and ``category``, a reason code
    and the matter's reference."""

    case: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="A case id or reference: that case is held.",
        examples=["ASB-2026-000123"],
    )
    person_ref: UUID | None = Field(
        default=None, description="A registered person: every record of theirs is held."
    )
    category: Category | None = Field(
        default=None, description="A case category: every case of it is held (an inquiry)."
    )
    reason: HoldReason = Field(examples=["litigation"])
    reference: MatterReference = Field(
        description="The matter's own reference (a claim number, the inquiry's or the"
        " regulator's case reference): letters, digits and / . _ : - without spaces, never"
        " a name.",
        examples=["KB-2026-000123"],
    )


class LiftIn(Body):
    reason: HoldLiftReason = Field(examples=["concluded"])


class HoldScopeOut(BaseModel):
    kind: HoldScopeKind
    case_id: UUID | None
    person_ref: UUID | None
    category: Category | None


class HoldOut(BaseModel):
    """A legal hold, in force (``active``) or lifted."""

    hold_id: UUID
    scope: HoldScopeOut
    reason: HoldReason
    reference: str
    placed_at: datetime
    placed_by: str = Field(description="The DPO's staff id.")
    active: bool
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: HoldLiftReason | None
    version: int

    @classmethod
    def of(cls, hold: LegalHold) -> HoldOut:
        return cls(
            hold_id=hold.id,
            scope=HoldScopeOut(
                kind=hold.scope.kind,
                case_id=hold.scope.case_id,
                person_ref=hold.scope.person_ref,
                category=hold.scope.category,
            ),
            reason=hold.reason,
            reference=hold.reference,
            placed_at=hold.placed_at,
            placed_by=hold.placed_by.user_id,
            active=hold.active,
            lifted_at=hold.lifted_at,
            lifted_by=None if hold.lifted_by is None else hold.lifted_by.user_id,
            lift_reason=hold.lift_reason,
            version=hold.version,
        )


class HoldRecordedOut(HoldOut):
    position: int = Field(description="The event's position in the ledger.")

    @classmethod
    def recorded(cls, hold: LegalHold, position: int) -> HoldRecordedOut:
        return cls(**HoldOut.of(hold).model_dump(), position=position)


class HoldsOut(BaseModel):
    items: list[HoldOut] = Field(description="Holds in force first, then lifted; newest first.")
