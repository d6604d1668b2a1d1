"""The service-level clock: business time across nights, weekends, holidays and DST changes."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.business_hours import BusinessClock, Clock, WallClock, clock_for
from domain.catalog.service_levels import BusinessHours

BERLIN = ZoneInfo("Europe/Berlin")


def hours(**overrides: object) -> BusinessHours:
    spec: dict[str, object] = {"days": "Mon-Fri", "from": "09:00", "to": "17:00", "timezone": "Europe/Berlin",
                               **overrides}
    return BusinessHours.model_validate(spec)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


CLOCK = clock_for(hours(holidays=[date(2026, 12, 25)]))


@pytest.mark.parametrize(("start", "duration", "due"), [
    (berlin(2026, 3, 2, 10), timedelta(hours=2), berlin(2026, 3, 2, 12)),  # Monday, within the day
    (berlin(2026, 3, 2, 16), timedelta(hours=2), berlin(2026, 3, 3, 10)),  # over the night
    (berlin(2026, 3, 6, 16), timedelta(hours=8), berlin(2026, 3, 9, 16)),  # Friday over the weekend
    (berlin(2026, 3, 7, 12), timedelta(hours=1), berlin(2026, 3, 9, 10)),  # from a Saturday
    (berlin(2026, 3, 2, 7), timedelta(hours=1), berlin(2026, 3, 2, 10)),  # before opening
    (berlin(2026, 3, 2, 20), timedelta(hours=1), berlin(2026, 3, 3, 10)),  # after closing
    (berlin(2026, 3, 2, 9), timedelta(hours=8), berlin(2026, 3, 2, 17)),  # exactly one day: closing time
    (berlin(2026, 3, 2, 9), timedelta(days=2), berlin(2026, 3, 9, 9, 0) + timedelta(hours=8)),  # 48 h = 6 days
    (berlin(2026, 12, 24, 16), timedelta(hours=8), berlin(2026, 12, 28, 16)),  # over Christmas (a Friday)
    (berlin(2026, 3, 2, 10, 30), timedelta(0), berlin(2026, 3, 2, 10, 30)),
])
def test_adding_business_time(start: datetime, duration: timedelta, due: datetime) -> None:
    assert CLOCK.add(start, duration) == due
    assert CLOCK.between(start, due) == duration


def test_time_between_counts_only_business_hours() -> None:
    assert CLOCK.between(berlin(2026, 3, 6, 16), berlin(2026, 3, 9, 10)) == timedelta(hours=2)
    assert CLOCK.between(berlin(2026, 3, 9, 10), berlin(2026, 3, 6, 16)) == -timedelta(hours=2)
    assert CLOCK.between(berlin(2026, 3, 7, 8), berlin(2026, 3, 8, 20)) == timedelta(0)  # the weekend
    assert CLOCK.between(berlin(2026, 12, 25, 8), berlin(2026, 12, 25, 20)) == timedelta(0)  # a holiday


def test_spring_forward_and_fall_back_keep_local_opening_hours() -> None:
    """Berlin moves to CEST on Sunday 2026-03-29 and back on Sunday 2026-10-25: Monday still opens at
    09:00 local, an hour earlier (later) in UTC than on the Friday before."""
    spring = CLOCK.add(berlin(2026, 3, 27, 9), timedelta(hours=16))
    assert spring == datetime(2026, 3, 30, 15, tzinfo=UTC)  # 17:00 CEST
    autumn = CLOCK.add(berlin(2026, 10, 23, 9), timedelta(hours=16))
    assert autumn == datetime(2026, 10, 26, 16, tzinfo=UTC)  # 17:00 CET


def test_a_window_across_the_change_is_as_long_as_it_really_is() -> None:
    """Open 01:00-04:00 every day: on the night clocks skip 02:00-03:00 it holds two real hours, on the
    night they repeat 02:00-03:00 four; the next night opens at 01:00 CEST, 23:00 UTC."""
    clock = clock_for(hours(days="Mon-Sun", **{"from": "01:00", "to": "04:00"}))
    assert clock.between(berlin(2026, 3, 29, 0), berlin(2026, 3, 29, 12)) == timedelta(hours=2)
    assert clock.between(berlin(2026, 10, 25, 0), berlin(2026, 10, 25, 12)) == timedelta(hours=4)
    assert clock.add(berlin(2026, 3, 29, 1), timedelta(hours=2, minutes=30)) == datetime(2026, 3, 29, 23, 30,
                                                                                         tzinfo=UTC)


def test_country_holidays_come_from_the_calendar() -> None:
    """Labour Day (Friday 2026-05-01) is a public holiday in Germany."""
    german = clock_for(hours(country="DE"))
    assert german.add(berlin(2026, 4, 30, 16), timedelta(hours=2)) == berlin(2026, 5, 4, 10)
    assert clock_for(hours()).add(berlin(2026, 4, 30, 16), timedelta(hours=2)) == berlin(2026, 5, 1, 10)


def test_days_are_read_as_written() -> None:
    assert hours(days="Mon-Fri").days == frozenset(range(5))
    assert hours(days="Mon, Wed, Friday").days == frozenset({0, 2, 4})
    assert hours(days=["Sat", "Sun"]).days == frozenset({5, 6})
    assert hours(days="Fri-Mon").days == frozenset({4, 5, 6, 0})


def test_without_business_hours_the_clock_is_wall_time() -> None:
    clock = clock_for(None)
    assert isinstance(clock, WallClock)
    start = berlin(2026, 3, 7, 23)
    assert clock.add(start, timedelta(hours=5)) == start + timedelta(hours=5)
    assert clock.between(start, start + timedelta(days=2)) == timedelta(days=2)


def test_a_calendar_without_business_days_is_an_error() -> None:
    clock = BusinessClock(frozenset({0}), CLOCK_HOURS.opens, CLOCK_HOURS.closes, BERLIN, lambda day: True)
    with pytest.raises(ValueError, match="no business hours"):
        clock.add(berlin(2026, 3, 2, 10), timedelta(hours=1))


CLOCK_HOURS = hours()
CLOCKS: list[Clock] = [CLOCK, clock_for(hours(days="Mon-Sun", **{"from": "01:00", "to": "04:00"})),
                       clock_for(hours(days="Tue,Thu", country="DE", timezone="America/New_York")),
                       clock_for(hours(days="Mon-Fri", **{"from": "00:00", "to": "23:59"}, timezone="Asia/Kolkata"))]


def _instant(rng: random.Random) -> datetime:
    """Anywhere in 2026, to the minute, DST changes and holidays included."""
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(365 * 24 * 60))


def _duration(rng: random.Random) -> timedelta:
    return timedelta(minutes=rng.choice([0, 1, 59, 60, 61, 8 * 60, 24 * 60, rng.randrange(20000)]))


@pytest.mark.parametrize("seed", range(6))
def test_properties_hold_for_random_instants_and_durations(seed: int) -> None:
    rng = random.Random(seed)
    for clock in CLOCKS:
        for _ in range(150):
            start, first, second = _instant(rng), _duration(rng), _duration(rng)
            due = clock.add(start, first)
            assert due >= start
            assert clock.between(start, due) == first  # adding, then measuring, gives the duration back
            assert clock.add(due, second) == clock.add(start, first + second)  # adding in two goes or in one
            assert clock.add(start, first + second) >= due  # more time is never earlier
            other = _instant(rng)
            assert clock.between(start, other) == -clock.between(other, start)
            middle = min(start, other) + (max(start, other) - min(start, other)) / 3
            assert clock.between(min(start, other), middle) + clock.between(middle, max(start, other)) == \
                clock.between(min(start, other), max(start, other))
            assert clock.between(start, other) <= abs(other - start) or other < start
