"""Drains the outbox: delivers jobs, records their outcome, retries what can succeed later.

Jobs committed by this process are born leased to it and handed over by ``dispatch`` the
moment their transaction commits, so notifications leave within milliseconds and without a
claim round trip; a slow poll claims the rest (jobs left by a crash, another process's, or
retries that came due).
Jobs of one request run in order and their outcomes are recorded in one transaction;
different requests run concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from itertools import groupby

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.notifier import Delivery, Outcome
from domain.records import AuditEntry, MessageRecord, OutboxJob, request_ref
from storage.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                              "request_timeout"})


class OutboxWorker:
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        deliver: Callable[[Sequence[OutboxJob]], Awaitable[list[Outcome]]],
        *,
        poll_interval: float = 2.0,
        lease: timedelta = timedelta(seconds=60),
        batch_size: int = 50,
        max_attempts: int = 8,
    ) -> None:
        self._uow = unit_of_work
        self._deliver = deliver
        self._poll_interval = poll_interval
        self.lease = lease
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[int] = set()
        self._dispatched: set[asyncio.Task[None]] = set()
        self._stopping = False

    @property
    def busy(self) -> bool:
        """Whether claimed jobs are still being delivered."""
        return bool(self._in_flight)

    def dispatch(self, jobs: list[OutboxJob]) -> None:
        """Deliver ``jobs``, just committed and already leased to this process, right away.

        If the worker is not running they are handed back at once for whoever polls next.
        """
        self._in_flight |= {job.id for job in jobs}
        work = self._deliver_batch(jobs) if self._task is not None and not self._stopping else self._release()
        task = asyncio.get_running_loop().create_task(work, name="outbox-dispatch")
        self._dispatched.add(task)
        task.add_done_callback(self._dispatched.discard)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox-worker")

    async def stop(self, grace: float = 5.0) -> None:
        """Finish the job in hand (cancelling mid-transaction could leave a lock behind), then
        hand back claimed jobs not yet started so the next process takes them at once instead
        of after their lease (a crash, by contrast, waits for the lease)."""
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            running = {self._task, *self._dispatched}
            self._task = None
            _, late = await asyncio.wait(running, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        await self._release()

    async def _release(self) -> None:
        if self._in_flight:
            ids = sorted(self._in_flight)
            async with self._uow() as uow:
                await uow.outbox.release(ids)
            self._in_flight -= set(ids)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                while await self.run_once() == self._batch_size and not self._stopping:
                    pass
            except Exception:  # the database may be briefly away; keep the worker alive
                logger.exception("outbox pass failed; retrying at the next poll")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_interval)
            self._wake.clear()

    async def run_once(self) -> int:
        """Claim one batch of due jobs and deliver it; returns how many were claimed."""
        claimed: set[int] = set()
        try:
            async with self._uow() as uow:
                jobs = await uow.outbox.claim(uow.now(), self.lease, self._batch_size)
                claimed = {job.id for job in jobs}
                self._in_flight |= claimed  # before the commit, so `busy` never lies
        except Exception:
            self._in_flight -= claimed
            raise
        await self._deliver_batch(jobs)
        return len(jobs)

    async def _deliver_batch(self, jobs: list[OutboxJob]) -> None:
        by_request = [list(group) for _, group in groupby(sorted(jobs, key=_request_key), key=_request_key)]
        results = await asyncio.gather(*(self._deliver_request(group) for group in by_request),
                                       return_exceptions=True)
        for error in (r for r in results if isinstance(r, Exception)):
            # Recording failed (the database may be briefly away): the lease brings the jobs back.
            logger.error("outbox delivery could not be recorded", exc_info=error)

    async def _deliver_request(self, jobs: list[OutboxJob]) -> None:
        """One request's jobs, in order, then one transaction recording every outcome.

        A group not yet started when ``stop`` begins stays in flight and is released by it.
        If recording fails, the jobs keep their lease and are delivered again after it
        (at least once; the notifier skips approval DMs it finds already posted).
        """
        if self._stopping:
            return
        try:
            outcomes = await self._deliver(jobs)
            await self._record(outcomes)
        finally:
            self._in_flight -= {job.id for job in jobs}

    async def _record(self, outcomes: Sequence[Outcome]) -> None:
        async with self._uow() as uow:
            now = uow.now()
            done: list[int] = []
            posted: list[MessageRecord] = []
            for job, outcome in outcomes:
                if isinstance(outcome, Delivery):
                    posted += outcome.messages
                    for entry in outcome.audit:
                        uow.audit(entry)
                    done.append(job.id)
                else:
                    await self._record_failure(uow, job, outcome)
            await uow.requests.add_messages(posted, now)
            await uow.outbox.complete(done, now)

    async def _record_failure(self, uow: UnitOfWork, job: OutboxJob, error: Exception) -> None:
        retry_in = _retry_delay(error, job.attempts)
        permanent = retry_in is None or job.attempts >= self._max_attempts
        if not isinstance(error, (SlackApiError, aiohttp.ClientError, asyncio.TimeoutError)):
            logger.error("outbox job %s (%s) failed", job.id, job.kind, exc_info=error)
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
