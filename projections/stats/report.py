"""What the analyst statistics publish: the view's rows with small numbers suppressed, repeat
victims under dataset pseudonyms, a page at a time.

Every function takes rows read from the view (``queries.py``) and ``threshold`` (``None``:
counts as they are, for the analysts' own team) and gives the figures as published; the API
only shapes them (``api/schemas/stats.py``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from projections.stats.model import (
    INCIDENT_BANDS,
    SUPPRESSION_THRESHOLD,
    CaseTimes,
    Count,
    Durations,
    IncidentTypeRow,
    MonthRow,
    VictimFigures,
    VictimRow,
    band_of,
    columns,
    one,
    pseudonym,
    summarise,
    suppress,
)

RISK_LEVELS = ("high", "medium", "standard", "not_assessed")


@dataclass(frozen=True)
class Suppression:
    """How small numbers were treated in an answer."""

    applied: bool
    threshold: int

    @classmethod
    def of(cls, threshold: int | None) -> Suppression:
        return cls(applied=threshold is not None, threshold=threshold or SUPPRESSION_THRESHOLD)


def _total(count: int, threshold: int | None) -> Count:
    return count if threshold is None else one(count, threshold)


def _shown(counts: list[int], threshold: int | None) -> list[Count]:
    return list(counts) if threshold is None else suppress(counts, threshold)


@dataclass(frozen=True)
class Month:
    month: str
    opened: Count
    closed: Count
    incidents: Count


@dataclass(frozen=True)
class CasesByMonth:
    items: list[Month]
    suppression: Suppression


def cases_by_month(rows: Sequence[MonthRow], threshold: int | None) -> CasesByMonth:
    """Cases opened, closed and incidents by month, each column suppressed on its own."""
    table = columns([(r.opened, r.closed, r.incidents) for r in rows], threshold)
    return CasesByMonth(
        items=[
            Month(r.month, opened, closed, incidents)
            for r, (opened, closed, incidents) in zip(rows, table, strict=True)
        ],
        suppression=Suppression.of(threshold),
    )


@dataclass(frozen=True)
class CountBy:
    value: str
    cases: Count


@dataclass(frozen=True)
class CasesBy:
    by: str
    items: list[CountBy]
    total: Count
    suppression: Suppression


def cases_by(by: str, counts: dict[str, int], threshold: int | None) -> CasesBy:
    """Cases by one dimension's values, with their total."""
    shown = _shown(list(counts.values()), threshold)
    return CasesBy(
        by=by,
        items=[CountBy(value, cases) for value, cases in zip(counts, shown, strict=True)],
        total=_total(sum(counts.values()), threshold),
        suppression=Suppression.of(threshold),
    )


@dataclass(frozen=True)
class IncidentType:
    incident_type: str
    incidents: Count
    criminal: Count
    targeted: Count
    hate_motivated: Count
    violence_or_threat: Count


@dataclass(frozen=True)
class IncidentsByType:
    items: list[IncidentType]
    total: Count
    suppression: Suppression


def incidents_by_type(rows: Sequence[IncidentTypeRow], threshold: int | None) -> IncidentsByType:
    """Incidents by type with their harm flags, each column suppressed on its own."""
    table = columns(
        [
            (r.incidents, r.criminal, r.targeted, r.hate_motivated, r.violence_or_threat)
            for r in rows
        ],
        threshold,
    )
    return IncidentsByType(
        items=[
            IncidentType(r.incident_type, *counts) for r, counts in zip(rows, table, strict=True)
        ],
        total=_total(sum(r.incidents for r in rows), threshold),
        suppression=Suppression.of(threshold),
    )


@dataclass(frozen=True)
class Closure:
    reason: str
    cases: Count
    median_days_to_resolution: float | None


@dataclass(frozen=True)
class Closures:
    items: list[Closure]
    total: Count
    suppression: Suppression


def closures(times: Sequence[CaseTimes], threshold: int | None) -> Closures:
    """Closed cases by closure reason, with the median days from receipt to closure."""
    by_reason = _grouped(times, lambda t: t.closure_reason)
    reasons = sorted(by_reason)
    shown = _shown([len(by_reason[r]) for r in reasons], threshold)
    items = []
    for reason, count in zip(reasons, shown, strict=True):
        seconds = [t.to_resolution for t in by_reason[reason] if t.to_resolution is not None]
        items.append(Closure(reason, count, summarise(seconds, threshold).median_days))
    return Closures(
        items=items, total=_total(len(times), threshold), suppression=Suppression.of(threshold)
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


@dataclass(frozen=True)
class Timescale:
    overall: Durations
    by_risk_level: dict[str, Durations]


@dataclass(frozen=True)
class Timescales:
    first_contact: Timescale
    resolution: Timescale
    awaiting_first_contact: Count
    open_cases: Count
    suppression: Suppression


def _timescale(
    times: Sequence[CaseTimes], pick: Callable[[CaseTimes], int | None], threshold: int | None
) -> Timescale:
    def durations(group: Iterable[CaseTimes]) -> Durations:
        return summarise([s for s in map(pick, group) if s is not None], threshold)

    return Timescale(
        overall=durations(times),
        by_risk_level={
            level: durations(t for t in times if t.risk_level == level) for level in RISK_LEVELS
        },
    )


def timescales(times: Sequence[CaseTimes], threshold: int | None) -> Timescales:
    """Days to first contact and to resolution, overall and by risk level."""
    return Timescales(
        first_contact=_timescale(times, lambda t: t.to_first_contact, threshold),
        resolution=_timescale(times, lambda t: t.to_resolution, threshold),
        awaiting_first_contact=_total(
            sum(1 for t in times if t.to_first_contact is None), threshold
        ),
        open_cases=_total(sum(1 for t in times if t.closure_reason is None), threshold),
        suppression=Suppression.of(threshold),
    )


@dataclass(frozen=True, kw_only=True)
class RepeatVictim(VictimFigures):
    """One repeat victim, known only by a pseudonym that holds within one dataset."""

    pseudonym: str


@dataclass(frozen=True)
class Band:
    incidents: str
    victims: Count


@dataclass(frozen=True)
class RepeatVictims:
    dataset: str
    items: list[RepeatVictim]
    next_cursor: str | None
    distribution: list[Band]
    suppression: Suppression


def repeat_victims(
    dataset: str,
    key: bytes,
    victims: Sequence[VictimRow],
    *,
    cursor: str | None,
    limit: int,
    threshold: int | None,
) -> RepeatVictims:
    """The repeat victims after ``cursor`` (a pseudonym), in pseudonym order, under the
    dataset's ``key``; and every victim counted by the incidents naming them, suppressed."""
    rows = sorted(((pseudonym(key, v.token), v) for v in victims if v.repeat), key=lambda r: r[0])
    after = [(p, v) for p, v in rows if cursor is None or p > cursor]
    page = after[:limit]
    bands = Counter(band_of(v.incidents) for v in victims)
    labels = ["0", *(label for label, _, _ in INCIDENT_BANDS)]
    shown = _shown([bands.get(label, 0) for label in labels], threshold)
    return RepeatVictims(
        dataset=dataset,
        items=[RepeatVictim(pseudonym=p, **_figures(v)) for p, v in page],
        next_cursor=page[-1][0] if len(after) > limit else None,
        distribution=[Band(label, count) for label, count in zip(labels, shown, strict=True)],
        suppression=Suppression.of(threshold),
    )


def _figures(victim: VictimRow) -> dict[str, Any]:
    """A victim's figures, without their token."""
    return {f.name: getattr(victim, f.name) for f in fields(VictimFigures)}
