"""Service-level clocks: adding a duration to an instant, and measuring the time between two.

With ``settings.business_hours`` only those hours count: a clock stands still at night, at
weekends and on holidays, so "decided within 8h" means eight working hours. Each day's window is
taken in the catalog's time zone and turned into real instants, so a window that spans a DST
change is as long as it really is, and an instant outside the hours waits for the next window.
Without business hours the clock is plain wall time. Instants in and out are timezone-aware.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays

from domain.catalog.service_levels import BusinessHours

SEARCH_DAYS = 3700
"""How far ahead a due time is looked for: a calendar with no business day in ten years is broken."""


class Clock(Protocol):
    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant ``duration`` of counted time after ``start``."""
        ...

    def between(self, start: datetime, end: datetime) -> timedelta:
        """The counted time from ``start`` to ``end`` (negative when ``end`` is earlier)."""
        ...


class WallClock:
    """Every hour counts."""

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return start + duration

    def between(self, start: datetime, end: datetime) -> timedelta:
        return end - start


@dataclass(frozen=True)
class BusinessClock:
    """Counts the hours from ``opens`` to ``closes`` (local time in ``zone``) on ``days`` (Mon = 0)
    that are not holidays."""

    days: frozenset[int]
    opens: time
    closes: time
    zone: ZoneInfo
    is_holiday: Callable[[date], bool]

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The business hours of local ``day`` as UTC instants; None on a day off."""
        if day.weekday() not in self.days or self.is_holiday(day):
            return None
        opens = datetime.combine(day, self.opens, self.zone).astimezone(UTC)
        return opens, datetime.combine(day, self.closes, self.zone).astimezone(UTC)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        start = start.astimezone(UTC)
        if duration <= timedelta(0):
            return start
        left = duration
        for day in self._days_from(start):
            window = self.window(day)
            if window is None:
                continue
            begin, closes = max(start, window[0]), window[1]
            if begin < closes:
                if left <= closes - begin:
                    return begin + left
                left -= closes - begin
        raise ValueError(f"no business hours within {SEARCH_DAYS} days of {start:%Y-%m-%d}")

    def between(self, start: datetime, end: datetime) -> timedelta:
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end < start:
            return -self.between(end, start)
        counted = timedelta(0)
        last = end.astimezone(self.zone).date()
        for day in self._days_from(start):
            if day > last:
                break
            window = self.window(day)
            if window is not None:
                counted += max(timedelta(0), min(end, window[1]) - max(start, window[0]))
        return counted

    def _days_from(self, start: datetime) -> Iterator[date]:
        first = start.astimezone(self.zone).date()
        return (first + timedelta(days=offset) for offset in range(SEARCH_DAYS))


def clock_for(hours: BusinessHours | None) -> Clock:
    """The clock service levels count with: business hours when the catalog sets them."""
    if hours is None:
        return WallClock()
    return BusinessClock(hours.days, hours.opens, hours.closes, ZoneInfo(hours.timezone),
                         _holidays(frozenset(hours.holidays), hours.country))


def _holidays(days: Collection[date], country: str | None) -> Callable[[date], bool]:
    calendar = _calendar(country) if country else None
    return lambda day: day in days or (calendar is not None and day in calendar)


@cache
def _calendar(country: str) -> holidays.HolidayBase:
    """The country's public holidays (years are filled in as they are asked about)."""
    return holidays.country_holidays(country)
