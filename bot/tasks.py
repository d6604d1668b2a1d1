"""Work that runs after Slack has its ack.

Keeps a strong reference to every task (asyncio only keeps weak ones), logs failures
instead of losing them, and lets shutdown wait for what is in flight.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)


class TaskSupervisor:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("after-ack task %s failed", task.get_name(), exc_info=task.exception())

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for in-flight tasks (shutdown, tests); cancel what outlives ``timeout``."""
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)
