"""Drains the outbox: claims due jobs, delivers them, retries what can succeed later.

Handlers ``kick`` the worker right after their commit, so notifications leave within
milliseconds; a slow poll also picks up jobs left by a crash or by another process.
Jobs of one request run in order; different requests run concurrently.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta
from itertools import groupby
from typing import Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.notifier import Delivery
from storage.records import AuditEntry, OutboxJob, request_ref
from storage.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                              "request_timeout"})


class OutboxWorker:
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        deliver: Callable[[OutboxJob], Awaitable[Delivery]],
        *,
        poll_interval: float = 2.0,
        lease: timedelta = timedelta(seconds=60),
        batch_size: int = 50,
        max_attempts: int = 8,
    ) -> None:
        self._uow = unit_of_work
        self._deliver = deliver
        self._poll_interval = poll_interval
        self._lease = lease
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[int] = set()
        self._stopping = False

    @property
    def busy(self) -> bool:
        """Whether claimed jobs are still being delivered."""
        return bool(self._in_flight)

    def kick(self) -> None:
        """New jobs were committed: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox-worker")

    async def stop(self, grace: float = 5.0) -> None:
        """Finish the job in hand (cancelling mid-transaction could leave a lock behind), then
        hand back claimed jobs not yet started so the next process takes them at once instead
        of after their lease (a crash, by contrast, waits for the lease)."""
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), grace)
            except asyncio.TimeoutError:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._in_flight:
            async with self._uow() as uow:
                await uow.outbox.release(sorted(self._in_flight))
            self._in_flight.clear()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                while await self.run_once() == self._batch_size and not self._stopping:
                    pass
            except Exception:  # the database may be briefly away; keep the worker alive
                logger.exception("outbox pass failed; retrying at the next poll")
            try:
                await asyncio.wait_for(self._wake.wait(), self._poll_interval)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    async def run_once(self) -> int:
        """Claim one batch of due jobs and deliver it; returns how many were claimed."""
        claimed: set[int] = set()
        try:
            async with self._uow() as uow:
                jobs = await uow.outbox.claim(uow.now(), self._lease, self._batch_size)
                claimed = {job.id for job in jobs}
                self._in_flight |= claimed  # before the commit, so `busy` never lies
        except Exception:
            self._in_flight -= claimed
            raise
        by_request = [list(group) for _, group in groupby(sorted(jobs, key=_request_key), key=_request_key)]
        await asyncio.gather(*(self._deliver_in_order(group) for group in by_request))
        return len(jobs)

    async def _deliver_in_order(self, jobs: list[OutboxJob]) -> None:
        for job in jobs:
            if self._stopping:
                return  # released by stop()
            await self._deliver_one(job)

    async def _deliver_one(self, job: OutboxJob) -> None:
        try:
            delivery = await self._deliver(job)
        except Exception as error:
            await self._after_failure(job, error)
        else:
            await self._after_success(job, delivery)
        self._in_flight.discard(job.id)

    async def _after_success(self, job: OutboxJob, delivery: Delivery) -> None:
        async with self._uow() as uow:
            for message in delivery.messages:
                await uow.requests.add_message(message, uow.now())
            for entry in delivery.audit:
                uow.audit(entry)
            await uow.outbox.complete(job.id, uow.now())

    async def _after_failure(self, job: OutboxJob, error: Exception) -> None:
        retry_in = _retry_delay(error, job.attempts)
        permanent = retry_in is None or job.attempts >= self._max_attempts
        if not isinstance(error, (SlackApiError, aiohttp.ClientError, asyncio.TimeoutError)):
            logger.error("outbox job %s (%s) failed", job.id, job.kind, exc_info=error)
        async with self._uow() as uow:
            if permanent:
                await uow.outbox.fail(job.id, uow.now(), repr(error))
                ref = request_ref(job.request_id) if job.request_id else None
                uow.audit(AuditEntry("message_failed", "failed", None, ref,
                                     {"job": job.id, "kind": job.kind, "error": _describe(error)}))
            else:
                await uow.outbox.retry_later(job.id, uow.now() + timedelta(seconds=retry_in or 0), repr(error))


def _request_key(job: OutboxJob) -> int:
    return job.request_id or 0


def _describe(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error", "slack_error"))
    return type(error).__name__


def _retry_delay(error: Exception, attempts: int) -> float | None:
    """Seconds until the next try, or None when retrying cannot help."""
    backoff = min(300.0, 2.0 ** attempts) * random.uniform(0.5, 1.0)
    if isinstance(error, SlackApiError):
        if error.response.status_code == 429:
            return float(error.response.headers.get("Retry-After", backoff))
        if error.response.status_code >= 500 or error.response.get("error") in TRANSIENT_ERRORS:
            return backoff
        return None
    return backoff
