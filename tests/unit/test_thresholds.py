"""Every cumulative-harm threshold (DOMAIN §2) at, just below and just above its figure, and
the settings they come from. Pure: a frozen ``NOW``, incidents built in memory."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from ledger.enums import HarmIndicator, RiskLevel, Vulnerability
from ledger.harm import cumulative_harm
from ledger.harm_model import FlagName, Harm, IncidentFact, Trend
from ledger.thresholds import RiskThresholds, Timescales

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
RULES = RiskThresholds()
CASE = uuid4()
T = HarmIndicator.TARGETED
H = HarmIndicator.HATE_MOTIVATED
V = HarmIndicator.VIOLENCE_OR_THREAT
D = HarmIndicator.DAMAGE_TO_PROPERTY
VULNERABLE = (Vulnerability.DISABILITY,)


def inc(days_ago: float, *harms: HarmIndicator, seconds: int = 0) -> IncidentFact:
    """An incident ``days_ago`` days (plus ``seconds``) before NOW."""
    return IncidentFact(
        incident_id=uuid4(),
        case_id=CASE,
        occurred_at=NOW - timedelta(days=days_ago) + timedelta(seconds=seconds),
        harms=frozenset(harms),
        criminal=False,
    )


def harm_of(
    incidents: list[IncidentFact],
    *,
    vulnerable: bool = False,
    declared: bool = False,
    rules: RiskThresholds = RULES,
) -> Harm:
    return cumulative_harm(
        incidents,
        now=NOW,
        rules=rules,
        vulnerabilities=VULNERABLE if vulnerable else (),
        self_declared_repeat=declared,
    )


def fired(harm: Harm) -> dict[str, tuple[UUID, ...]]:
    return {e.rule: e.incident_ids for e in harm.escalations}


def flags(harm: Harm) -> dict[FlagName, tuple[UUID, ...]]:
    return {f.name: f.incident_ids for f in harm.flags}


def spread(count: int, *harms: HarmIndicator, every: float = 31.0) -> list[IncidentFact]:
    """``count`` incidents ``every`` days apart (no two in one 30-day window by default)."""
    return [inc(1 + i * every, *harms) for i in range(count)]


# ------------------------------------------------------------------ the settings


def test_the_defaults_are_domain_section_2_and_3() -> None:
    r = RiskThresholds()
    assert r.windows == (7, 30, 90)
    assert (r.repeat_window_days, r.repeat_min_incidents) == (365, 2)
    assert (r.campaign_window_days, r.campaign_min_targeted) == (90, 2)
    assert (r.high_window_days, r.high_min_incidents) == (30, 3)
    assert (r.high_targeted_window_days, r.high_min_targeted) == (90, 2)
    assert (r.medium_window_days, r.medium_min_incidents) == (30, 2)
    assert (r.medium_vulnerable_window_days, r.medium_vulnerable_min_incidents) == (90, 2)
    assert r.high_violence_vulnerable_window_days == 90
    assert r.trend_window_days == 30
    t = Timescales()
    assert [t.first_contact_days(level) for level in RiskLevel] == [10, 3, 1]
    assert [t.review_interval(level).days for level in RiskLevel] == [56, 28, 14]
    assert (t.first_contact_days(None), t.review_interval(None).days) == (10, 56)
    assert (t.police_referral, t.timezone) == (1, "Europe/London")


def test_settings_come_from_asb_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASB_RISK_HIGH_MIN_INCIDENTS", "4")
    monkeypatch.setenv("ASB_RISK_WINDOWS", "[30, 7, 14]")
    monkeypatch.setenv("ASB_TIMESCALE_REVIEW_HIGH", "7")
    monkeypatch.setenv("ASB_TIMESCALE_FIRST_CONTACT_MEDIUM", "2")
    assert RiskThresholds().high_min_incidents == 4
    assert RiskThresholds().windows == (7, 14, 30)
    assert Timescales().review_interval(RiskLevel.HIGH) == timedelta(days=7)
    assert Timescales().first_contact_days(RiskLevel.MEDIUM) == 2


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        (RiskThresholds, {"high_min_incidents": 0}),
        (RiskThresholds, {"windows": ()}),
        (RiskThresholds, {"windows": (0, 30)}),
        (RiskThresholds, {"trend_window_days": 0}),
        (Timescales, {"review_high": 0}),
        (Timescales, {"first_contact_high": -1}),
        (Timescales, {"timezone": "Mars/Olympus_Mons"}),
    ],
)
def test_nonsense_settings_are_refused(kind: type, values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        kind(**values)


def test_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        RULES.high_min_incidents = 1  # type: ignore[misc]


def test_a_threshold_changed_in_settings_changes_the_judgement_at_once() -> None:
    three = [inc(1), inc(2), inc(3)]
    assert "high.incidents" in fired(harm_of(three))
    stricter = RiskThresholds(high_min_incidents=4)
    assert "high.incidents" not in fired(harm_of(three, rules=stricter))
    assert "high.incidents" in fired(harm_of([*three, inc(4)], rules=stricter))


# ------------------------------------------------------------------ escalate to high


@pytest.mark.parametrize(("count", "high"), [(2, False), (3, True), (4, True)])
def test_high_at_three_incidents_in_30_days(count: int, high: bool) -> None:
    incidents = [inc(1 + 9 * i) for i in range(count)]  # all within 28 days
    harm = harm_of(incidents)
    assert ("high.incidents" in fired(harm)) is high
    assert harm.indicated is (RiskLevel.HIGH if high else RiskLevel.MEDIUM)
    if high:
        assert set(fired(harm)["high.incidents"]) == {i.incident_id for i in incidents}


@pytest.mark.parametrize(("seconds", "high"), [(0, False), (1, True)])
def test_the_30_day_window_ends_just_after_30_days_ago(seconds: int, high: bool) -> None:
    oldest = inc(30, seconds=seconds)  # exactly 30 days ago is outside; a second later, in
    harm = harm_of([inc(1), inc(2), oldest])
    assert ("high.incidents" in fired(harm)) is high


def test_incidents_dated_after_now_do_not_count() -> None:
    harm = harm_of([inc(1), inc(2), inc(-1)])
    assert "high.incidents" not in fired(harm)
    assert dict(harm.counts)[30] == 2


@pytest.mark.parametrize(
    ("incidents", "high"),
    [
        ([inc(40, T, H)], False),  # one targeted, hate-motivated: below two
        ([inc(40, T, H), inc(80, T)], True),  # two targeted, one hate
        ([inc(40, T), inc(80, T, V)], True),  # two targeted, one violent
        ([inc(40, T, H), inc(80, T), inc(10, T)], True),  # three
        ([inc(40, T), inc(80, T, D)], False),  # two targeted, neither hate nor violent
        ([inc(40, T), inc(80, T), inc(60, H)], False),  # the hate one was not targeted
        ([inc(40, T, H), inc(90, T)], False),  # the second is exactly 90 days old: outside
        ([inc(40, T, H), inc(90, T, seconds=1)], True),  # a second inside the window
    ],
)
def test_high_at_two_targeted_in_90_days_one_hate_or_violent(
    incidents: list[IncidentFact], high: bool
) -> None:
    harm = harm_of(incidents)
    assert ("high.targeted" in fired(harm)) is high
    if high:
        targeted = {
            i.incident_id
            for i in incidents
            if T in i.harms and i.occurred_at > NOW - timedelta(days=90)
        }
        assert set(fired(harm)["high.targeted"]) == targeted


@pytest.mark.parametrize(
    ("incident", "vulnerable", "high"),
    [
        (inc(5, V), True, True),
        (inc(5, V), False, False),  # not vulnerable
        (inc(5, T, H), True, False),  # no violence or threat
        (inc(90, V), True, False),  # exactly 90 days ago: outside
        (inc(90, V, seconds=1), True, True),
    ],
)
def test_high_for_violence_or_threat_against_a_vulnerable_victim(
    incident: IncidentFact, vulnerable: bool, high: bool
) -> None:
    harm = harm_of([incident], vulnerable=vulnerable)
    assert ("high.violence_against_vulnerable" in fired(harm)) is high
    assert (harm.indicated is RiskLevel.HIGH) is high
    if high:
        assert fired(harm)["high.violence_against_vulnerable"] == (incident.incident_id,)


# ------------------------------------------------------------------ escalate to medium


@pytest.mark.parametrize(("count", "medium"), [(1, False), (2, True), (3, True)])
def test_medium_at_two_incidents_in_30_days(count: int, medium: bool) -> None:
    harm = harm_of([inc(1 + 10 * i) for i in range(count)])
    assert ("medium.incidents" in fired(harm)) is medium
    assert harm.indicated is (
        None if not medium else RiskLevel.MEDIUM if count < 3 else RiskLevel.HIGH
    )


@pytest.mark.parametrize(("seconds", "medium"), [(0, False), (1, True)])
def test_the_medium_window_edge(seconds: int, medium: bool) -> None:
    harm = harm_of([inc(1), inc(30, seconds=seconds)])
    assert ("medium.incidents" in fired(harm)) is medium


@pytest.mark.parametrize(
    ("incidents", "vulnerable", "medium"),
    [
        (spread(1), True, False),  # the first incident alone
        (spread(2), True, True),  # a further incident (31 days apart: not the count rule)
        (spread(3, every=40), True, True),
        (spread(2), False, False),  # not vulnerable
        ([inc(1), inc(90)], True, False),  # the first is exactly 90 days old
        ([inc(1), inc(90, seconds=1)], True, True),
    ],
)
def test_medium_for_a_vulnerable_victim_with_a_further_incident(
    incidents: list[IncidentFact], vulnerable: bool, medium: bool
) -> None:
    harm = harm_of(incidents, vulnerable=vulnerable)
    assert ("medium.vulnerable_further_incident" in fired(harm)) is medium
    assert "medium.incidents" not in fired(harm)
    assert (harm.indicated is RiskLevel.MEDIUM) is medium


def test_no_incidents_indicate_nothing() -> None:
    harm = harm_of([], vulnerable=True, declared=True)
    assert harm.escalations == ()
    assert harm.indicated is None
    assert [count for _, count in harm.counts] == [0, 0, 0]


# ------------------------------------------------------------------ flags


@pytest.mark.parametrize(("count", "repeat"), [(1, False), (2, True), (3, True)])
def test_repeat_victim_at_more_than_one_incident_in_12_months(count: int, repeat: bool) -> None:
    incidents = spread(count, every=100)
    harm = harm_of(incidents)
    assert (FlagName.REPEAT_VICTIM in flags(harm)) is repeat
    if repeat:
        assert set(flags(harm)[FlagName.REPEAT_VICTIM]) == {i.incident_id for i in incidents}


@pytest.mark.parametrize(("seconds", "repeat"), [(0, False), (1, True)])
def test_the_repeat_window_edge(seconds: int, repeat: bool) -> None:
    harm = harm_of([inc(1), inc(365, seconds=seconds)])
    assert (FlagName.REPEAT_VICTIM in flags(harm)) is repeat


def test_a_victim_who_says_they_are_a_repeat_victim_is_one() -> None:
    harm = harm_of([], declared=True)
    assert flags(harm) == {FlagName.REPEAT_VICTIM: ()}
    (flag,) = harm.flags
    assert "says they are a repeat victim" in flag.detail


@pytest.mark.parametrize(("count", "campaign"), [(1, False), (2, True), (3, True)])
def test_a_targeted_campaign_at_two_targeted_incidents_in_90_days(
    count: int, campaign: bool
) -> None:
    incidents = [*spread(count, T, every=35), inc(2, D)]
    harm = harm_of(incidents)
    assert (FlagName.TARGETED_CAMPAIGN in flags(harm)) is campaign
    assert harm.targeted_count == count
    if campaign:
        assert set(flags(harm)[FlagName.TARGETED_CAMPAIGN]) == {
            i.incident_id for i in incidents if T in i.harms
        }


@pytest.mark.parametrize(("seconds", "campaign"), [(0, False), (1, True)])
def test_the_campaign_window_edge(seconds: int, campaign: bool) -> None:
    harm = harm_of([inc(1, T), inc(90, T, seconds=seconds)])
    assert (FlagName.TARGETED_CAMPAIGN in flags(harm)) is campaign


@pytest.mark.parametrize(
    ("harm_indicator", "flag"),
    [(H, FlagName.HATE_MOTIVATED), (V, FlagName.VIOLENCE_OR_THREAT)],
)
@pytest.mark.parametrize(
    ("count", "seconds", "raised"), [(0, 1, False), (1, 0, False), (1, 1, True), (2, 1, True)]
)
def test_hate_and_violence_flags_name_their_incidents_in_90_days(
    harm_indicator: HarmIndicator, flag: FlagName, count: int, seconds: int, raised: bool
) -> None:
    named = [inc(90 - 20 * i, harm_indicator, seconds=seconds) for i in range(count)]
    harm = harm_of([*named, inc(3, D)])
    assert (flag in flags(harm)) is raised
    if raised:
        assert flags(harm)[flag] == tuple(i.incident_id for i in named)


@pytest.mark.parametrize(
    ("harm_indicator", "flag", "one", "two"),
    [
        (
            H,
            FlagName.HATE_MOTIVATED,
            "1 hate-motivated incident in 90 days",
            "2 hate-motivated incidents in 90 days",
        ),
        (
            V,
            FlagName.VIOLENCE_OR_THREAT,
            "1 incident with violence or threat in 90 days",
            "2 incidents with violence or threat in 90 days",
        ),
    ],
)
def test_hate_and_violence_flags_count_their_incidents_in_plain_english(
    harm_indicator: HarmIndicator, flag: FlagName, one: str, two: str
) -> None:
    def detail(count: int) -> str:
        harm = harm_of([inc(10 + i, harm_indicator) for i in range(count)])
        return {f.name: f.detail for f in harm.flags}[flag]

    assert (detail(1), detail(2)) == (one, two)


def test_vulnerability_is_a_flag_naming_the_codes() -> None:
    harm = cumulative_harm(
        [],
        now=NOW,
        rules=RULES,
        vulnerabilities=(Vulnerability.LIVING_ALONE, Vulnerability.AGE),
    )
    (flag,) = harm.flags
    assert (flag.name, flag.detail, flag.incident_ids) == (
        FlagName.VULNERABLE,
        "vulnerable: age, living_alone",
        (),
    )
    assert harm.vulnerable
    assert not harm_of([]).vulnerable


# ------------------------------------------------------------------ windows and trend


def test_rolling_window_counts() -> None:
    harm = harm_of([inc(1), inc(6.9), inc(7), inc(29), inc(31), inc(89), inc(100)])
    assert harm.counts == ((7, 2), (30, 4), (90, 6))


@pytest.mark.parametrize(
    ("recent", "previous", "trend"),
    [
        (2, 1, Trend.ESCALATING),
        (1, 1, Trend.STABLE),
        (0, 0, Trend.STABLE),
        (1, 2, Trend.REDUCING),
    ],
)
def test_trend_is_the_last_30_days_against_the_30_before(
    recent: int, previous: int, trend: Trend
) -> None:
    incidents = [inc(1 + i) for i in range(recent)] + [inc(31 + i) for i in range(previous)]
    incidents.append(inc(60))  # exactly 60 days old: in neither window
    harm = harm_of(incidents)
    assert (harm.trend, harm.trend_recent, harm.trend_previous) == (trend, recent, previous)


def test_the_trend_boundary_belongs_to_the_earlier_window() -> None:
    harm = harm_of([inc(30)])  # exactly 30 days ago: the previous window
    assert (harm.trend, harm.trend_recent, harm.trend_previous) == (Trend.REDUCING, 0, 1)


# ------------------------------------------------------------------ timescales


@pytest.mark.parametrize(
    ("received", "level", "due"),
    [
        # Monday 2 March 2026
        (datetime(2026, 3, 2, 9, tzinfo=UTC), RiskLevel.HIGH, date(2026, 3, 3)),
        (datetime(2026, 3, 2, 9, tzinfo=UTC), RiskLevel.MEDIUM, date(2026, 3, 5)),
        (datetime(2026, 3, 2, 9, tzinfo=UTC), RiskLevel.STANDARD, date(2026, 3, 16)),
        (datetime(2026, 3, 2, 9, tzinfo=UTC), None, date(2026, 3, 16)),
        # Friday: the weekend does not count
        (datetime(2026, 3, 6, 16, tzinfo=UTC), RiskLevel.HIGH, date(2026, 3, 9)),
        # Thursday before Easter: Good Friday and Easter Monday are bank holidays
        (datetime(2026, 4, 2, 9, tzinfo=UTC), RiskLevel.HIGH, date(2026, 4, 7)),
        # 23:30 UTC in June is 00:30 the next day in London (BST)
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), RiskLevel.HIGH, date(2026, 7, 2)),
    ],
)
def test_first_contact_due_in_working_days_from_receipt(
    received: datetime, level: RiskLevel | None, due: date
) -> None:
    assert Timescales().first_contact_due(received, level) == due


def test_police_referral_due_one_working_day_after_recording() -> None:
    t = Timescales()
    assert t.police_referral_due(datetime(2026, 3, 6, 10, tzinfo=UTC)) == date(2026, 3, 9)
    assert t.police_referral_due(datetime(2026, 12, 24, 10, tzinfo=UTC)) == date(2026, 12, 29)
    assert Timescales(police_referral=2).police_referral_due(
        datetime(2026, 3, 2, 10, tzinfo=UTC)
    ) == date(2026, 3, 4)


def test_the_default_review_is_the_levels_interval_from_a_date() -> None:
    t = Timescales()
    since = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert t.review_due(since, RiskLevel.HIGH) == date(2026, 3, 16)
    assert t.review_due(since, RiskLevel.MEDIUM) == date(2026, 3, 30)
    assert t.review_due(since, None) == date(2026, 4, 27)
