"""A process that runs only service-level timers, for the multi-process tests:
``python -m tests.sla_timer_process URL CATALOG OUT``.

Appends ``<job id> <kind> <pid>`` to OUT for each timer it runs (O_APPEND: whole lines from several
processes never interleave), until no timer has been due for a second.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncGenerator, Sequence

from domain.catalog import load_catalog
from domain.job_runner import JobRunner
from domain.jobs import Outcome
from domain.records import Job
from domain.service_levels import TIMER_KINDS
from domain.sla_timers import ServiceLevelTimers
from storage.database import Database
from storage.engine import create_engine


class Recorded(ServiceLevelTimers):
    def __init__(self, out: str, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self._fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT)

    async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        async for job, outcome in super().run(jobs):
            os.write(self._fd, f"{job.id} {job.kind} {os.getpid()}\n".encode())
            yield job, outcome


async def main(url: str, catalog_path: str, out: str) -> None:
    catalog = load_catalog(catalog_path)
    engine = create_engine(url)
    async with Database(engine) as database:
        timers = Recorded(out, lambda: catalog, database.unit_of_work)
        runner = JobRunner(database.unit_of_work, database.reader, dict.fromkeys(TIMER_KINDS, timers),
                           database.wakeup(), owner=f"timers:{os.getpid()}", batch_size=5)
        await runner.start()
        print("ready", flush=True)
        idle_since = asyncio.get_running_loop().time()
        while asyncio.get_running_loop().time() - idle_since < 1.0:
            await asyncio.sleep(0.1)
            async with database.reader() as uow:
                due = await uow.jobs.next_due(TIMER_KINDS)
                if runner.busy or (due is not None and due <= uow.now()):
                    idle_since = asyncio.get_running_loop().time()
        await runner.stop()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
