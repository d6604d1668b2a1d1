"""The engine purges finished jobs itself: done and cancelled ones after ``Retention.done``,
failed ones (which wait for ``selfserve jobs retry``) after ``Retention.failed``. The audit log
keeps what they did; the job table only needs what is still to do. The same chore forgets the
Events API deliveries remembered to relay a retried one once (``seen_events``), after
``Retention.seen_events``.

Every process looks about once an ``every``; the first to find the chore due takes it (one
conditional update of its row), so one process purges per period, and a process that dies
mid-purge leaves the rest for the next run. Rows go in batches of ``batch``, each its own short
transaction that skips rows another one holds, so nobody waits on a long delete; a run stops
after ``max_batches`` and leaves the rest to the next.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from domain.ports import UnitOfWork, UnitOfWorkFactory

logger = logging.getLogger(__name__)
CHORE = "purge"


@dataclass(frozen=True)
class Retention:
    done: timedelta = timedelta(days=7)
    failed: timedelta = timedelta(days=30)
    seen_events: timedelta = timedelta(days=1)
    """Slack retries an unanswered delivery at most three times (at once, after a minute, after five
    minutes; Socket Mode alike), always with the same event id, so an id older than a few minutes
    never comes back. A day leaves a wide margin (a process paused or a clock off by hours) and is
    still few rows; forgetting an id while Slack may still retry it would relay that retry twice."""


DEFAULT_RETENTION = Retention()


class Purger:
    def __init__(self, unit_of_work: UnitOfWorkFactory, retention: Retention, *,
                 every: timedelta = timedelta(hours=1), batch: int = 500, max_batches: int = 200) -> None:
        self._uow = unit_of_work
        self._retention = retention
        self._every = every
        self._batch = batch
        self._max_batches = max_batches

    async def run(self) -> None:
        """Purge whenever it is this process's turn, until cancelled."""
        while True:
            try:
                await self.run_once()
            except Exception:  # the database may be briefly away: the next look tries again
                logger.exception("purging finished jobs failed")
            # Spread over half a period so processes started together do not look together.
            await asyncio.sleep(self._every.total_seconds() * random.uniform(0.5, 1.0))

    async def run_once(self) -> int | None:
        """Purge if the chore is due and this process takes it: how many rows went, jobs and seen
        events together (None: not this process's turn)."""
        async with self._uow() as uow:
            now = uow.now()
            if not await uow.jobs.take_chore(CHORE, now, now + self._every):
                return None
        done_before, failed_before = now - self._retention.done, now - self._retention.failed
        seen_before = now - self._retention.seen_events
        jobs = await self._in_batches(lambda uow: uow.jobs.purge(done_before, failed_before, self._batch))
        events = await self._in_batches(lambda uow: uow.seen_events.purge(seen_before, self._batch))
        if jobs or events:
            logger.info("purged %d finished jobs and %d seen events", jobs, events)
        return jobs + events

    async def _in_batches(self, purge: Callable[[UnitOfWork], Awaitable[int]]) -> int:
        """``purge`` a batch at a time, each its own transaction, until one comes short (or
        ``max_batches``); how many rows went."""
        purged = 0
        for _ in range(self._max_batches):
            async with self._uow() as uow:
                deleted = await purge(uow)
            purged += deleted
            if deleted < self._batch:
                break
            await asyncio.sleep(0)  # let other work in between batches
        return purged
