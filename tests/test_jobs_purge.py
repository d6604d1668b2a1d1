"""Finished jobs are purged by the engine itself after a retention, in bounded batches, by one
process per period (real databases)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings, config_error
from domain.job_purge import Purger, Retention
from domain.jobs import CANCELLED, DONE, FAILED, PENDING
from storage.database import Database
from tests.test_jobs import Handler, enqueue, now_of, runner

DAY = timedelta(days=1)


async def finished(database: Database, name: str, status: str, age: timedelta) -> None:
    """A job named ``name`` that ended with ``status`` ``age`` ago (``age`` None: still pending)."""
    await enqueue(database, name)
    at = await now_of(database) - age
    async with database.engine.begin() as conn:
        await conn.execute(text("UPDATE jobs SET status = :status, done_at = :at"
                                " WHERE id = (SELECT max(id) FROM jobs)"), {"status": status, "at": at})


async def names(database: Database) -> set[str]:
    async with database.reader() as uow:
        return {str(job.payload["name"]) for job in await uow.jobs.list([PENDING, DONE, FAILED, CANCELLED], 100)}


async def chore_due_now(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE job_chores SET due_at = :at"), {"at": datetime(2000, 1, 1, tzinfo=UTC)})


async def test_finished_jobs_are_purged_after_their_retention_in_batches(database: Database) -> None:
    for n in range(5):
        await finished(database, f"done-{n}", DONE, 8 * DAY)
    await finished(database, "cancelled", CANCELLED, 8 * DAY)
    await finished(database, "done lately", DONE, 6 * DAY)
    await finished(database, "failed lately", FAILED, 20 * DAY)  # waits for `selfserve jobs retry`
    await finished(database, "failed long ago", FAILED, 31 * DAY)
    await enqueue(database, "pending")
    purger = Purger(database.unit_of_work, Retention(), batch=2)
    assert await purger.run_once() == 7
    assert await names(database) == {"done lately", "failed lately", "pending"}
    assert await purger.run_once() is None  # done for this period


async def test_seen_events_are_forgotten_after_a_day_with_the_jobs(database: Database) -> None:
    now = await now_of(database)
    async with database.unit_of_work() as uow:
        for n in range(5):
            assert await uow.seen_events.first_time(f"Ev-old-{n}", now - DAY - timedelta(minutes=1))
        assert await uow.seen_events.first_time("Ev-lately", now - timedelta(hours=23))
    await finished(database, "old", DONE, 8 * DAY)
    assert await Purger(database.unit_of_work, Retention(), batch=2).run_once() == 6  # 1 job, 5 events
    async with database.unit_of_work() as uow:
        assert not await uow.seen_events.first_time("Ev-lately", now)  # kept: a retry of it is still known
        assert await uow.seen_events.first_time("Ev-old-0", now)  # forgotten (Slack stopped retrying long ago)
    assert await names(database) == set()


async def test_one_process_purges_each_period(engine: AsyncEngine, database: Database) -> None:
    await finished(database, "old", DONE, 8 * DAY)
    async with Database(engine) as other:
        purgers = [Purger(db.unit_of_work, Retention(), every=timedelta(hours=1)) for db in (database, other)]
        assert sorted(await asyncio.gather(*(p.run_once() for p in purgers)), key=str) == [1, None]
        assert [await p.run_once() for p in purgers] == [None, None]
        await chore_due_now(engine)  # an hour later
        await finished(database, "older", DONE, 9 * DAY)
        assert sorted(await asyncio.gather(*(p.run_once() for p in purgers)), key=str) == [1, None]


async def test_a_running_engine_purges_by_itself(database: Database) -> None:
    await finished(database, "old", DONE, 8 * DAY)
    jobs = runner(database, Handler())
    await jobs.start()
    try:
        for _ in range(200):
            if not await names(database):
                break
            await asyncio.sleep(0.02)
        assert await names(database) == set()
    finally:
        await jobs.stop()


TOKENS: dict[str, Any] = {"slack_bot_token": "xoxb-1", "slack_signing_secret": "s"}


@pytest.mark.parametrize("value", ["0", "-1", "a week", "inf"])
def test_a_retention_must_be_days_above_zero(value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**{**TOKENS, "job_retention_days": value})  # as the environment gives it: text
    assert str(config_error(refused.value)).startswith("JOB_RETENTION_DAYS: must be a number of days above 0")


def test_retentions_default_to_a_week_and_a_month() -> None:
    settings = Settings(**{**TOKENS, "failed_job_retention_days": "45"})
    assert (settings.job_retention_days, settings.failed_job_retention_days) == (7.0, 45.0)
