"""A process that runs only service-level timers, for the multi-process tests:
``python -m tests.sla_timer_process URL CATALOG OUT``.

Appends ``<job id> <kind> <pid>`` to OUT for each timer it runs (O_APPEND: whole lines from several
processes never interleave), until no timer has been due for a second.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncGenerator, Callable, Sequence

from domain.catalog import Catalog, load_catalog
from domain.job_runner import JobRunner
from domain.jobs import Outcome
from domain.ports import UnitOfWorkFactory
from domain.records import Job
from domain.service_levels import TIMER_KINDS
from domain.sla_timers import ServiceLevelTimers
from storage.database import Database
from storage.engine import create_engine
from storage.unit_of_work import UnitOfWork
from tests.worker_process import LineLog, serve_until_idle


class Recorded(ServiceLevelTimers):
    def __init__(self, out: str, catalog: Callable[[], Catalog], unit_of_work: UnitOfWorkFactory) -> None:
        super().__init__(catalog, unit_of_work)
        self._log = LineLog(out)

    async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        async for job, outcome in super().run(jobs):
            self._log.write(job.id, job.kind)
            yield job, outcome


async def main(url: str, catalog_path: str, out: str) -> None:
    catalog = load_catalog(catalog_path)
    engine = create_engine(url)
    async with Database(engine) as database:
        timers = Recorded(out, lambda: catalog, database.unit_of_work)
        runner = JobRunner(database.unit_of_work, database.reader, dict.fromkeys(TIMER_KINDS, timers),
                           database.wakeup(), owner=f"timers:{os.getpid()}", batch_size=5)
        await serve_until_idle(runner, database, _timers_due)
    await engine.dispose()


async def _timers_due(uow: UnitOfWork) -> bool:
    due = await uow.jobs.next_due(TIMER_KINDS)
    return due is not None and due <= uow.now()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
