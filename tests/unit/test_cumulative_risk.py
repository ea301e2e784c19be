"""Judging cumulative harm against the assessed level: the derived level, its reasons, and when
a reassessment is due; per case and per victim across cases. Pure, with a frozen ``NOW``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from ledger.enums import HarmIndicator, PersonRole, RiskLevel, Vulnerability
from ledger.harm import cumulative_harm, judge
from ledger.harm_model import AssessmentFact, FlagName, Harm, IncidentFact, Judgement, latest
from ledger.thresholds import RiskThresholds, Timescales
from projections.risk.facts import Facts, Link, judge_cases

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
RULES = RiskThresholds()
TIMES = Timescales()
T = HarmIndicator.TARGETED


def inc(days_ago: float, *harms: HarmIndicator, case: UUID | None = None) -> IncidentFact:
    return IncidentFact(
        incident_id=uuid4(),
        case_id=case or uuid4(),
        occurred_at=NOW - timedelta(days=days_ago),
        harms=frozenset(harms),
        criminal=False,
    )


def assessed(
    level: RiskLevel,
    days_ago: float = 1,
    *,
    case: UUID | None = None,
    version: int = 5,
    victim: UUID | None = None,
    recorded_days_ago: float | None = None,
) -> AssessmentFact:
    return AssessmentFact(
        case_id=case or uuid4(),
        version=version,
        victim_ref=victim,
        instrument="asb-vra",
        instrument_version=1,
        score={RiskLevel.STANDARD: 4, RiskLevel.MEDIUM: 10, RiskLevel.HIGH: 18}[level],
        computed_level=level,
        level=level,
        overridden=False,
        assessed_at=NOW - timedelta(days=days_ago),
        recorded_at=NOW
        - timedelta(days=days_ago if recorded_days_ago is None else recorded_days_ago),
    )


def judged(
    incidents: list[IncidentFact],
    assessment: AssessmentFact | None,
    vulnerabilities: tuple[Vulnerability, ...] = (),
) -> tuple[Harm, Judgement]:
    harm = cumulative_harm(incidents, now=NOW, rules=RULES, vulnerabilities=vulnerabilities)
    return harm, judge([("victim", harm)], assessment, now=NOW, rules=RULES, timescales=TIMES)


# ------------------------------------------------------------------ the derived level


def test_the_example_of_the_issue_reads_as_it_should() -> None:
    incidents = [inc(1, T), inc(5, T), inc(9), inc(20)]
    harm, judgement = judged(
        incidents, assessed(RiskLevel.STANDARD), vulnerabilities=(Vulnerability.DISABILITY,)
    )
    assert judgement.derived_level is RiskLevel.HIGH
    assert judgement.escalated
    assert judgement.summary == (
        "4 incidents in 30 days, 2 targeted in 90 days, victim vulnerable:"
        " last assessed standard, now indicates high"
    )
    assert judgement.reassessment_due
    assert judgement.reassessment_reasons == (
        "cumulative harm indicates high, above last assessed standard",
    )
    reasons = {e.rule: e.reason for e in harm.escalations}
    assert reasons["high.incidents"] == "4 incidents in 30 days (high at 3)"
    assert reasons["medium.incidents"] == "4 incidents in 30 days (medium at 2)"


@pytest.mark.parametrize(
    ("level", "incidents", "derived", "escalated"),
    [
        (RiskLevel.STANDARD, 0, RiskLevel.STANDARD, False),
        (RiskLevel.STANDARD, 2, RiskLevel.MEDIUM, True),
        (RiskLevel.STANDARD, 3, RiskLevel.HIGH, True),
        (RiskLevel.MEDIUM, 2, RiskLevel.MEDIUM, False),
        (RiskLevel.MEDIUM, 3, RiskLevel.HIGH, True),
        (RiskLevel.HIGH, 0, RiskLevel.HIGH, False),  # cumulative harm never lowers a level
        (RiskLevel.HIGH, 3, RiskLevel.HIGH, False),
    ],
)
def test_the_derived_level_is_the_assessed_level_raised_by_cumulative_harm(
    level: RiskLevel, incidents: int, derived: RiskLevel, escalated: bool
) -> None:
    _, judgement = judged([inc(1 + i) for i in range(incidents)], assessed(level))
    assert (judgement.derived_level, judgement.escalated) == (derived, escalated)
    assert judgement.reassessment_due is escalated
    assert (judgement.summary is not None) is escalated


def test_an_unassessed_case_is_due_an_assessment_and_may_still_be_escalated() -> None:
    _, quiet = judged([], None)
    assert (quiet.derived_level, quiet.escalated) == (RiskLevel.STANDARD, False)
    assert quiet.reassessment_reasons == ("no risk assessment recorded",)
    _, busy = judged([inc(1), inc(2)], None)
    assert (busy.derived_level, busy.escalated) == (RiskLevel.MEDIUM, True)
    assert busy.summary == "2 incidents in 30 days: not yet assessed, now indicates medium"
    assert busy.reassessment_reasons == (
        "no risk assessment recorded",
        "cumulative harm indicates medium, above no assessment",
    )


# ------------------------------------------------------------------ reassessment by age


@pytest.mark.parametrize(
    ("level", "days"), [(RiskLevel.HIGH, 14), (RiskLevel.MEDIUM, 28), (RiskLevel.STANDARD, 56)]
)
@pytest.mark.parametrize(("extra", "due"), [(-1, False), (0, False), (1, True)])
def test_an_assessment_older_than_its_levels_review_interval_is_due_again(
    level: RiskLevel, days: int, extra: int, due: bool
) -> None:
    age = days + extra / 86400  # a second either side of the interval
    _, judgement = judged([], assessed(level, age))
    assert judgement.reassessment_due is due
    if due:
        assert judgement.reassessment_reasons == (
            f"last assessed {days} days ago; a {level.value} assessment is reviewed every"
            f" {days} days",
        )


def test_the_review_interval_is_a_setting() -> None:
    harm = cumulative_harm([], now=NOW, rules=RULES)
    old = assessed(RiskLevel.HIGH, 10)
    assert not judge(
        [("victim", harm)], old, now=NOW, rules=RULES, timescales=TIMES
    ).reassessment_due
    shorter = Timescales(review_high=7)
    assert judge([("victim", harm)], old, now=NOW, rules=RULES, timescales=shorter).reassessment_due


def test_a_closed_case_is_never_due_a_reassessment() -> None:
    harm = cumulative_harm([inc(1), inc(2), inc(3)], now=NOW, rules=RULES)
    judgement = judge(
        [("victim", harm)],
        assessed(RiskLevel.STANDARD, 100),
        now=NOW,
        rules=RULES,
        timescales=TIMES,
        open_case=False,
    )
    assert judgement.derived_level is RiskLevel.HIGH
    assert (judgement.reassessment_due, judgement.reassessment_reasons) == (False, ())


def test_the_latest_assessment_is_by_when_it_was_made_then_recorded() -> None:
    first = assessed(RiskLevel.HIGH, 10)
    second = assessed(RiskLevel.STANDARD, 5, recorded_days_ago=1)
    backdated = assessed(RiskLevel.MEDIUM, 7, recorded_days_ago=0)
    assert latest([first, backdated, second]) is second
    tie = assessed(RiskLevel.MEDIUM, 5, recorded_days_ago=0)
    assert latest([second, tie]) is tie
    assert latest([]) is None


# ------------------------------------------------------------------ cases and victims


def row(case_id: UUID, status: str = "open", version: int = 9) -> tuple[object, ...]:
    return (case_id, "ASB-2026-000001", status, "north", "cw-1", 1, version)


def test_a_victims_harm_spans_all_their_cases_and_raises_the_case() -> None:
    here, there = uuid4(), uuid4()
    victim, bystander = uuid4(), uuid4()
    own = inc(2, T, case=here)
    elsewhere = [inc(5, T, case=there), inc(9, case=there)]
    facts = Facts([row(here)])
    facts.incidents[here] = [own]
    facts.victims[here] = {victim, bystander}
    facts.assessments[here] = [assessed(RiskLevel.STANDARD, 3, case=here, version=4)]
    facts.victim_incidents[victim] = [own, *elsewhere]
    facts.links[victim] = [
        Link(
            case_id=there,
            person_ref=victim,
            role=PersonRole.VICTIM,
            vulnerabilities=frozenset({Vulnerability.MENTAL_HEALTH}),
            self_declared=False,
        )
    ]
    (risk,) = judge_cases(facts, now=NOW, rules=RULES, timescales=TIMES)

    # The case's own incidents: one, but its victim is vulnerable (known from another case).
    assert dict(risk.harm.counts)[30] == 1
    assert risk.harm.vulnerabilities == {Vulnerability.MENTAL_HEALTH}
    # The victim, across both cases: three incidents in 30 days.
    by_ref = {v.person_ref: v for v in risk.victims}
    mine = by_ref[victim]
    assert (dict(mine.harm.counts)[30], mine.cases) == (3, 2)
    assert mine.judgement.derived_level is RiskLevel.HIGH
    assert {f.name for f in mine.harm.flags} == {
        FlagName.REPEAT_VICTIM,
        FlagName.TARGETED_CAMPAIGN,
        FlagName.VULNERABLE,
    }
    assert set(
        dict((f.name, f.incident_ids) for f in mine.harm.flags)[FlagName.TARGETED_CAMPAIGN]
    ) == {
        own.incident_id,
        elsewhere[0].incident_id,
    }
    # With no assessment naming the victim, theirs is the case's own.
    assert mine.judgement.assessed == facts.assessments[here][0]
    assert by_ref[bystander].judgement.derived_level is RiskLevel.STANDARD
    assert by_ref[bystander].cases == 1
    # The case is raised by its victim's cumulative harm.
    assert risk.judgement.derived_level is RiskLevel.HIGH
    assert risk.judgement.escalated
    assert risk.judgement.reassessment_due
    assert risk.judgement.summary == (
        "3 incidents in 30 days, 2 targeted in 90 days, victim vulnerable:"
        " last assessed standard, now indicates high"
    )
    assert (risk.case_id, risk.version, risk.status) == (here, 9, "open")


def test_the_case_level_is_its_last_assessment_and_a_victims_is_their_own() -> None:
    here, there, victim = uuid4(), uuid4(), uuid4()
    facts = Facts([row(here)])
    facts.victims[here] = {victim}
    case_assessments = [
        assessed(RiskLevel.HIGH, 1, case=here, version=3),
        assessed(RiskLevel.STANDARD, 2, case=here, version=6, victim=uuid4()),  # later version
    ]
    facts.assessments[here] = case_assessments
    theirs = assessed(RiskLevel.MEDIUM, 4, case=there, version=2, victim=victim)
    facts.victim_assessments[victim] = [theirs]
    (risk,) = judge_cases(facts, now=NOW, rules=RULES, timescales=TIMES)
    assert risk.judgement.assessed == case_assessments[1]
    assert risk.victims[0].judgement.assessed == theirs


def test_a_case_without_victims_is_judged_on_its_own_incidents() -> None:
    here = uuid4()
    facts = Facts([row(here, status="closed")])
    facts.incidents[here] = [inc(1, case=here), inc(2, case=here)]
    (risk,) = judge_cases(facts, now=NOW, rules=RULES, timescales=TIMES)
    assert risk.victims == ()
    assert (risk.status, risk.judgement.derived_level) == ("closed", RiskLevel.MEDIUM)
    assert not risk.judgement.reassessment_due
