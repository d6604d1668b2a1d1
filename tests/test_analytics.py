"""Every figure on a database filled with a known history (tests/analytics_history.py), the
expected numbers worked out by hand; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from domain.analytics import Analytics, Report
from domain.analytics_figures import Spread, StepFigures, percentile
from domain.catalog import load_catalog
from storage.database import Database
from tests.analytics_history import CATALOG, NOW, write_history

HOUR = 3600.0


async def report(database: Database, days: int = 30) -> Report:
    await write_history(database)
    catalog = load_catalog(CATALOG)
    return await Analytics(lambda: catalog, database.reader, clock=lambda: NOW).report(days)


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([4.0, 1.0, 2.0, 0.5], 50) == 1.0 and percentile([4.0, 1.0, 2.0, 0.5], 90) == 4.0
    assert percentile([7.0], 90) == 7.0 and percentile([1.0, 2.0], 0) == 1.0


async def test_an_action_s_funnel_times_and_outcomes(database: Database) -> None:
    laptop = (await report(database)).action("laptop")
    assert laptop is not None
    # 8 forms opened in the period; one closed unsent, one left for 3 days (one 2 h old is not abandoned yet)
    assert (laptop.opened, laptop.closed_unsent, laptop.idle_unsent, laptop.abandoned) == (8, 1, 1, 2)
    assert (laptop.submitted, laptop.approved, laptop.rejected, laptop.cancelled, laptop.pending) == (5, 2, 1, 1, 1)
    assert (laptop.completed, laptop.fulfilled) == (2, 0)
    assert laptop.failed_fields == (("serial", 3), ("reason", 1))
    # first human verdicts 1 h, 2 h (the automatic one aside), 4 h, 0.5 h; completions 3 h and 8 h
    assert laptop.first_decision == Spread(4, 1 * HOUR, 4 * HOUR)
    assert laptop.completion == Spread(2, 3 * HOUR, 8 * HOUR)
    assert laptop.steps == (
        StepFigures(0, reached=5, approved=3, rejected=1, cancelled=1, waiting=0, time=Spread(4, HOUR, 4 * HOUR)),
        StepFigures(1, reached=3, approved=2, rejected=0, cancelled=0, waiting=1,
                    time=Spread(2, 2 * HOUR, 6 * HOUR)))
    assert (laptop.escalated, laptop.escalation_rate) == (1, 0.2)
    assert (laptop.breached, laptop.sla_compliance) == (1, 0.8)
    assert laptop.utilization == 0.4  # 2 completed, none escalated, of 5
    assert (laptop.up, laptop.down) == (2, 1) and laptop.satisfaction == pytest.approx(2 / 3)
    assert laptop.comments == ("why?", "quick")  # newest first
    assert (laptop.people, laptop.manual_minutes, laptop.hours_saved) == (4, 30, 1.0)


async def test_totals_rankings_and_the_daily_series(database: Database) -> None:
    result = await report(database)
    lunch, total = result.action("lunch"), result.total
    assert lunch is not None
    assert (lunch.opened, lunch.submitted, lunch.completed, lunch.people, lunch.hours_saved) == (3, 3, 3, 2, 0.25)
    assert lunch.steps == () and lunch.sla_compliance is None and lunch.completion == Spread(3, 0.0, 0.0)
    assert (total.opened, total.abandoned, total.submitted, total.completed, total.people) == (11, 2, 8, 5, 5)
    assert (total.escalation_rate, total.utilization, total.satisfaction) == (1 / 8, 5 / 8, 0.75)
    assert (total.sla_compliance, total.hours_saved) == (0.8, 1.25)  # compliance: laptop's requests only
    assert total.completion == Spread(5, 0.0, 8 * HOUR)
    assert [a.action_id for a in result.busiest()] == ["laptop", "lunch"]
    assert [a.action_id for a in result.worst_funnels()] == ["laptop", "lunch"]
    assert [(a.action_id, s.step) for a, s in result.slowest_steps()] == [("laptop", 1), ("laptop", 0)]
    assert len(result.daily) == 30 and result.daily[0].day == date(2026, 3, 2)
    busy = {d.day: (d.completed, d.p50) for d in result.daily if d.completed}
    assert busy == {date(2026, 3, 21): (1, 3 * HOUR), date(2026, 3, 22): (1, 8 * HOUR),
                    date(2026, 3, 26): (1, 0.0), date(2026, 3, 30): (2, 0.0)}


async def test_a_shorter_period_leaves_the_older_requests_out(database: Database) -> None:
    result = await report(database, days=7)  # from 24 March noon on (inclusive): two laptop requests, 3 lunches
    laptop = result.action("laptop")
    assert laptop is not None and (laptop.submitted, laptop.pending, laptop.cancelled) == (2, 1, 1)
    assert (result.total.submitted, result.total.completed, len(result.daily)) == (5, 3, 7)
