"""Cumulative harm, judged at a moment: pure functions over stored incidents and assessments.

The risk view stores facts (incidents, people, assessments); these functions turn them into
figures at query time against an injected ``now``, so rolling windows never go stale and a
changed threshold needs no rebuild; the closure rule judges a case's own incidents with the
same functions. Nothing here reads a clock or the database. The thresholds themselves are
in ``ledger.thresholds``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from uuid import UUID

from ledger.enums import HarmIndicator, RiskLevel, Vulnerability
from ledger.harm_model import (
    AssessmentFact,
    Escalation,
    Flag,
    FlagName,
    Harm,
    IncidentFact,
    Judgement,
    Trend,
    highest,
)
from ledger.thresholds import RiskThresholds, Timescales


def _ids(incidents: Iterable[IncidentFact]) -> tuple[UUID, ...]:
    return tuple(i.incident_id for i in incidents)


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {plural or word + 's'}"


def cumulative_harm(
    incidents: Iterable[IncidentFact],
    *,
    now: datetime,
    rules: RiskThresholds,
    vulnerabilities: Iterable[Vulnerability] = (),
    self_declared_repeat: bool = False,
    who: str = "victim",
) -> Harm:
    """Counts, flags and escalations of ``incidents`` at ``now``.

    A window of ``d`` days holds the incidents with ``now - d < occurred_at <= now``;
    incidents dated after ``now`` are not counted. ``who`` names the subject in reasons.
    """
    past = sorted(
        (i for i in incidents if i.occurred_at <= now),
        key=lambda i: (i.occurred_at, str(i.incident_id)),
    )

    def within(days: int, items: Sequence[IncidentFact] = past) -> list[IncidentFact]:
        try:
            start = now - timedelta(days=days)
        except OverflowError:  # a window reaching back before the year 1 holds them all
            return list(items)
        return [i for i in items if i.occurred_at > start]

    def having(harm: HarmIndicator, items: Sequence[IncidentFact]) -> list[IncidentFact]:
        return [i for i in items if harm in i.harms]

    vulnerable = frozenset(vulnerabilities)
    repeat = within(rules.repeat_window_days)
    targeted = having(HarmIndicator.TARGETED, within(rules.campaign_window_days))
    flagged = within(rules.flag_window_days)
    hate = having(HarmIndicator.HATE_MOTIVATED, flagged)
    violence = having(HarmIndicator.VIOLENCE_OR_THREAT, flagged)
    recent = within(rules.trend_window_days)
    previous = [i for i in within(2 * rules.trend_window_days) if i not in recent]
    trend = (
        Trend.ESCALATING
        if len(recent) > len(previous)
        else Trend.REDUCING
        if len(recent) < len(previous)
        else Trend.STABLE
    )

    flags: list[Flag] = []
    if len(repeat) >= rules.repeat_min_incidents or self_declared_repeat:
        said = " and says they are a repeat victim" if self_declared_repeat else ""
        flags.append(
            Flag(
                name=FlagName.REPEAT_VICTIM,
                detail=f"{_plural(len(repeat), 'incident')} in {rules.repeat_window_days} days"
                + said,
                incident_ids=_ids(repeat) if len(repeat) >= rules.repeat_min_incidents else (),
            )
        )
    if len(targeted) >= rules.campaign_min_targeted:
        flags.append(
            Flag(
                name=FlagName.TARGETED_CAMPAIGN,
                detail=f"{_plural(len(targeted), 'targeted incident')}"
                f" in {rules.campaign_window_days} days",
                incident_ids=_ids(targeted),
            )
        )
    for name, found, one, many in (
        (FlagName.HATE_MOTIVATED, hate, "hate-motivated incident", None),
        (
            FlagName.VIOLENCE_OR_THREAT,
            violence,
            "incident with violence or threat",
            "incidents with violence or threat",
        ),
    ):
        if found:
            flags.append(
                Flag(
                    name=name,
                    detail=f"{_plural(len(found), one, many)} in {rules.flag_window_days} days",
                    incident_ids=_ids(found),
                )
            )
    if vulnerable:
        flags.append(
            Flag(
                name=FlagName.VULNERABLE,
                detail="vulnerable: " + ", ".join(sorted(v.value for v in vulnerable)),
            )
        )

    return Harm(
        counts=tuple((days, len(within(days))) for days in rules.windows),
        high_window_count=len(within(rules.high_window_days)),
        repeat_count=len(repeat),
        targeted_count=len(targeted),
        hate_count=len(hate),
        violence_count=len(violence),
        trend=trend,
        trend_recent=len(recent),
        trend_previous=len(previous),
        vulnerabilities=vulnerable,
        self_declared_repeat=self_declared_repeat,
        flags=tuple(flags),
        escalations=_escalations(within, rules, vulnerable=bool(vulnerable), who=who),
    )


def _escalations(
    within: Callable[..., list[IncidentFact]], rules: RiskThresholds, *, vulnerable: bool, who: str
) -> tuple[Escalation, ...]:
    found: list[Escalation] = []

    def escalate(rule: str, level: RiskLevel, incidents: list[IncidentFact], reason: str) -> None:
        found.append(
            Escalation(rule=rule, level=level, reason=reason, incident_ids=_ids(incidents))
        )

    many = within(rules.high_window_days)
    if len(many) >= rules.high_min_incidents:
        escalate(
            "high.incidents",
            RiskLevel.HIGH,
            many,
            f"{_plural(len(many), 'incident')} in {rules.high_window_days} days"
            f" (high at {rules.high_min_incidents})",
        )
    targeted = [
        i for i in within(rules.high_targeted_window_days) if HarmIndicator.TARGETED in i.harms
    ]
    serious = {HarmIndicator.HATE_MOTIVATED, HarmIndicator.VIOLENCE_OR_THREAT}
    if len(targeted) >= rules.high_min_targeted and any(serious & i.harms for i in targeted):
        escalate(
            "high.targeted",
            RiskLevel.HIGH,
            targeted,
            f"{_plural(len(targeted), 'targeted incident')}"
            f" in {rules.high_targeted_window_days} days, at least one hate-motivated"
            f" or with violence or threat (high at {rules.high_min_targeted})",
        )
    violent = [
        i
        for i in within(rules.high_violence_vulnerable_window_days)
        if HarmIndicator.VIOLENCE_OR_THREAT in i.harms
    ]
    if vulnerable and violent:
        escalate(
            "high.violence_against_vulnerable",
            RiskLevel.HIGH,
            violent,
            f"{_plural(len(violent), 'incident')} with violence or threat against a vulnerable"
            f" {who} in {rules.high_violence_vulnerable_window_days} days",
        )
    some = within(rules.medium_window_days)
    if len(some) >= rules.medium_min_incidents:
        escalate(
            "medium.incidents",
            RiskLevel.MEDIUM,
            some,
            f"{_plural(len(some), 'incident')} in {rules.medium_window_days} days"
            f" (medium at {rules.medium_min_incidents})",
        )
    further = within(rules.medium_vulnerable_window_days)
    if vulnerable and len(further) >= rules.medium_vulnerable_min_incidents:
        escalate(
            "medium.vulnerable_further_incident",
            RiskLevel.MEDIUM,
            further,
            f"a vulnerable {who} with {_plural(len(further), 'incident')}"
            f" in {rules.medium_vulnerable_window_days} days"
            f" (medium at {rules.medium_vulnerable_min_incidents})",
        )
    return tuple(found)


def facts_phrase(harm: Harm, rules: RiskThresholds, who: str) -> str:
    """The figures behind an escalation, in words."""
    parts = [f"{_plural(harm.high_window_count, 'incident')} in {rules.high_window_days} days"]
    if harm.targeted_count:
        parts.append(f"{harm.targeted_count} targeted in {rules.campaign_window_days} days")
    if harm.hate_count:
        parts.append(f"{harm.hate_count} hate-motivated")
    if harm.violence_count:
        parts.append(f"{harm.violence_count} with violence or threat")
    if harm.vulnerable:
        parts.append(f"{who} vulnerable")
    return ", ".join(parts)


def judge(
    harms: Sequence[tuple[str, Harm]],
    assessed: AssessmentFact | None,
    *,
    now: datetime,
    rules: RiskThresholds,
    timescales: Timescales,
    open_case: bool = True,
) -> Judgement:
    """Judges ``assessed`` against the harms (each named by who it concerns) at ``now``.

    The derived level is the assessed level raised to the highest level any rule indicates
    (an unassessed subject starts from standard). A reassessment is due, on an open case,
    when there is no assessment, when the derived level is above the assessed one, or
    when the assessment is older than its level's review interval.
    """
    base = assessed.level if assessed is not None else RiskLevel.STANDARD
    indicated = highest(h.indicated for _, h in harms)
    derived = highest((base, indicated)) or base
    escalated = indicated is not None and indicated.rank > base.rank
    reasons: list[str] = []
    if open_case:
        if assessed is None:
            reasons.append("no risk assessment recorded")
        if escalated:
            last = "no assessment" if assessed is None else f"last assessed {base.value}"
            reasons.append(f"cumulative harm indicates {derived.value}, above {last}")
        if assessed is not None:
            interval = timescales.review_interval(assessed.level)
            age = now - assessed.assessed_at
            if age > interval:
                reasons.append(
                    f"last assessed {age.days} days ago; a {assessed.level.value} assessment"
                    f" is reviewed every {interval.days} days"
                )
    summary = None
    if escalated:
        worst = max(harms, key=lambda pair: (pair[1].indicated or base).rank)
        last = "not yet assessed" if assessed is None else f"last assessed {base.value}"
        phrase = facts_phrase(worst[1], rules, worst[0])
        summary = f"{phrase}: {last}, now indicates {derived.value}"
    return Judgement(
        assessed=assessed,
        derived_level=derived,
        escalated=escalated,
        reassessment_due=bool(reasons),
        reassessment_reasons=tuple(reasons),
        summary=summary,
    )
