"""When a subject access request must be answered: the ICO's rule (UK GDPR Article 12(3)).

One calendar month from the day the request arrived (or the proof of identity, or the
clarification, it waited for: the month then runs afresh from that day, with no credit for
the days before), to the same date in the next month, or the last day of that month where
there is no such date (31 January: 28 or 29 February); an extension, of up to two further
months and only while the first month runs, moves it to the same date that many months
later. A deadline on a weekend or a bank holiday (England and Wales) moves to the next
working day. While the clock is stopped, no deadline runs.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from ledger.calendar import is_working_day

MAX_EXTENSION_MONTHS = 2


def months_after(start: date, months: int) -> date:
    """The same date ``months`` calendar months later, or that month's last day."""
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def next_working_day(day: date) -> date:
    """``day`` itself if a working day, else the next one."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class ClockStop:
    """The clock stopped on ``stopped`` (while identity or clarification was sought) and,
    once ``restarted`` is given, started again on the day it arrived."""

    stopped: date
    restarted: date | None = None


def sar_deadline(
    received: date, *, stops: Sequence[ClockStop] = (), extension_months: int = 0
) -> date | None:
    """The day the response is due; None while the clock is stopped."""
    if not 0 <= extension_months <= MAX_EXTENSION_MONTHS:
        raise ValueError(f"an extension is of 0 to {MAX_EXTENSION_MONTHS} months")
    start = received
    for stop in sorted(stops, key=lambda s: s.stopped):
        if stop.stopped < start:
            raise ValueError("the clock cannot stop before it started")
        if stop.restarted is None:
            return None
        if stop.restarted < stop.stopped:
            raise ValueError("the clock cannot restart before it stopped")
        start = stop.restarted
    return next_working_day(months_after(start, 1 + extension_months))
