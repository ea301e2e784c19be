"""Properties of the subject access deadline (issue 13 §1), for any day of receipt from 2024
to 2030 and any stopped clock and extension: the deadline is a working day, no earlier than
the calendar month allows and no later than the next working day after it; a stopped clock
has none, and a restart moves it to a month after the restart; an extension never brings it
earlier."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ledger.calendar import is_working_day
from ledger.sar_deadline import ClockStop, months_after, sar_deadline

DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
WAIT = st.integers(min_value=0, max_value=60)


@given(received=DAYS, extension=st.integers(min_value=0, max_value=2))
def test_the_deadline_is_the_first_working_day_on_or_after_the_months_end(
    received: date, extension: int
) -> None:
    due = sar_deadline(received, extension_months=extension)
    assert due is not None
    month_end = months_after(received, 1 + extension)
    assert is_working_day(due)
    assert month_end <= due <= month_end + timedelta(days=10)
    assert all(
        not is_working_day(month_end + timedelta(days=n)) for n in range((due - month_end).days)
    )
    assert 28 * (1 + extension) <= (month_end - received).days <= 31 * (1 + extension)


@given(received=DAYS, extension=st.integers(min_value=0, max_value=1))
def test_an_extension_never_brings_the_deadline_earlier(received: date, extension: int) -> None:
    shorter = sar_deadline(received, extension_months=extension)
    longer = sar_deadline(received, extension_months=extension + 1)
    assert shorter is not None
    assert longer is not None
    assert longer > shorter


@given(received=DAYS, before=WAIT, waited=WAIT)
def test_a_stopped_clock_has_no_deadline_and_a_restart_runs_a_fresh_month(
    received: date, before: int, waited: int
) -> None:
    stopped = received + timedelta(days=before)
    assert sar_deadline(received, stops=[ClockStop(stopped)]) is None
    restarted = stopped + timedelta(days=waited)
    due = sar_deadline(received, stops=[ClockStop(stopped, restarted)])
    assert due == sar_deadline(restarted)
