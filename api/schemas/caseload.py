"""Response models of the caseload: open cases, what is due on them, and counts by team."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from ledger.enums import RiskLevel
from projections.caseload.model import CaseloadEntry, CaseloadGroup, DueItem


class DueItemOut(BaseModel):
    """Something due on a case. Overdue from the day after ``due`` (council's timezone)."""

    kind: str = Field(
        examples=["first_contact"],
        description="first_contact, review, target_resolution, action, police_referral,"
        " case_review_acknowledgement, case_review_decision or case_review_outcome",
    )
    due: date
    overdue: bool
    days_overdue: int = Field(ge=0)
    ref: str | None = Field(
        default=None,
        description="The action id, the incident id of a police referral, or the request id"
        " of an ASB Case Review",
    )
    agreed: bool = Field(
        description="An agreed or set date (timescales, a review, an action), not a default"
    )

    @classmethod
    def of(cls, item: DueItem) -> DueItemOut:
        return cls(
            kind=item.kind.value,
            due=item.due,
            overdue=item.overdue,
            days_overdue=item.days_overdue,
            ref=item.ref,
            agreed=item.agreed,
        )


class CaseloadItemOut(BaseModel):
    """A case on the caseload: no personal data, only references, codes and dates."""

    case_id: UUID
    reference: str = Field(examples=["ASB-2026-000123"])
    lead_department: str
    team: str | None
    officer: str | None
    risk_level: str | None = Field(description="The last assessed level (None: not assessed)")
    derived_level: str | None = Field(
        default=None,
        description="The level cumulative harm indicates now, across the victims' cases"
        " (None: the risk view has not reached the case yet)",
    )
    received_at: datetime
    age_days: int
    version: int
    closed: bool = Field(
        default=False,
        description="A closed case, listed while an ASB Case Review on it is outstanding",
    )
    overdue: list[str] = Field(description="The kinds of item overdue, sorted")
    due: list[DueItemOut] = Field(description="Everything outstanding, soonest first")

    @classmethod
    def of(cls, entry: CaseloadEntry, derived: RiskLevel | None = None) -> CaseloadItemOut:
        f = entry.facts
        return cls(
            case_id=f.case_id,
            reference=f.reference,
            lead_department=f.lead_department.value,
            team=f.team,
            officer=f.officer,
            risk_level=None if f.risk_level is None else f.risk_level.value,
            derived_level=None if derived is None else derived.value,
            received_at=f.received_at,
            age_days=entry.age_days,
            version=f.version,
            closed=f.closed,
            overdue=sorted(kind.value for kind in entry.overdue),
            due=[DueItemOut.of(item) for item in entry.items],
        )


class CaseloadOut(BaseModel):
    as_of: datetime = Field(description="The moment due and overdue were judged against")
    items: list[CaseloadItemOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class CaseloadGroupOut(BaseModel):
    """Open cases of one lead department, team and officer."""

    lead_department: str
    team: str | None
    officer: str | None
    open: int
    closed_case_reviews: int = Field(
        description="Closed cases listed while an ASB Case Review on them is outstanding"
    )
    by_risk: dict[str, int] = Field(description="By assessed level, and 'unassessed' (open)")
    overdue_cases: int = Field(description="Cases with anything overdue (closed ones too)")
    overdue: dict[str, int] = Field(description="Cases with each kind of item overdue")
    oldest_age_days: int

    @classmethod
    def of(cls, group: CaseloadGroup) -> CaseloadGroupOut:
        return cls(
            lead_department=group.lead_department.value,
            team=group.team,
            officer=group.officer,
            open=group.open,
            closed_case_reviews=group.closed_case_reviews,
            by_risk=dict(group.by_risk),
            overdue_cases=group.overdue_cases,
            overdue={kind.value: count for kind, count in group.overdue},
            oldest_age_days=group.oldest_age_days,
        )


class CaseloadSummaryOut(BaseModel):
    as_of: datetime
    groups: list[CaseloadGroupOut]
