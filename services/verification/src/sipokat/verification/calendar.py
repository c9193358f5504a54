"""Working days in WIB (Asia/Jakarta): Monday to Friday, minus the configured public holidays.

A tier that has N working days to decide must do so by the end of the N-th working day after the
day (in WIB) the report reached it. The day of arrival never counts, so a report that arrives late
on a Friday afternoon gets the same three full working days as one that arrives on Monday morning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")
_SATURDAY = 5


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def with_holidays(cls, holidays: Iterable[date]) -> WorkingCalendar:
        return cls(frozenset(holidays))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < _SATURDAY and day not in self.holidays

    def due_after(self, start: datetime, working_days: int) -> datetime:
        """The end (midnight WIB, as UTC) of the `working_days`-th working day after `start`."""
        if working_days < 1:
            raise ValueError("a tier needs at least one working day")
        day = start.astimezone(WIB).date()
        counted = 0
        while counted < working_days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        end_of_day = datetime.combine(day + timedelta(days=1), time(0), tzinfo=WIB)
        return end_of_day.astimezone(UTC)
