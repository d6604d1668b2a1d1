"""A job-runner process for the multi-process tests:
``python -m tests.job_worker_process URL OUT [LEASE_SECONDS] [hang]``.

Runs every ``test.job`` it can claim, appending ``<job id> <attempts> <pid>`` to OUT for each
run (O_APPEND: whole lines from several processes never interleave), until the table has had
no pending job for a second. With ``hang`` it never finishes a job: the test kills it.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncGenerator, Sequence
from datetime import timedelta

from domain.job_runner import JobRunner
from domain.jobs import Done, Outcome
from domain.records import Job
from storage.database import Database
from storage.engine import create_engine
from storage.unit_of_work import UnitOfWork
from tests.worker_process import LineLog, serve_until_idle


class Appender:
    def __init__(self, path: str, hang: bool) -> None:
        self._log = LineLog(path)
        self._hang = hang

    async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        for job in jobs:
            self._log.write(job.id, job.attempts)
            await asyncio.sleep(3600 if self._hang else 0.01)  # a little work, so the processes overlap
            yield job, Done()


async def main(url: str, out: str, lease: float, hang: bool) -> None:
    engine = create_engine(url)
    async with Database(engine) as database:
        runner = JobRunner(database.unit_of_work, database.reader, {"test.job": Appender(out, hang)},
                           database.wakeup(), owner=f"worker:{os.getpid()}", batch_size=20,
                           lease=timedelta(seconds=lease), max_running=5)  # few at once: both take a share
        await serve_until_idle(runner, database, _jobs_left)
    await engine.dispose()


async def _jobs_left(uow: UnitOfWork) -> bool:
    stats = await uow.jobs.stats(uow.now())
    return bool(stats.due or stats.scheduled)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 60.0,
                     sys.argv[4:] == ["hang"]))
