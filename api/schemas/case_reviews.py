"""Response models of the ASB Case Review (Community Trigger) threshold: problems, complaints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from projections.case_reviews.model import CaseReviewStatus, Complaint, Finding

Sees = Callable[[Complaint], bool]
"""Whether the caller may see a complaint's case: complaints on others are shown without
the case's id, reference and incidents."""


class ComplaintOut(BaseModel):
    """A qualifying complaint counted towards the threshold."""

    case_id: UUID | None = Field(description="None: a case you may not see")
    reference: str | None = Field(examples=["ASB-2026-000123"])
    kind: str = Field(examples=["opening"], description="opening (the case's) or incident")
    made_at: datetime
    behaviour_at: datetime | None = Field(
        description="When the behaviour it reports happened (None: undated, taken as made_at)"
    )
    incident_ids: list[UUID]

    @classmethod
    def of(cls, complaint: Complaint, sees: Sees) -> ComplaintOut:
        shown = sees(complaint)
        return cls(
            case_id=complaint.case_id if shown else None,
            reference=complaint.reference if shown else None,
            kind=complaint.kind.value,
            made_at=complaint.made_at,
            behaviour_at=complaint.behaviour_at,
            incident_ids=list(complaint.incident_ids) if shown else [],
        )


class ProblemOut(BaseModel):
    """One problem the case is part of, judged: the case itself, or cases sharing a key."""

    kind: str = Field(examples=["alleged_perpetrator"], description="case or alleged_perpetrator")
    key: str = Field(description="The case id, or the alleged perpetrator's person ref")
    met_by: list[str] = Field(examples=[["complaints"]], description="complaints, individuals")
    approaching: bool = Field(description="One more qualifying complaint would meet it")
    complaints: list[ComplaintOut]
    individuals: int = Field(description="Different people among the complaints counted")

    @classmethod
    def of(cls, finding: Finding, sees: Sees) -> ProblemOut:
        return cls(
            kind=finding.kind.value,
            key=finding.key,
            met_by=sorted(rule.value for rule in finding.met_by),
            approaching=finding.approaching,
            complaints=[ComplaintOut.of(c, sees) for c in finding.complaints],
            individuals=finding.individuals,
        )


class CaseReviewFlagOut(BaseModel):
    """A case's ASB Case Review threshold at ``as_of``."""

    eligible: bool = Field(description="Met on a problem of the case, and no review requested")
    approaching: bool = Field(description="One qualifying complaint short, none requested")
    met: bool = Field(description="Met, whether or not a review has been requested")
    requested: bool = Field(description="An ASB Case Review has been requested on the case")
    problems: list[ProblemOut]

    @classmethod
    def of(cls, status: CaseReviewStatus, sees: Sees) -> CaseReviewFlagOut:
        return cls(
            eligible=status.eligible,
            approaching=status.approaching,
            met=bool(status.met),
            requested=status.case.requested,
            problems=[ProblemOut.of(f, sees) for f in status.findings],
        )


class CaseReviewItemOut(BaseModel):
    case_id: UUID
    reference: str = Field(examples=["ASB-2026-000123"])
    status: str = Field(examples=["open"])
    team: str | None
    officer: str | None
    version: int
    flag: CaseReviewFlagOut

    @classmethod
    def of(cls, status: CaseReviewStatus, sees: Sees) -> CaseReviewItemOut:
        case = status.case
        return cls(
            case_id=case.case_id,
            reference=case.reference,
            status=case.status,
            team=case.team,
            officer=case.officer,
            version=case.version,
            flag=CaseReviewFlagOut.of(status, sees),
        )


class CaseReviewListOut(BaseModel):
    as_of: datetime
    items: list[CaseReviewItemOut]
    next_cursor: str | None
