"""The subject access request deadline (issue 13 §1): the ICO's calendar-month rule, month
ends, leap years, bank holidays, a stopped clock and an extension."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.sar_deadline import ClockStop, months_after, sar_deadline


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # 3 September to 3 October: the same date in the next month (a Saturday in 2026,
        # so the Monday).
        (date(2026, 9, 3), date(2026, 10, 5)),
        (date(2026, 9, 2), date(2026, 10, 2)),  # a Friday: as it is
        # 31 January: February has no 31st, so its last day (28 February 2026 is a
        # Saturday: Monday 2 March).
        (date(2026, 1, 31), date(2026, 3, 2)),
        (date(2028, 1, 31), date(2028, 2, 29)),  # a leap year's last day, a Tuesday
        # 29 February to 29 March.
        (date(2028, 2, 29), date(2028, 3, 29)),
        # Due on Christmas Day 2026 (a Friday): the 26th and 27th are the weekend, and
        # Monday 28 December is the Boxing Day bank holiday: Tuesday 29 December.
        (date(2026, 11, 25), date(2026, 12, 29)),
        # Due on Good Friday 2026 (3 April): Easter Monday follows, so Tuesday 7 April.
        (date(2026, 3, 3), date(2026, 4, 7)),
        (date(2026, 12, 31), date(2027, 2, 1)),  # into the next year (31 Jan 2027: Sunday)
    ],
)
def test_one_calendar_month_to_the_next_working_day(received: date, due: date) -> None:
    assert sar_deadline(received) == due


def test_a_stopped_clock_runs_no_deadline_and_restarts_the_month() -> None:
    received = date(2026, 3, 2)
    stopped = ClockStop(stopped=date(2026, 3, 5))
    assert sar_deadline(received, stops=[stopped]) is None
    # Clarification arrived on 20 March: a month from then, no credit for 2-5 March.
    restarted = ClockStop(stopped=date(2026, 3, 5), restarted=date(2026, 3, 20))
    assert sar_deadline(received, stops=[restarted]) == date(2026, 4, 20)
    twice = [restarted, ClockStop(stopped=date(2026, 3, 25), restarted=date(2026, 4, 1))]
    assert sar_deadline(received, stops=twice) == date(2026, 5, 1)  # 1 May 2026: a Friday


def test_an_extension_of_up_to_two_months() -> None:
    assert sar_deadline(date(2026, 1, 10), extension_months=2) == date(2026, 4, 10)
    assert sar_deadline(date(2025, 11, 30), extension_months=2) == date(2026, 3, 2)  # 28 Feb
    with pytest.raises(ValueError, match="extension"):
        sar_deadline(date(2026, 1, 10), extension_months=3)


def test_impossible_clocks_are_refused() -> None:
    with pytest.raises(ValueError, match="before it started"):
        sar_deadline(date(2026, 3, 2), stops=[ClockStop(stopped=date(2026, 3, 1))])
    with pytest.raises(ValueError, match="before it stopped"):
        sar_deadline(
            date(2026, 3, 2),
            stops=[ClockStop(stopped=date(2026, 3, 5), restarted=date(2026, 3, 4))],
        )


def test_months_after_keeps_the_date_or_takes_the_month_end() -> None:
    assert months_after(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert months_after(date(2026, 3, 31), 1) == date(2026, 4, 30)
    assert months_after(date(2026, 5, 15), 9) == date(2027, 2, 15)
