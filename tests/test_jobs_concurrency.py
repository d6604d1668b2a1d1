"""The claim loop does not wait for the jobs it started: a slow one (a Slack call timing out)
must not hold up jobs that come due after it, and what runs at once is bounded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence

from domain.job_runner import JobRunner
from domain.jobs import DONE, Done, Outcome
from domain.records import Job
from storage.database import Database
from tests.test_jobs import Handler, _until, enqueue, states


class Blocking(Handler):
    """Jobs named ``slow…`` wait for ``release``; the others finish at once."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        for job in jobs:
            self.ran.append((job.id, job.attempts))
            if str(job.payload["name"]).startswith("slow"):
                await self.release.wait()
            yield job, Done()


async def done(database: Database, name: str) -> None:
    while (await states(database))[name] != DONE:
        await asyncio.sleep(0.02)


async def test_a_slow_job_does_not_hold_up_the_jobs_that_come_due_after_it(database: Database) -> None:
    handler = Blocking()
    jobs = JobRunner(database.unit_of_work, database.reader, {"test.job": handler}, database.wakeup(),
                     owner="test:1", idle_wait=30.0)
    await enqueue(database, "slow")  # claimed by the loop, not born claimed
    database.run_jobs_in(jobs)
    await jobs.start()
    try:
        await asyncio.wait_for(_until(lambda: len(handler.ran) == 1), 5)
        await enqueue(database, "timer", due_in=0.2)  # claimed by the loop too, while "slow" still runs
        await asyncio.wait_for(done(database, "timer"), 3)
        assert len(handler.ran) == 2
        handler.release.set()
        await asyncio.wait_for(_until(lambda: not jobs.busy), 5)
    finally:
        handler.release.set()
        await jobs.stop()
    assert await states(database) == {"slow": DONE, "timer": DONE}


async def test_the_loop_runs_at_most_max_running_jobs_at_once(database: Database) -> None:
    handler = Blocking()
    jobs = JobRunner(database.unit_of_work, database.reader, {"test.job": handler}, database.wakeup(),
                     owner="test:1", idle_wait=30.0, max_running=2)
    for n in range(5):
        await enqueue(database, f"slow-{n}")
    await jobs.start()
    try:
        await asyncio.wait_for(_until(lambda: len(handler.ran) == 2), 5)
        await asyncio.sleep(0.3)
        assert len(handler.ran) == 2
        async with database.reader() as uow:
            leased = [job for job in await uow.jobs.list(["pending"], 10) if job.lease_until is not None]
        assert len(leased) == 2  # the others are left for other processes meanwhile
        handler.release.set()
        await asyncio.wait_for(_until(lambda: len(handler.ran) == 5 and not jobs.busy), 5)
    finally:
        handler.release.set()
        await jobs.stop()
    assert set((await states(database)).values()) == {DONE}
