"""The statistics' month key: four-digit years whatever the platform's ``strftime`` does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from projections.stats.model import MONTH, month_of


@pytest.mark.parametrize(
    ("moment", "key"),
    [
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01"),
        (datetime(188, 5, 3, 12, 0, tzinfo=UTC), "0188-05"),
        (datetime(999, 12, 31, 23, 59, tzinfo=UTC), "0999-12"),
        (datetime(1000, 1, 1, tzinfo=UTC), "1000-01"),
        (datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "2026-03"),
        # In UTC: just after midnight on 1 June in UTC+2 is still May.
        (datetime(999, 6, 1, 1, 0, tzinfo=timezone(timedelta(hours=2))), "0999-05"),
    ],
)
def test_the_month_key_has_a_four_digit_year_before_the_year_1000(
    moment: datetime, key: str
) -> None:
    assert month_of(moment) == key
    assert MONTH.match(month_of(moment))
