"""What the analyst statistics answer with: rows, small-number suppression, durations, pseudonyms.

Two layers keep subjects apart from their references:
- the view stores a *subject token* for each person, a one-way, domain-separated SHA-256
  of the person reference (so no reference, name or detail is ever in a view table);
- an answer shows a *dataset pseudonym*, HMAC-SHA256 of the token under a key derived from
  the master key and the dataset's label (``CaseLedger.pseudonym_key``), so the same person
  has unrelated pseudonyms in two datasets, and no one without the master key can link a
  pseudonym to a token or a reference.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

SUPPRESSION_THRESHOLD = 5
"""Counts from 1 to 4 are shown as ``"<5"`` (zero is shown: it discloses no one)."""

Suppressed = Literal["<5", "suppressed"]
Count = int | Suppressed
"""A published count: exact, ``"<5"`` (too small to publish), or ``"suppressed"`` (hidden
so that a ``"<5"`` beside it cannot be worked out from the total)."""

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
FIRST_MONTH, LAST_MONTH = "0001-01", "9999-12"
BUCKET_EDGES: tuple[int, ...] = (1, 3, 7, 14, 28, 56, 90, 180)
"""Duration buckets in calendar days: under 1, 1 to under 3, ..., 180 and over."""
BUCKETS: tuple[str, ...] = (
    *(f"{lo}-{hi}" for lo, hi in zip((0, *BUCKET_EDGES), BUCKET_EDGES, strict=False)),
    f"{BUCKET_EDGES[-1]}+",
)
INCIDENT_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("1", 1, 1),
    ("2", 2, 2),
    ("3-4", 3, 4),
    ("5-9", 5, 9),
    ("10+", 10, None),
)
_TOKEN_TAG = b"asb-ledger/stats-subject/v1\x00"
PSEUDONYM_HEX = 24
DAY = 86_400


def month_of(moment: datetime) -> str:
    """``YYYY-MM`` of a moment, in UTC; the year always four digits (``strftime("%Y")``
    gives ``188`` for the year 188 on glibc)."""
    at = moment.astimezone(UTC)
    return f"{at.year:04d}-{at.month:02d}"


def epoch(moment: datetime) -> int:
    """Whole seconds since the epoch (durations are subtracted in SQL on both stores)."""
    return int(moment.timestamp())


def subject_token(person_ref: UUID) -> str:
    """The view's stand-in for a person reference: one-way, and never shown to a caller."""
    return hashlib.sha256(_TOKEN_TAG + person_ref.bytes).hexdigest()[:32]


def pseudonym(key: bytes, token: str) -> str:
    """A subject's pseudonym in one dataset (``key`` from ``CaseLedger.pseudonym_key``)."""
    return hmac.new(key, token.encode("ascii"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]


def month_range(start: str | None, end: str | None) -> tuple[str, str]:
    """A ``YYYY-MM`` range (inclusive), open ends filled in; ValueError if malformed."""
    low, high = start or FIRST_MONTH, end or LAST_MONTH
    for value in (low, high):
        if not MONTH.match(value):
            raise ValueError(f"not a month (YYYY-MM): {value!r}")
    if low > high:
        raise ValueError("the range ends before it starts")
    return low, high


# ------------------------------------------------------------------ suppression


def suppress(counts: Sequence[int], threshold: int = SUPPRESSION_THRESHOLD) -> list[Count]:
    """Primary suppression (1 to ``threshold - 1`` become ``"<5"``) and secondary: when a
    list hides exactly one count, the smallest other non-zero count is hidden too, so that
    the hidden one cannot be recovered by subtracting the rest from a total."""
    shown: list[Count] = [c if c == 0 or c >= threshold else "<5" for c in counts]
    hidden = [i for i, c in enumerate(shown) if c == "<5"]
    if len(hidden) == 1:
        others = [i for i, c in enumerate(counts) if i != hidden[0] and c > 0]
        if others:
            shown[min(others, key=lambda i: counts[i])] = "suppressed"
    return shown


def one(count: int, threshold: int = SUPPRESSION_THRESHOLD) -> Count:
    """A count on its own (a total): primary suppression only."""
    return count if count == 0 or count >= threshold else "<5"


def columns(rows: Sequence[Sequence[int]], threshold: int | None) -> list[list[Count]]:
    """Suppresses each column of a table on its own (``threshold`` None: as they are)."""
    if threshold is None or not rows:
        return [list(row) for row in rows]
    by_column = [suppress(column, threshold) for column in zip(*rows, strict=True)]
    return [list(row) for row in zip(*by_column, strict=True)]


# ------------------------------------------------------------------ durations


@dataclass(frozen=True, kw_only=True)
class Durations:
    """How long something took, in calendar days, over a group of cases."""

    cases: Count
    median_days: float | None
    p90_days: float | None
    buckets: dict[str, Count]


def summarise(seconds: Sequence[int], threshold: int | None) -> Durations:
    """The median, 90th percentile and bucket counts of durations (negatives count as 0).
    With suppression, a group of fewer than ``threshold`` gives no median or percentile."""
    days = sorted(max(s, 0) / DAY for s in seconds)
    counts = [0] * len(BUCKETS)
    for value in days:
        counts[sum(1 for edge in BUCKET_EDGES if value >= edge)] += 1
    small = threshold is not None and len(days) < threshold
    shown: list[Count] = list(counts) if threshold is None else suppress(counts, threshold)
    return Durations(
        cases=len(days) if threshold is None else one(len(days), threshold),
        median_days=None if small or not days else round(statistics.median(days), 1),
        p90_days=None if small or not days else round(_percentile(days, 0.9), 1),
        buckets=dict(zip(BUCKETS, shown, strict=True)),
    )


def _percentile(ordered: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (the "inclusive" method)."""
    if len(ordered) == 1:
        return ordered[0]
    rank = fraction * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# ------------------------------------------------------------------ rows


@dataclass(frozen=True, kw_only=True)
class MonthRow:
    month: str
    opened: int
    closed: int
    incidents: int


@dataclass(frozen=True, kw_only=True)
class IncidentTypeRow:
    incident_type: str
    incidents: int
    criminal: int
    targeted: int
    hate_motivated: int
    violence_or_threat: int


@dataclass(frozen=True, kw_only=True)
class CaseTimes:
    """One case's durations in seconds, with what it is grouped by (no identifiers)."""

    risk_level: str
    closure_reason: str | None
    to_first_contact: int | None
    to_resolution: int | None


@dataclass(frozen=True, kw_only=True)
class VictimFigures:
    """One victim's figures across every case: no identifier of any kind."""

    cases: int
    incidents: int
    targeted: int
    hate_motivated: int
    self_declared: bool
    first_incident_month: str | None
    last_incident_month: str | None


@dataclass(frozen=True, kw_only=True)
class VictimRow(VictimFigures):
    """One victim across every case (by subject token, which a caller never sees)."""

    token: str

    @property
    def repeat(self) -> bool:
        return self.incidents > 1 or self.cases > 1 or self.self_declared


def band_of(incidents: int) -> str:
    for label, low, high in INCIDENT_BANDS:
        if incidents >= low and (high is None or incidents <= high):
            return label
    return "0"
