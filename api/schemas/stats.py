"""Response models of the analyst statistics: the shapes of what ``projections/stats/report.py``
publishes (counts after suppression, durations, pseudonyms), read from its dataclasses."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CountOut = int | Literal["<5", "suppressed"]


class Published(BaseModel):
    """A response model read from the statistics' published dataclasses."""

    model_config = ConfigDict(from_attributes=True)


class SuppressionOut(Published):
    """How small numbers were treated in this answer."""

    applied: bool
    threshold: int = Field(
        description='Counts from 1 to threshold - 1 are shown as "<5"; where a list hides'
        ' one count, its next smallest count is shown as "suppressed" so the hidden one'
        " cannot be worked out from a total. Medians and percentiles of fewer cases than"
        " the threshold are null."
    )


class MonthOut(Published):
    month: str = Field(examples=["2026-03"])
    opened: CountOut
    closed: CountOut
    incidents: CountOut


class CasesByMonthOut(Published):
    """Cases opened, cases closed (their latest closure) and incidents, by month."""

    items: list[MonthOut]
    suppression: SuppressionOut


class CountByOut(Published):
    value: str = Field(examples=["personal"])
    cases: CountOut


class CasesByOut(Published):
    """Cases opened in the range, counted by one dimension."""

    by: str
    items: list[CountByOut]
    total: CountOut
    suppression: SuppressionOut


class IncidentTypeOut(Published):
    incident_type: str = Field(examples=["noise"])
    incidents: CountOut
    criminal: CountOut
    targeted: CountOut
    hate_motivated: CountOut
    violence_or_threat: CountOut


class IncidentsByTypeOut(Published):
    """Incidents that occurred in the range, by type, with the harm flags counted."""

    items: list[IncidentTypeOut]
    total: CountOut
    suppression: SuppressionOut


class DurationOut(Published):
    """Calendar days, over a group of cases; buckets are [low, high) days."""

    cases: CountOut
    median_days: float | None
    p90_days: float | None
    buckets: dict[str, CountOut]


class ClosureOut(Published):
    reason: str = Field(examples=["resolved"])
    cases: CountOut
    median_days_to_resolution: float | None


class ClosuresOut(Published):
    """Cases whose latest closure fell in the range (and are still closed), by reason."""

    items: list[ClosureOut]
    total: CountOut
    suppression: SuppressionOut


class TimescaleOut(Published):
    overall: DurationOut
    by_risk_level: dict[str, DurationOut] = Field(
        description="By the latest assessed risk level (not_assessed: none yet)."
    )


class TimescalesOut(Published):
    """For cases opened in the range: days from receipt to the first contact made with a
    victim or the complainant (reached, or a letter or email sent), and to the latest
    closure of the cases now closed."""

    first_contact: TimescaleOut
    resolution: TimescaleOut
    awaiting_first_contact: CountOut = Field(description="Cases with no contact made yet.")
    open_cases: CountOut
    suppression: SuppressionOut


class RepeatVictimOut(Published):
    """One repeat victim, known only by a pseudonym that holds within this dataset."""

    pseudonym: str = Field(examples=["3f9c0e5b7a1d2c4e6f8a0b1c"])
    cases: int
    incidents: int
    targeted: int
    hate_motivated: int
    self_declared: bool = Field(description="The victim said they are a repeat victim.")
    first_incident_month: str | None
    last_incident_month: str | None


class BandOut(Published):
    incidents: str = Field(examples=["3-4"], description="Incidents naming the victim.")
    victims: CountOut


class RepeatVictimsOut(Published):
    """Victims with more than one incident or case, or who say they are repeat victims.
    Rows are record-level and not for publication; the distribution is suppressed."""

    dataset: str
    items: list[RepeatVictimOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")
    distribution: list[BandOut] = Field(description="Every victim, by incidents naming them.")
    suppression: SuppressionOut
