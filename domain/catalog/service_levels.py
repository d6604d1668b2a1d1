"""The catalog's service-level keys: an action's ``sla`` and the settings' ``business_hours``.

Durations are written as people say them (``8h``, ``2d``, ``1h30m``) and kept as ``timedelta``;
a business-hours block is checked against the time-zone database and, with ``country``, the
``holidays`` package's calendars, so a typo is a ``file:line`` problem, never a clock that
silently counts the wrong hours.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from datetime import date, time, timedelta
from functools import cache
from typing import Annotated, Self

import holidays
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Strict, model_validator
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError

from domain.catalog.issues import duplicate_issues, raise_issues, sized

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(?:\d{1,6}[smhd])+")
_PART = re.compile(r"(\d+)([smhd])")
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MIN_REMIND_EVERY = timedelta(minutes=1)


def parse_duration(value: object) -> timedelta:
    """``8h``, ``30m``, ``2d``, ``1h30m`` -> a positive ``timedelta``."""
    if not isinstance(value, str) or not _DURATION.fullmatch(value.strip()):
        raise PydanticCustomError("duration", f"expected a duration like 8h or 1h30m (units s, m, h, d), got {value!r}"
                                              + (" (write the unit too)" if isinstance(value, int) else ""))
    seconds = sum(int(number) * UNITS[unit] for number, unit in _PART.findall(value))
    if seconds <= 0:
        raise PydanticCustomError("duration", "must be longer than 0")
    return timedelta(seconds=seconds)


def _clock_time(value: object) -> time:
    if not isinstance(value, str):  # YAML reads an unquoted 17:00 as the number 1020 (minutes)
        raise PydanticCustomError("time", f"expected a time of day in quotes, like \"09:00\", got {value!r}")
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", value)
    if match is None:
        raise PydanticCustomError("time", f"expected a time of day as \"HH:MM\" (00:00 to 23:59), got {value!r}")
    return time(int(match[1]), int(match[2]))


def _weekdays(value: object) -> frozenset[int]:
    """``Mon-Fri``, ``Mon,Wed,Fri``, ``Mon-Thu, Sat`` or a list of those -> weekday numbers (Mon = 0)."""
    parts = value if isinstance(value, list) else str(value).split(",") if isinstance(value, str) else None
    if not parts:
        raise PydanticCustomError("days", "expected days like Mon-Fri or [Mon, Wed, Fri]")
    days: set[int] = set()
    for part in parts:
        first, _, last = str(part).strip().partition("-")
        start, end = _day(first), _day(last) if last else _day(first)
        days.update(range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)])
    return frozenset(days)


def _day(name: str) -> int:
    """``Mon`` or ``Monday`` (any case) -> 0."""
    key = name.strip().title()
    full = {day: f"{day}{rest}" for day, rest in zip(DAY_NAMES, ("day", "sday", "nesday", "rsday", "day", "urday",
                                                                  "day"), strict=True)}
    found = next((index for index, day in enumerate(DAY_NAMES) if key in (day, full[day])), None)
    if found is None:
        raise PydanticCustomError("days", f"unknown day {name.strip()!r} (expected one of: {', '.join(DAY_NAMES)})")
    return found


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _time_zone(name: str) -> str:
    if name not in _zones():
        close = difflib.get_close_matches(name, sorted(_zones()), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else " (expected an IANA name like Europe/Berlin)"
        raise PydanticCustomError("time_zone", f"unknown time zone {name!r}{hint}")
    return name


def _country(code: str) -> str:
    if code not in holidays.list_supported_countries():
        raise PydanticCustomError("country", f"no holiday calendar for country {code!r} "
                                             "(expected an ISO 3166 code like DE, FR or US)")
    return code


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
ClockTime = Annotated[time, BeforeValidator(_clock_time)]


class ServiceLevel(BaseModel):
    """An action's ``sla``: how long a step may wait for its decision, how long the whole request
    may take, and how often the approvers of a waiting step are reminded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decide_within: Duration | None = None
    complete_within: Duration | None = None
    remind_every: Duration | None = None

    @model_validator(mode="after")
    def _meaningful(self) -> Self:
        issues: list[tuple[tuple[str | int, ...], str]] = []
        if self.decide_within is None and self.complete_within is None and self.remind_every is None:
            issues.append(((), "give at least one of 'decide_within', 'complete_within', 'remind_every'"))
        if self.remind_every is not None and self.remind_every < MIN_REMIND_EVERY:
            issues.append((("remind_every",), "must be at least 1m (a reminder every few seconds is a flood)"))
        raise_issues("ServiceLevel", issues)
        return self


class BusinessHours(BaseModel):
    """``settings.business_hours``: the hours service-level clocks count; outside them they stand still."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)

    days: Annotated[frozenset[int], BeforeValidator(_weekdays)] = frozenset(range(5))
    opens: ClockTime = PydanticField(alias="from")
    closes: ClockTime = PydanticField(alias="to")
    timezone: Annotated[str, Strict(), AfterValidator(_time_zone)]
    holidays: Annotated[tuple[Annotated[date, Strict()], ...], sized(maximum=1000)] = ()
    country: Annotated[str, Strict(), AfterValidator(_country)] | None = None

    @model_validator(mode="after")
    def _open_before_close(self) -> Self:
        issues = list(duplicate_issues([day.isoformat() for day in self.holidays], "holidays", "holiday"))
        if self.opens >= self.closes:
            issues.append((("to",), f"must be later than 'from' ({self.opens:%H:%M}); hours past midnight "
                                    "are not supported"))
        raise_issues("BusinessHours", issues)
        return self
