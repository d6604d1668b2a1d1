"""NOTIFY (PostgreSQL) is sent only when another process may need to act: for jobs no runner of
the committing process will take, after ``selfserve jobs retry``, and when a stopping process
gives jobs back. Jobs the committing process runs itself (at once, or later) send nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.job_desk import JobDesk
from domain.jobs import DONE, FAILED, Fail
from storage.database import Database
from storage.driver.postgres import PostgresDriver
from storage.repositories.job_statements import CHANNEL
from tests.test_jobs import Handler, _until, enqueue, runner, states, stuck_in


@pytest.fixture
async def notifications(database: Database) -> AsyncIterator[list[str]]:
    """Every NOTIFY on the jobs channel of the test's database, as it arrives."""
    heard: list[str] = []
    assert isinstance(database.driver, PostgresDriver)  # the module is collected only on PostgreSQL
    connection = await asyncpg.connect(**database.driver.connect_options)
    await connection.add_listener(CHANNEL, lambda *_: heard.append("notify"))
    yield heard
    await connection.close()


async def settled(database: Database, names: Sequence[str]) -> None:
    while True:
        now = await states(database)
        if all(now.get(name) == DONE for name in names):
            return
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_jobs_the_committing_process_runs_itself_wake_nobody(database: Database,
                                                                   notifications: list[str]) -> None:
    handler = Handler()
    jobs = runner(database, handler, idle_wait=30.0)
    database.run_jobs_in(jobs)
    await jobs.start()
    try:
        await enqueue(database, "now")
        await enqueue(database, "soon", due_in=0.2)  # this process's runner is woken for it in-process
        await asyncio.wait_for(settled(database, ["now", "soon"]), 5)
        await asyncio.sleep(0.1)
        assert notifications == []
        async with database.unit_of_work() as uow:
            uow.enqueue("nobody.here", None, {"name": "for another version"})
        await asyncio.wait_for(_until(lambda: len(notifications) == 1), 3)
    finally:
        await jobs.stop()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_retried_job_wakes_an_idle_runner_of_another_process(engine: AsyncEngine, database: Database,
                                                                     notifications: list[str]) -> None:
    await enqueue(database, "bad")
    assert await runner(database, Handler({"bad": Fail("channel_not_found")})).run_once() == 1
    handler = Handler()
    jobs = runner(database, handler, idle_wait=30.0)
    await jobs.start()
    try:
        await asyncio.sleep(0.2)  # idle now, for 30 s
        async with Database(engine) as cli:
            async with cli.reader() as uow:
                [failed] = await uow.jobs.list([FAILED], 1)
            await JobDesk(cli.unit_of_work, cli.reader).retry(failed.id, "cli:test")
        await asyncio.wait_for(handler.ran_event.wait(), 3)
    finally:
        await jobs.stop()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_jobs_given_back_on_stop_are_taken_at_once_by_another_process(engine: AsyncEngine,
                                                                           database: Database) -> None:
    leaving, stuck = await stuck_in(database, "handed over")
    async with Database(engine) as other:
        handler = Handler()
        staying = runner(other, handler, idle_wait=30.0)
        staying.owner = "test:2"
        await staying.start()
        try:
            await asyncio.sleep(0.2)  # idle until the lease would end, 30 s from now
            await leaving.stop(grace=0.1)
            await asyncio.wait_for(handler.ran_event.wait(), 3)
        finally:
            stuck.release.set()
            await staying.stop()
