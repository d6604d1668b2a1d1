"""What the multi-process tests' worker processes share: whole lines appended to one file from
several processes (O_APPEND: they never interleave), and a job runner served until it has had
nothing to do for a while."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable

from domain.job_runner import JobRunner
from storage.database import Database
from storage.unit_of_work import UnitOfWork


class LineLog:
    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)

    def write(self, *fields: object) -> None:
        """One line: the fields and this process's id."""
        os.write(self._fd, (" ".join(map(str, (*fields, os.getpid()))) + "\n").encode())


async def serve_until_idle(runner: JobRunner, database: Database,
                           work_left: Callable[[UnitOfWork], Awaitable[bool]], quiet: float = 1.0) -> None:
    """Start ``runner``, say ``ready`` on stdout, and stop it once it has been idle and
    ``work_left`` has said no for ``quiet`` seconds."""
    await runner.start()
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    idle_since = loop.time()
    while loop.time() - idle_since < quiet:
        await asyncio.sleep(0.1)
        async with database.reader() as uow:
            busy = runner.busy or await work_left(uow)
        if busy:
            idle_since = loop.time()
    await runner.stop()
