"""Response models of cumulative-harm risk: figures, flags, escalations and judgements."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from ledger.harm_model import AssessmentFact, Escalation, Flag, Harm, Judgement
from projections.risk.model import CaseRisk, VictimRisk


class FlagOut(BaseModel):
    name: str = Field(examples=["targeted_campaign"])
    detail: str = Field(examples=["2 targeted incidents in 90 days"])
    incident_ids: list[UUID] = Field(description="The incidents that raised it")

    @classmethod
    def of(cls, flag: Flag) -> FlagOut:
        return cls(name=flag.name.value, detail=flag.detail, incident_ids=list(flag.incident_ids))


class EscalationOut(BaseModel):
    rule: str = Field(examples=["high.incidents"])
    level: str
    reason: str = Field(examples=["4 incidents in 30 days (high at 3)"])
    incident_ids: list[UUID]

    @classmethod
    def of(cls, found: Escalation) -> EscalationOut:
        return cls(
            rule=found.rule,
            level=found.level.value,
            reason=found.reason,
            incident_ids=list(found.incident_ids),
        )


class WindowOut(BaseModel):
    days: int
    incidents: int


class HarmOut(BaseModel):
    """Cumulative harm at ``as_of``: windows are the days up to that moment."""

    windows: list[WindowOut]
    repeat_window_incidents: int = Field(description="Incidents in the repeat-victim window")
    targeted: int
    hate_motivated: int
    violence_or_threat: int
    trend: str = Field(examples=["escalating"])
    trend_recent: int
    trend_previous: int
    vulnerable: bool
    vulnerabilities: list[str]
    self_declared_repeat_victim: bool
    flags: list[FlagOut]
    escalations: list[EscalationOut]

    @classmethod
    def of(cls, harm: Harm) -> HarmOut:
        return cls(
            windows=[WindowOut(days=d, incidents=n) for d, n in harm.counts],
            repeat_window_incidents=harm.repeat_count,
            targeted=harm.targeted_count,
            hate_motivated=harm.hate_count,
            violence_or_threat=harm.violence_count,
            trend=harm.trend.value,
            trend_recent=harm.trend_recent,
            trend_previous=harm.trend_previous,
            vulnerable=harm.vulnerable,
            vulnerabilities=sorted(v.value for v in harm.vulnerabilities),
            self_declared_repeat_victim=harm.self_declared_repeat,
            flags=[FlagOut.of(f) for f in harm.flags],
            escalations=[EscalationOut.of(e) for e in harm.escalations],
        )


class AssessedOut(BaseModel):
    instrument: str
    instrument_version: int
    score: int
    computed_level: str
    level: str
    overridden: bool
    assessed_at: datetime
    victim_ref: UUID | None
    on_this_case: bool

    @classmethod
    def of(cls, fact: AssessmentFact, case_id: UUID | None) -> AssessedOut:
        return cls(
            instrument=fact.instrument,
            instrument_version=fact.instrument_version,
            score=fact.score,
            computed_level=fact.computed_level.value,
            level=fact.level.value,
            overridden=fact.overridden,
            assessed_at=fact.assessed_at,
            victim_ref=fact.victim_ref,
            on_this_case=fact.case_id == case_id,
        )


class JudgementOut(BaseModel):
    assessed: AssessedOut | None = Field(description="The last assessment (None: none)")
    derived_level: str
    escalated: bool = Field(description="Cumulative harm indicates more than the assessed level")
    reassessment_due: bool
    reassessment_reasons: list[str]
    summary: str | None = Field(
        examples=[
            "4 incidents in 30 days, 2 targeted in 90 days, victim vulnerable:"
            " last assessed standard, now indicates high"
        ]
    )

    @classmethod
    def of(cls, judged: Judgement, case_id: UUID | None) -> JudgementOut:
        return cls(
            assessed=None if judged.assessed is None else AssessedOut.of(judged.assessed, case_id),
            derived_level=judged.derived_level.value,
            escalated=judged.escalated,
            reassessment_due=judged.reassessment_due,
            reassessment_reasons=list(judged.reassessment_reasons),
            summary=judged.summary,
        )


class VictimRiskOut(BaseModel):
    """A victim of the case, judged on their incidents across all their cases."""

    person_ref: UUID
    cases: int = Field(description="Cases they are a victim on, this one included")
    harm: HarmOut
    judgement: JudgementOut

    @classmethod
    def of(cls, victim: VictimRisk, case_id: UUID) -> VictimRiskOut:
        return cls(
            person_ref=victim.person_ref,
            cases=victim.cases,
            harm=HarmOut.of(victim.harm),
            judgement=JudgementOut.of(victim.judgement, case_id),
        )


class CaseRiskOut(BaseModel):
    as_of: datetime = Field(description="The moment the rolling windows end")
    case_id: UUID
    reference: str
    status: str
    version: int = Field(description="The case version the view had reached")
    harm: HarmOut
    judgement: JudgementOut
    victims: list[VictimRiskOut]

    @classmethod
    def of(cls, risk: CaseRisk, as_of: datetime) -> CaseRiskOut:
        return cls(
            as_of=as_of,
            case_id=risk.case_id,
            reference=risk.reference,
            status=risk.status,
            version=risk.version,
            harm=HarmOut.of(risk.harm),
            judgement=JudgementOut.of(risk.judgement, risk.case_id),
            victims=[VictimRiskOut.of(v, risk.case_id) for v in risk.victims],
        )


class RiskListItemOut(BaseModel):
    """A case's risk in a list: no person references."""

    case_id: UUID
    reference: str
    team: str | None
    officer: str | None
    version: int
    assessed_level: str | None
    derived_level: str
    escalated: bool
    reassessment_due: bool
    reassessment_reasons: list[str]
    summary: str | None

    @classmethod
    def of(cls, risk: CaseRisk) -> RiskListItemOut:
        judged = risk.judgement
        return cls(
            case_id=risk.case_id,
            reference=risk.reference,
            team=risk.team,
            officer=risk.officer,
            version=risk.version,
            assessed_level=None if judged.assessed is None else judged.assessed.level.value,
            derived_level=judged.derived_level.value,
            escalated=judged.escalated,
            reassessment_due=judged.reassessment_due,
            reassessment_reasons=list(judged.reassessment_reasons),
            summary=judged.summary,
        )


class RiskListOut(BaseModel):
    as_of: datetime
    items: list[RiskListItemOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")
