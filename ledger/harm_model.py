"""The facts cumulative harm is judged from, and what the judgement says (DOMAIN §2)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from uuid import UUID

from ledger.enums import HarmIndicator, RiskLevel, Vulnerability


class Trend(Enum):
    """Incidents in the last trend window against the window before it."""

    ESCALATING = "escalating"
    STABLE = "stable"
    REDUCING = "reducing"


class FlagName(Enum):
    REPEAT_VICTIM = "repeat_victim"
    TARGETED_CAMPAIGN = "targeted_campaign"
    HATE_MOTIVATED = "hate_motivated"
    VIOLENCE_OR_THREAT = "violence_or_threat"
    VULNERABLE = "vulnerable"


@dataclass(frozen=True, kw_only=True)
class IncidentFact:
    """One incident as the risk view stores it: references, a time, codes."""

    incident_id: UUID
    case_id: UUID
    occurred_at: datetime
    harms: frozenset[HarmIndicator]
    criminal: bool


@dataclass(frozen=True, kw_only=True)
class AssessmentFact:
    """One ``RiskAssessed`` event (the answers stay in the ledger)."""

    case_id: UUID
    version: int
    victim_ref: UUID | None
    instrument: str
    instrument_version: int
    score: int
    computed_level: RiskLevel
    level: RiskLevel
    overridden: bool
    assessed_at: datetime
    recorded_at: datetime


@dataclass(frozen=True, kw_only=True)
class Flag:
    """A flag and what raised it: the incidents (none for a declaration or vulnerability)."""

    name: FlagName
    detail: str
    incident_ids: tuple[UUID, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Escalation:
    """A cumulative-harm rule that fired: the level it indicates and the incidents behind it."""

    rule: str
    level: RiskLevel
    reason: str
    incident_ids: tuple[UUID, ...]


@dataclass(frozen=True, kw_only=True)
class Harm:
    """The cumulative harm of a set of incidents (a case's, or a victim's across cases)."""

    counts: tuple[tuple[int, int], ...]
    """(window in days, incidents in it), for each of the shown windows."""
    high_window_count: int
    """Incidents in the window of the 'high' count rule (the one reasons quote)."""
    repeat_count: int
    targeted_count: int
    hate_count: int
    violence_count: int
    trend: Trend
    trend_recent: int
    trend_previous: int
    vulnerabilities: frozenset[Vulnerability]
    self_declared_repeat: bool
    flags: tuple[Flag, ...]
    escalations: tuple[Escalation, ...]

    @property
    def vulnerable(self) -> bool:
        return bool(self.vulnerabilities)

    @property
    def indicated(self) -> RiskLevel | None:
        """The highest level any rule indicates, or None when none fired."""
        return highest(e.level for e in self.escalations)


@dataclass(frozen=True, kw_only=True)
class Judgement:
    """The assessed level against what cumulative harm indicates, and whether to reassess."""

    assessed: AssessmentFact | None
    derived_level: RiskLevel
    escalated: bool
    reassessment_due: bool
    reassessment_reasons: tuple[str, ...]
    summary: str | None
    """E.g. '4 incidents in 30 days, 2 targeted in 90 days, victim vulnerable: last assessed
    standard, now indicates high' (only when escalated)."""


def highest(levels: Iterable[RiskLevel | None]) -> RiskLevel | None:
    """The highest of some levels, or None when there are none."""
    found = [level for level in levels if level is not None]
    return max(found, key=lambda level: level.rank) if found else None


def latest(assessments: Iterable[AssessmentFact]) -> AssessmentFact | None:
    """The most recent assessment: by when it was made, then when it was recorded."""
    ordered = sorted(
        assessments, key=lambda a: (a.assessed_at, a.recorded_at, str(a.case_id), a.version)
    )
    return ordered[-1] if ordered else None
