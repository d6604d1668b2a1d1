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


class Appender:
    def __init__(self, path: str, hang: bool) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        self._hang = hang

    async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        for job in jobs:
            os.write(self._fd, f"{job.id} {job.attempts} {os.getpid()}\n".encode())
            await asyncio.sleep(3600 if self._hang else 0.002)  # a little work, so the processes overlap
            yield job, Done()


async def main(url: str, out: str, lease: float, hang: bool) -> None:
    engine = create_engine(url)
    async with Database(engine) as database:
        runner = JobRunner(database.unit_of_work, database.reader, {"test.job": Appender(out, hang)},
                           database.wakeup(), owner=f"worker:{os.getpid()}", batch_size=20,
                           lease=timedelta(seconds=lease), max_running=10)  # few at once: both take a share
        await runner.start()
        print("ready", flush=True)
        idle_since = asyncio.get_running_loop().time()
        while asyncio.get_running_loop().time() - idle_since < 1.0:
            await asyncio.sleep(0.1)
            async with database.reader() as uow:
                stats = await uow.jobs.stats(uow.now())
            if stats.due or stats.scheduled or runner.busy:
                idle_since = asyncio.get_running_loop().time()
        await runner.stop()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 60.0,
                     sys.argv[4:] == ["hang"]))
