"""Response models of the analyst statistics: counts after suppression, durations, pseudonyms."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from projections.stats_model import (
    INCIDENT_BANDS,
    SUPPRESSION_THRESHOLD,
    CaseTimes,
    Count,
    Durations,
    IncidentTypeRow,
    MonthRow,
    VictimRow,
    band_of,
    columns,
    one,
    pseudonym,
    summarise,
    suppress,
)

CountOut = int | Literal["<5", "suppressed"]
RISK_LEVELS = ("high", "medium", "standard", "not_assessed")


class SuppressionOut(BaseModel):
    """How small numbers were treated in this answer."""

    applied: bool
    threshold: int = Field(
        description='Counts from 1 to threshold - 1 are shown as "<5"; where a list hides'
        ' one count, its next smallest count is shown as "suppressed" so the hidden one'
        " cannot be worked out from a total. Medians and percentiles of fewer cases than"
        " the threshold are null."
    )

    @classmethod
    def of(cls, threshold: int | None) -> SuppressionOut:
        return cls(applied=threshold is not None, threshold=threshold or SUPPRESSION_THRESHOLD)


def _total(count: int, threshold: int | None) -> Count:
    return count if threshold is None else one(count, threshold)


class MonthOut(BaseModel):
    month: str = Field(examples=["2026-03"])
    opened: CountOut
    closed: CountOut
    incidents: CountOut


class CasesByMonthOut(BaseModel):
    """Cases opened, cases closed (their latest closure) and incidents, by month."""

    items: list[MonthOut]
    suppression: SuppressionOut

    @classmethod
    def of(cls, rows: Sequence[MonthRow], threshold: int | None) -> CasesByMonthOut:
        table = columns([(r.opened, r.closed, r.incidents) for r in rows], threshold)
        return cls(
            items=[
                MonthOut(month=r.month, opened=o, closed=c, incidents=i)
                for r, (o, c, i) in zip(rows, table, strict=True)
            ],
            suppression=SuppressionOut.of(threshold),
        )


class CountByOut(BaseModel):
    value: str = Field(examples=["personal"])
    cases: CountOut


class CasesByOut(BaseModel):
    """Cases opened in the range, counted by one dimension."""

    by: str
    items: list[CountByOut]
    total: CountOut
    suppression: SuppressionOut

    @classmethod
    def of(cls, by: str, counts: dict[str, int], threshold: int | None) -> CasesByOut:
        shown = _shown(list(counts.values()), threshold)
        return cls(
            by=by,
            items=[CountByOut(value=v, cases=c) for v, c in zip(counts, shown, strict=True)],
            total=_total(sum(counts.values()), threshold),
            suppression=SuppressionOut.of(threshold),
        )


def _shown(counts: list[int], threshold: int | None) -> list[Count]:
    return list(counts) if threshold is None else suppress(counts, threshold)


class IncidentTypeOut(BaseModel):
    incident_type: str = Field(examples=["noise"])
    incidents: CountOut
    criminal: CountOut
    targeted: CountOut
    hate_motivated: CountOut
    violence_or_threat: CountOut


class IncidentsByTypeOut(BaseModel):
    """Incidents that occurred in the range, by type, with the harm flags counted."""

    items: list[IncidentTypeOut]
    total: CountOut
    suppression: SuppressionOut

    @classmethod
    def of(cls, rows: Sequence[IncidentTypeRow], threshold: int | None) -> IncidentsByTypeOut:
        table = columns(
            [
                (r.incidents, r.criminal, r.targeted, r.hate_motivated, r.violence_or_threat)
                for r in rows
            ],
            threshold,
        )
        return cls(
            items=[
                IncidentTypeOut(
                    incident_type=r.incident_type,
                    incidents=n,
                    criminal=criminal,
                    targeted=targeted,
                    hate_motivated=hate,
                    violence_or_threat=violence,
                )
                for r, (n, criminal, targeted, hate, violence) in zip(rows, table, strict=True)
            ],
            total=_total(sum(r.incidents for r in rows), threshold),
            suppression=SuppressionOut.of(threshold),
        )


class DurationOut(BaseModel):
    """Calendar days, over a group of cases; buckets are [low, high) days."""

    cases: CountOut
    median_days: float | None
    p90_days: float | None
    buckets: dict[str, CountOut]

    @classmethod
    def of(cls, found: Durations) -> DurationOut:
        return cls(
            cases=found.n,
            median_days=found.median_days,
            p90_days=found.p90_days,
            buckets=found.buckets,
        )


class ClosureOut(BaseModel):
    reason: str = Field(examples=["resolved"])
    cases: CountOut
    median_days_to_resolution: float | None


class ClosuresOut(BaseModel):
    """Cases whose latest closure fell in the range (and are still closed), by reason."""

    items: list[ClosureOut]
    total: CountOut
    suppression: SuppressionOut

    @classmethod
    def of(cls, times: Sequence[CaseTimes], threshold: int | None) -> ClosuresOut:
        by_reason = _grouped(times, lambda t: t.closure_reason)
        reasons = sorted(by_reason)
        shown = _shown([len(by_reason[r]) for r in reasons], threshold)
        items = []
        for reason, count in zip(reasons, shown, strict=True):
            seconds = [t.to_resolution for t in by_reason[reason] if t.to_resolution is not None]
            items.append(
                ClosureOut(
                    reason=reason,
                    cases=count,
                    median_days_to_resolution=summarise(seconds, threshold).median_days,
                )
            )
        return cls(
            items=items,
            total=_total(len(times), threshold),
            suppression=SuppressionOut.of(threshold),
        )


def _grouped(
    times: Iterable[CaseTimes], key: Callable[[CaseTimes], str | None]
) -> dict[str, list[CaseTimes]]:
    found: dict[str, list[CaseTimes]] = {}
    for t in times:
        k = key(t)
        if k is not None:
            found.setdefault(k, []).append(t)
    return found


class TimescaleOut(BaseModel):
    overall: DurationOut
    by_risk_level: dict[str, DurationOut] = Field(
        description="By the latest assessed risk level (not_assessed: none yet)."
    )

    @classmethod
    def of(
        cls,
        times: Sequence[CaseTimes],
        pick: Callable[[CaseTimes], int | None],
        threshold: int | None,
    ) -> TimescaleOut:
        def durations(group: Iterable[CaseTimes]) -> DurationOut:
            seconds = [s for s in map(pick, group) if s is not None]
            return DurationOut.of(summarise(seconds, threshold))

        return cls(
            overall=durations(times),
            by_risk_level={
                level: durations(t for t in times if t.risk_level == level) for level in RISK_LEVELS
            },
        )


class TimescalesOut(BaseModel):
    """For cases opened in the range: days from receipt to the first contact made with a
    victim or the complainant (reached, or a letter or email sent), and to the latest
    closure of the cases now closed."""

    first_contact: TimescaleOut
    resolution: TimescaleOut
    awaiting_first_contact: CountOut = Field(description="Cases with no contact made yet.")
    open_cases: CountOut
    suppression: SuppressionOut

    @classmethod
    def of(cls, times: Sequence[CaseTimes], threshold: int | None) -> TimescalesOut:
        return cls(
            first_contact=TimescaleOut.of(times, lambda t: t.to_first_contact, threshold),
            resolution=TimescaleOut.of(times, lambda t: t.to_resolution, threshold),
            awaiting_first_contact=_total(
                sum(1 for t in times if t.to_first_contact is None), threshold
            ),
            open_cases=_total(sum(1 for t in times if t.closure_reason is None), threshold),
            suppression=SuppressionOut.of(threshold),
        )


class RepeatVictimOut(BaseModel):
    """One repeat victim, known only by a pseudonym that holds within this dataset."""

    pseudonym: str = Field(examples=["3f9c0e5b7a1d2c4e6f8a0b1c"])
    cases: int
    incidents: int
    targeted: int
    hate_motivated: int
    self_declared: bool = Field(description="The victim said they are a repeat victim.")
    first_incident_month: str | None
    last_incident_month: str | None


class BandOut(BaseModel):
    incidents: str = Field(examples=["3-4"], description="Incidents naming the victim.")
    victims: CountOut


class RepeatVictimsOut(BaseModel):
    """Victims with more than one incident or case, or who say they are repeat victims.
    Rows are record-level and not for publication; the distribution is suppressed."""

    dataset: str
    items: list[RepeatVictimOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")
    distribution: list[BandOut] = Field(description="Every victim, by incidents naming them.")
    suppression: SuppressionOut

    @classmethod
    def of(
        cls,
        dataset: str,
        key: bytes,
        victims: Sequence[VictimRow],
        *,
        cursor: str | None,
        limit: int,
        threshold: int | None,
    ) -> RepeatVictimsOut:
        rows = sorted(
            ((pseudonym(key, v.token), v) for v in victims if v.repeat), key=lambda pv: pv[0]
        )
        after = [(p, v) for p, v in rows if cursor is None or p > cursor]
        page = after[:limit]
        bands = Counter(band_of(v.incidents) for v in victims)
        labels = ["0", *(label for label, _, _ in INCIDENT_BANDS)]
        shown = _shown([bands.get(label, 0) for label in labels], threshold)
        return cls(
            dataset=dataset,
            items=[
                RepeatVictimOut(
                    pseudonym=p,
                    cases=v.cases,
                    incidents=v.incidents,
                    targeted=v.targeted,
                    hate_motivated=v.hate_motivated,
                    self_declared=v.self_declared,
                    first_incident_month=v.first_incident_month,
                    last_incident_month=v.last_incident_month,
                )
                for p, v in page
            ],
            next_cursor=page[-1][0] if len(after) > limit else None,
            distribution=[
                BandOut(incidents=label, victims=count)
                for label, count in zip(labels, shown, strict=True)
            ],
            suppression=SuppressionOut.of(threshold),
        )
