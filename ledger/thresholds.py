"""Every figure cumulative harm and the timescales are judged by (DOMAIN §2, §3), as settings.

Two groups, each read from ``ASB_``-prefixed environment variables (or ``.env``):

- ``RiskThresholds`` (``ASB_RISK_*``): the cumulative-harm rules. Each escalation is a count
  of incidents in a rolling window of days before the moment asked about.
- ``Timescales`` (``ASB_TIMESCALE_*``): first contact and police referral due (working days,
  England and Wales), case review and reassessment intervals (calendar days), by risk level,
  and the ASB Case Review's acknowledgement, threshold decision and outcome (working days).
- ``CaseReviewThresholds`` (``ASB_CASE_REVIEW_*``): the ASB Case Review (Community Trigger)
  threshold (DOMAIN §4): qualifying complaints, individuals, the window and what qualifies.

The risk and caseload views read them at query time, so a changed setting needs no
rebuild; the ledger reads the risk thresholds once, for the closure rule.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.calendar import add_working_days
from ledger.enums import RiskLevel


class RiskThresholds(BaseSettings):
    """Cumulative harm (DOMAIN §2). Windows are ``(now - days, now]`` by ``occurred_at``."""

    model_config = SettingsConfigDict(
        env_prefix="ASB_RISK_", env_file=".env", extra="ignore", frozen=True
    )

    windows: tuple[int, ...] = Field(
        default=(7, 30, 90), description="Rolling windows (days) whose incident counts are shown"
    )
    repeat_window_days: int = Field(default=365, ge=1, le=3660)
    repeat_min_incidents: int = Field(
        default=2, ge=1, le=1000, description="Repeat victim: more than one incident in 12 months"
    )
    campaign_window_days: int = Field(default=90, ge=1, le=3660)
    campaign_min_targeted: int = Field(
        default=2, ge=1, le=1000, description="Targeted campaign: targeted incidents in window"
    )
    flag_window_days: int = Field(
        default=90, ge=1, le=3660, description="Window of the hate and violence flags"
    )
    high_window_days: int = Field(default=30, ge=1, le=3660)
    high_min_incidents: int = Field(
        default=3, ge=1, le=1000, description="High: 3 or more incidents in 30 days"
    )
    high_targeted_window_days: int = Field(default=90, ge=1, le=3660)
    high_min_targeted: int = Field(
        default=2,
        ge=1,
        le=1000,
        description="High: 2 or more targeted incidents in 90 days, one hate or violent",
    )
    high_violence_vulnerable_window_days: int = Field(
        default=90,
        ge=1,
        le=3660,
        description="High: an incident with violence or threat against a vulnerable victim"
        " within this many days (DOMAIN says 'any'; set it long to look back further)",
    )
    medium_window_days: int = Field(default=30, ge=1, le=3660)
    medium_min_incidents: int = Field(
        default=2, ge=1, le=1000, description="Medium: 2 or more incidents in 30 days"
    )
    medium_vulnerable_window_days: int = Field(default=90, ge=1, le=3660)
    medium_vulnerable_min_incidents: int = Field(
        default=2,
        ge=1,
        le=1000,
        description="Medium: a vulnerable victim with a further incident (a second in window)",
    )
    trend_window_days: int = Field(
        default=30, ge=1, le=3660, description="Trend: this window against the one before it"
    )

    @field_validator("windows")
    @classmethod
    def _windows(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(not 1 <= days <= 3660 for days in value):
            raise ValueError("windows are 1 to 3660 days")
        return tuple(sorted(set(value)))

    @property
    def longest_window_days(self) -> int:
        """How far back any rule looks: incidents older than this never count."""
        return max(
            *self.windows,
            self.repeat_window_days,
            self.campaign_window_days,
            self.flag_window_days,
            self.high_window_days,
            self.high_targeted_window_days,
            self.high_violence_vulnerable_window_days,
            self.medium_window_days,
            self.medium_vulnerable_window_days,
            2 * self.trend_window_days,
        )


class Timescales(BaseSettings):
    """When things are due (DOMAIN §3). Working days exclude weekends and England and Wales
    bank holidays; dates are taken in ``timezone`` (the council's)."""

    model_config = SettingsConfigDict(
        env_prefix="ASB_TIMESCALE_", env_file=".env", extra="ignore", frozen=True
    )

    first_contact_high: int = Field(default=1, ge=0, le=365, description="Working days")
    first_contact_medium: int = Field(default=3, ge=0, le=365, description="Working days")
    first_contact_standard: int = Field(default=10, ge=0, le=365, description="Working days")
    review_high: int = Field(default=14, ge=1, le=3660, description="Calendar days")
    review_medium: int = Field(default=28, ge=1, le=3660, description="Calendar days")
    review_standard: int = Field(default=56, ge=1, le=3660, description="Calendar days")
    police_referral: int = Field(
        default=1, ge=0, le=365, description="Working days after a criminal incident is recorded"
    )
    case_review_acknowledgement: int = Field(
        default=3, ge=0, le=365, description="Working days from an ASB Case Review request"
    )
    case_review_decision: int = Field(
        default=15, ge=0, le=365, description="Working days from the request to its decision"
    )
    case_review_outcome: int = Field(
        default=25, ge=0, le=365, description="Working days from the request to its outcome"
    )
    timezone: str = Field(default="Europe/London", description="Where due dates fall")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"no time zone {value!r}") from None
        return value

    def first_contact_days(self, level: RiskLevel | None) -> int:
        """Working days from receipt to first contact; an unassessed case counts as standard."""
        return {
            RiskLevel.HIGH: self.first_contact_high,
            RiskLevel.MEDIUM: self.first_contact_medium,
        }.get(level or RiskLevel.STANDARD, self.first_contact_standard)

    def review_interval(self, level: RiskLevel | None) -> timedelta:
        """Between case reviews, and the longest an assessment at ``level`` stays current."""
        days = {
            RiskLevel.HIGH: self.review_high,
            RiskLevel.MEDIUM: self.review_medium,
        }.get(level or RiskLevel.STANDARD, self.review_standard)
        return timedelta(days=days)

    def local_date(self, moment: datetime) -> date:
        """The council's calendar date of ``moment`` (an aware datetime)."""
        return moment.astimezone(ZoneInfo(self.timezone)).date()

    def first_contact_due(self, received_at: datetime, level: RiskLevel | None) -> date:
        return add_working_days(self.local_date(received_at), self.first_contact_days(level))

    def police_referral_due(self, recorded_at: datetime) -> date:
        return add_working_days(self.local_date(recorded_at), self.police_referral)

    def review_due(self, since: datetime, level: RiskLevel | None) -> date:
        """The default next review when none was set: ``since`` plus the level's interval."""
        return self.local_date(since) + self.review_interval(level)

    def case_review_due(self, received_at: datetime, days: int) -> date:
        """``days`` working days after an ASB Case Review request was received."""
        return add_working_days(self.local_date(received_at), days)


class CaseReviewThresholds(BaseSettings):
    """The ASB Case Review (Community Trigger) threshold (DOMAIN §4); councils set their own.

    A complaint *qualifies* if made within ``qualifying_months`` calendar months of the
    behaviour it reports. The threshold is met by ``complaints`` qualifying complaints about
    the same problem made within ``window_months`` calendar months, or by qualifying
    complaints from ``individuals`` different people about it in that window."""

    model_config = SettingsConfigDict(
        env_prefix="ASB_CASE_REVIEW_", env_file=".env", extra="ignore", frozen=True
    )

    complaints: int = Field(
        default=3, ge=1, le=1000, description="Qualifying complaints about one problem"
    )
    individuals: int = Field(
        default=5, ge=1, le=1000, description="Different people complaining about one problem"
    )
    window_months: int = Field(
        default=6, ge=1, le=120, description="Calendar months the complaints are counted over"
    )
    qualifying_months: int = Field(
        default=1, ge=1, le=120, description="A complaint qualifies within this many months"
    )


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` moved by whole calendar months (negative: back), on the same day of the
    month or the month's last day if it has no such day (31 January + 1 month: 28 or 29
    February), at the same time of day."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
