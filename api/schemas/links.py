"""Cases linked by a person or a place, and the cases at an address."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field, model_validator

from api.schemas.base import PlaceIn
from projections.risk.model import LinkedCase, LinkReason


class LinkReasonOut(BaseModel):
    kind: str = Field(description="person or place", examples=["person"])
    person_ref: UUID | None = Field(description="The person both cases name (after merges)")
    role_here: str | None = Field(examples=["victim"])
    role_there: str | None = Field(examples=["complainant"])
    place: str | None = Field(
        description="The shared place: uprn:<digits>, or addr:<keyed hash> (never an address)"
    )

    @classmethod
    def of(cls, reason: LinkReason) -> LinkReasonOut:
        return cls(
            kind=reason.kind,
            person_ref=reason.person_ref,
            role_here=reason.role_here,
            role_there=reason.role_there,
            place=reason.place,
        )


class LinkedCaseOut(BaseModel):
    case_id: UUID
    reference: str
    status: str
    reasons: list[LinkReasonOut]

    @classmethod
    def of(cls, case: LinkedCase) -> LinkedCaseOut:
        return cls(
            case_id=case.case_id,
            reference=case.reference,
            status=case.status,
            reasons=[LinkReasonOut.of(r) for r in case.reasons],
        )


class LinksOut(BaseModel):
    case_id: UUID
    links: list[LinkedCaseOut] = Field(description="Linked cases the caller may see, oldest first")
    other_links: int = Field(description="Linked cases the caller may not see")


class PlaceSearchIn(PlaceIn):
    """The place sought: its UPRN, or its address (postcode and house number or name)."""

    @model_validator(mode="after")
    def _something(self) -> PlaceSearchIn:
        if not (self.uprn or "").strip() and not (self.address or "").strip():
            raise ValueError("give a uprn or an address")
        return self


class CasesAtOut(BaseModel):
    place: str = Field(description="The place as the ledger holds it (never the address)")
    cases: list[LinkedCaseOut]
    other_cases: int = Field(description="Cases there the caller may not see")
