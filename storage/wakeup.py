"""Wake-ups for idle job runners: an in-process signal, plus LISTEN/NOTIFY on PostgreSQL.

A runner sleeps until its next job is due; what can make work due sooner is a commit (a new
job, a retry from the CLI, jobs a stopping process gives back). A commit in this process wakes
it directly. On PostgreSQL, a commit that leaves work for other processes sends ``NOTIFY
selfserve_jobs`` (see ``storage.unit_of_work`` and ``storage.repositories.jobs``) and every
runner LISTENs on one connection of its own. SQLite has no such signal across
processes: a job another process commits there is seen at the runner's next planned look
(at most ``JobRunner.idle_wait`` later).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from typing import Any

import asyncpg

from storage.repositories.job_statements import CHANNEL

logger = logging.getLogger(__name__)
RECONNECT_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0)


class LocalWakeup:
    """Woken only from this process."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    async def start(self) -> None:
        return None

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)
        self._event.clear()

    def wake(self) -> None:
        self._event.set()

    async def close(self) -> None:
        self._event.set()


class PostgresWakeup(LocalWakeup):
    """Also woken by ``NOTIFY selfserve_jobs`` from any process, on a LISTEN connection of its
    own that is reopened when lost (waking the runner, since notifications may have been missed)."""

    def __init__(self, connect: dict[str, Any]) -> None:
        super().__init__()
        self._connect = connect
        self._connection: asyncpg.Connection | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self._closed = False

    async def start(self) -> None:
        await self._listen()
        self._keeper = asyncio.get_running_loop().create_task(self._keep_listening(), name="jobs-listen")

    async def _listen(self) -> None:
        connection = await asyncpg.connect(**self._connect)
        connection.add_termination_listener(lambda _: self._lost.set())
        await connection.add_listener(CHANNEL, self._notified)
        self._connection = connection
        self._lost.clear()

    def _notified(self, *_: object) -> None:
        self.wake()

    async def _keep_listening(self) -> None:
        while not self._closed:
            await self._lost.wait()
            if self._closed:
                return
            for delay in itertools.chain(RECONNECT_SECONDS, itertools.repeat(RECONNECT_SECONDS[-1])):
                await asyncio.sleep(delay)
                try:
                    await self._listen()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                    logger.warning("job wake-ups: cannot LISTEN again yet (%s)", type(error).__name__)
                    continue
                self.wake()  # notifications sent while we were away are lost: look now
                break

    async def close(self) -> None:
        self._closed = True
        self._lost.set()
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
        if self._connection is not None:
            with contextlib.suppress(Exception):  # closing a connection the server already dropped
                await asyncio.wait_for(self._connection.close(), 5)
        await super().close()
