"""Working days in WIB: weekends and holidays do not count, the day of arrival never does."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sipokat.verification.domain import WIB, WorkingCalendar


def wib(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=WIB)


@pytest.mark.parametrize(
    ("arrived", "due"),
    [
        # Monday 09:00 -> Tue, Wed, Thu: due at the end of Thursday.
        (wib(2, 9), wib(6, 0)),
        # Friday 16:00 -> Mon, Tue, Wed.
        (wib(6, 16), wib(12, 0)),
        # Saturday and Sunday arrivals wait for the same three days.
        (wib(7, 10), wib(12, 0)),
        (wib(8, 23), wib(12, 0)),
    ],
)
def test_three_working_days(arrived: datetime, due: datetime) -> None:
    assert WorkingCalendar().due_after(arrived, 3) == due


def test_the_day_is_judged_in_wib_not_utc() -> None:
    # 18:00 UTC on Sunday is already Monday 01:00 in WIB: Monday is the day of arrival.
    sunday_evening_utc = datetime(2026, 3, 1, 18, tzinfo=UTC)
    assert WorkingCalendar().due_after(sunday_evening_utc, 1) == wib(4, 0)


def test_holidays_are_skipped() -> None:
    # Nyepi on Thursday 19 March 2026 and cuti bersama on Friday 20 March.
    calendar = WorkingCalendar.with_holidays([date(2026, 3, 19), date(2026, 3, 20)])
    assert calendar.due_after(wib(17, 9), 3) == wib(25, 0)  # Wed 18, Mon 23, Tue 24
    assert not calendar.is_working_day(date(2026, 3, 19))
    assert calendar.is_working_day(date(2026, 3, 18))


def test_the_due_time_is_utc() -> None:
    due = WorkingCalendar().due_after(wib(2, 9), 1)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 3, 3, 17, tzinfo=UTC)  # midnight WIB after Tuesday


def test_a_tier_needs_at_least_a_day() -> None:
    with pytest.raises(ValueError, match="at least one working day"):
        WorkingCalendar().due_after(wib(2, 9), 0)
