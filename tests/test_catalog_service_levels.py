"""The catalog's service-level keys: ``sla``, a step's ``backup``, ``settings.business_hours``."""

from __future__ import annotations

import textwrap
from datetime import date, time, timedelta

import pytest

from domain.catalog import parse_catalog
from tests.test_catalog import problems

CATALOG = """
settings:
  business_hours: {days: Mon-Fri, from: "09:00", to: "17:00", timezone: Europe/Berlin,
                   holidays: [2026-12-25, 2026-12-26], country: DE}
roles:
  hr: {members: [U0HR1, U0HR2]}
  leads: {members: [U0LEAD]}
actions:
  onboard:
    title: Onboard
    fields:
      - {id: name, label: Name, type: text}
    sla: {decide_within: 8h, complete_within: 2d, remind_every: 1h30m}
    approvals:
      - {role: hr, backup: leads}
"""


def test_service_levels_are_read_as_durations_and_hours() -> None:
    catalog = parse_catalog(textwrap.dedent(CATALOG))
    sla = catalog.actions["onboard"].sla
    assert sla is not None
    assert (sla.decide_within, sla.complete_within, sla.remind_every) == (
        timedelta(hours=8), timedelta(days=2), timedelta(hours=1, minutes=30))
    assert catalog.actions["onboard"].approvals[0].backup == "leads"
    hours = catalog.settings.business_hours
    assert hours is not None
    assert (hours.days, hours.opens, hours.closes, hours.timezone, hours.country) == (
        frozenset(range(5)), time(9), time(17), "Europe/Berlin", "DE")
    assert hours.holidays == (date(2026, 12, 25), date(2026, 12, 26))


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("decide_within: 8h", "decide_within: 8x", "catalog.yaml:13: actions.onboard.sla.decide_within: expected a "
                                               "duration like 8h or 1h30m (units s, m, h, d), got '8x'"),
    ("decide_within: 8h", "decide_within: 8", "got 8 (write the unit too)"),
    ("decide_within: 8h", "decide_within: 0h", "actions.onboard.sla.decide_within: must be longer than 0"),
    ("remind_every: 1h30m", "remind_every: 20s", "actions.onboard.sla.remind_every: must be at least 1m"),
    ("remind_every: 1h30m", "remind_evry: 1h", "actions.onboard.sla.remind_evry: unknown key (did you mean "
                                               "'remind_every'?)"),
    ("sla: {decide_within: 8h, complete_within: 2d, remind_every: 1h30m}", "sla: {}",
     "actions.onboard.sla: give at least one of"),
    ("backup: leads", "backup: lead", "catalog.yaml:15: actions.onboard.approvals[0].backup: unknown role 'lead' "
                                      "(did you mean 'leads'?)"),
    ("sla: {decide_within: 8h, complete_within: 2d, remind_every: 1h30m}", "sla: {complete_within: 2d}",
     "actions.onboard.approvals[0].backup: is asked when sla.decide_within passes"),
    ("days: Mon-Fri", "days: Mon-Fry", "catalog.yaml:3: settings.business_hours.days: unknown day 'Fry'"),
    ('from: "09:00"', 'from: "9am"', 'settings.business_hours.from: expected a time of day as "HH:MM"'),
    ('to: "17:00"', "to: 17:00", "settings.business_hours.to: expected a time of day in quotes, like "
                                 '"09:00", got 1020'),
    ('to: "17:00"', 'to: "08:00"', "settings.business_hours.to: must be later than 'from' (09:00)"),
    ("timezone: Europe/Berlin", "timezone: Europe/Berln", "settings.business_hours.timezone: unknown time zone "
                                                          "'Europe/Berln' (did you mean 'Europe/Berlin'?)"),
    ("2026-12-26]", "2026-12-25]", "settings.business_hours.holidays[1]: duplicate holiday '2026-12-25'"),
    ("2026-12-26]", "Boxing Day]", "settings.business_hours.holidays[1]: expected a date (YYYY-MM-DD), got a string"),
    ("country: DE", "country: XX", "settings.business_hours.country: no holiday calendar for country 'XX'"),
    ("timezone: Europe/Berlin,", "", "settings.business_hours: missing required key 'timezone'"),
])
def test_each_service_level_mistake_is_reported(old: str, new: str, expected: str) -> None:
    assert old in CATALOG
    found = problems(CATALOG.replace(old, new, 1))
    assert any(expected in problem for problem in found), found


def test_step_clocks_need_approval_steps() -> None:
    text = CATALOG.replace("    approvals:\n      - {role: hr, backup: leads}\n", "")
    found = problems(text)
    assert "catalog.yaml:13: actions.onboard.sla.decide_within: has no effect: the action has no approval steps" \
        in found
    assert any("sla.remind_every: has no effect" in problem for problem in found)
