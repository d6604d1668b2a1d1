"""The durable work engine: claims due jobs, hands them to their handlers, records outcomes.

* Jobs committed by this process and due at once are born claimed by it and handed over by
  ``dispatch`` the moment their transaction commits: no claim round trip, no poll.
* Everything else (timers, retries that came due, jobs of a process that died, jobs another
  process committed) is claimed by the loop, only of the kinds this process has a handler for (in
  a rolling deploy a newer replica may know a kind this one does not: it is left to that one).
  The loop sleeps until the earliest pending job of those kinds can be claimed, or until woken
  (``domain.ports.Wakeup``), or at most ``idle_wait``.
* A request's jobs for one handler run in order; different requests run concurrently. Each
  outcome is recorded as soon as the handler yields it (group-committed with the outcomes of
  other requests finishing meanwhile), fenced by the claim's attempt count.
* The loop claims and starts jobs without waiting for them, so a slow job (a Slack call timing
  out) holds up nothing else; ``max_running`` bounds what it has claimed and not finished.
* A handler has until ``lease * 3/4`` after the claim for a group, so it never works on a job
  whose lease may have passed to another process; what it did not finish is retried.
* Retrying means moving the job's due time in the database; nothing waits in memory.
* A job claimed with its attempts already spent (each run died before reporting: a process that
  crashes on it, a lease that keeps running out) is failed at the claim instead of run again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta

from domain.group_commit import GroupCommit
from domain.job_groups import Bookkeeping, GroupRunner
from domain.job_holds import Holds
from domain.job_outcomes import OutcomeWriter, Recorded
from domain.job_purge import DEFAULT_RETENTION, Purger, Retention
from domain.jobs import FailureHook, JobHandler
from domain.ports import UnitOfWork, UnitOfWorkFactory, Wakeup
from domain.records import Job

logger = logging.getLogger(__name__)
OUTCOME_LINGER_SECONDS = 0.05
"""How long an outcome may wait for the rest of its group (and others finishing meanwhile) to
share its transaction; a group that finishes sooner is written at once. A request's jobs finish
a few milliseconds apart (one Slack call each), so writing each alone cost a click 2.7 write
transactions instead of 2 and 22% more CPU. Each job still gets its own record. A crash in this
window is covered like any other: the job is retried and finds its earlier post by its key."""


class JobRunner:
    def __init__(
        self,
        unit_of_work: UnitOfWorkFactory,
        reader: UnitOfWorkFactory,
        handlers: Mapping[str, JobHandler],
        wakeup: Wakeup,
        owner: str,
        *,
        lease: timedelta = timedelta(seconds=60),
        batch_size: int = 50,
        max_attempts: int = 8,
        idle_wait: float = 60.0,
        max_running: int = 200,
        retention: Retention = DEFAULT_RETENTION,
        on_failure: Mapping[str, FailureHook] | None = None,
    ) -> None:
        """``handlers`` maps each job kind to the adapter that performs it; ``owner`` names this
        process in the table (host and pid); ``idle_wait`` bounds a sleep, for what no wake-up
        can signal (a lease running out, a job committed by another process on SQLite);
        ``max_running`` bounds the jobs claimed by the loop and not finished yet (jobs born claimed
        here count, but are never refused: they are leased to this process already); finished
        jobs are purged after ``retention`` (``domain.job_purge``); ``on_failure``
        maps a kind to what the failure of one of its jobs changes besides."""
        self._uow = unit_of_work
        self._reader = reader
        self._handlers = dict(handlers)
        self._kinds = tuple(sorted(self._handlers))
        self._wakeup = wakeup
        self.owner = owner[:64]  # the column's size; a long host name must not fail every change
        self.lease = lease
        self._batch_size = batch_size
        self._max_running = max_running
        self._idle_wait = idle_wait
        self._outcomes = OutcomeWriter(max_attempts, on_failure)
        self._holds = Holds()
        self._recorder = GroupCommit[Recorded](unit_of_work, self._write_outcomes, name="job-outcomes",
                                               linger=OUTCOME_LINGER_SECONDS)
        self._in_flight: set[int] = set()  # claimed here and not recorded yet
        self._started: set[int] = set()  # of those, handed to their handler
        self._full = False  # the loop found no room and waits for a group to finish
        self._stopping = False
        self._groups = GroupRunner(self._handlers, self._holds, self._recorder, Bookkeeping(
            self._in_flight, self._started, lambda: self._stopping, wakeup.wake, self._room))
        self.purger = Purger(unit_of_work, retention)
        self._loop_task: asyncio.Task[None] | None = None
        self._purge_task: asyncio.Task[None] | None = None
        self._releases: set[asyncio.Task[None]] = set()

    @property
    def busy(self) -> bool:
        """Whether claimed jobs are still running or being recorded."""
        return bool(self._in_flight)

    def dispatch(self, jobs: list[Job]) -> None:
        """Run ``jobs``, just committed and already claimed by this process. If the runner is
        not running they are handed back at once for whoever claims next."""
        self._in_flight |= {job.id for job in jobs}
        if self._loop_task is not None and not self._stopping:
            self._groups.start(jobs, self._deadline())
            return
        task = asyncio.get_running_loop().create_task(self._release([job.id for job in jobs]), name="jobs-release")
        self._releases.add(task)
        task.add_done_callback(self._releases.discard)

    def handles(self, kind: str) -> bool:
        """Whether jobs of ``kind`` committed here are run here (not while stopped or stopping)."""
        return kind in self._handlers and self._loop_task is not None and not self._stopping

    def wake(self) -> None:
        self._wakeup.wake()

    async def start(self) -> None:
        await self._wakeup.start()
        self._loop_task = asyncio.get_running_loop().create_task(self._loop(), name="jobs-loop")
        self._purge_task = asyncio.get_running_loop().create_task(self.purger.run(), name="jobs-purge")

    async def stop(self, grace: float = 5.0) -> None:
        """Let running jobs finish (up to ``grace``), then hand back what is left so the next
        process takes it at once instead of after the lease (a crash waits for the lease)."""
        if self._purge_task is not None:
            self._purge_task.cancel()
            await asyncio.gather(self._purge_task, return_exceptions=True)
            self._purge_task = None
        if self._loop_task is not None:
            self._stopping = True
            self._wakeup.wake()
            running = {self._loop_task, *self._groups.running, *self._releases}
            self._loop_task = None
            _, late = await asyncio.wait(running, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            await self._wakeup.close()
            async with self._uow() as uow:
                await uow.jobs.notify()  # timers this process planned for are the others' now
        await self._release(sorted(self._in_flight))

    async def _loop(self) -> None:
        """Claim what there is room for and start it without waiting for it (a slow job must not
        hold up the others), until nothing more is due or there is no room; then sleep."""
        while not self._stopping:
            try:
                while not self._stopping and await self._claim_batch():
                    pass
                wait = self._idle_wait if self._full else await self._until_next_due()
            except Exception:  # the database may be briefly away; keep the runner alive
                logger.exception("job claim failed; trying again shortly")
                wait = min(2.0, self._idle_wait)
            if not self._stopping:
                await self._wakeup.wait(wait)

    async def _until_next_due(self) -> float:
        """Seconds until a job this process may run can be claimed, or a rate-limit hold ends."""
        wait = min(self._idle_wait, self._holds.next_end() or self._idle_wait)
        kinds = self._holds.free(self._kinds)
        if not kinds:
            return wait
        async with self._reader() as uow:
            at = await uow.jobs.next_due(kinds)
            now = uow.now()
        return wait if at is None else min(wait, max(0.01, (at - now).total_seconds()))

    async def _claim_batch(self) -> bool:
        """Claim up to a batch, as far as there is room, and start it; True if more may be due."""
        room = min(self._batch_size, self._max_running - len(self._in_flight))
        self._full = room <= 0
        if self._full:
            return False
        count, jobs = await self._claim(room)
        self._groups.start(jobs, self._deadline())
        return count == room

    def _room(self) -> None:
        """A group finished: if the loop waits for room, it may claim again."""
        if self._full:
            self._full = False
            self._wakeup.wake()

    def _deadline(self) -> float:
        """When handlers must be done with jobs claimed now: well before their lease ends."""
        return asyncio.get_running_loop().time() + self.lease.total_seconds() * 0.75

    async def run_once(self) -> int:
        """Claim one batch of due jobs and run it to the end; returns how many were claimed."""
        count, jobs = await self._claim(self._batch_size)
        await asyncio.gather(*self._groups.start(jobs, self._deadline()))
        return count

    async def _claim(self, limit: int) -> tuple[int, list[Job]]:
        """Claim up to ``limit`` due jobs; fail those whose attempts are spent. Returns how many
        were claimed, and those to run."""
        claimed: set[int] = set()
        kinds = self._holds.free(self._kinds)  # a kind held back by a rate limit is not claimed
        if not kinds:
            return 0, []
        cap = self._outcomes.max_attempts
        try:
            async with self._uow() as uow:
                jobs = await uow.jobs.claim(uow.now(), self.lease, self.owner, limit, kinds)
                for job in (job for job in jobs if job.tries > cap):
                    await self._outcomes.fail(uow, job, f"gave up after {job.tries - 1} attempts: the last one never"
                                                        " reported (its process stopped or lost its lease)", ())
                runnable = [job for job in jobs if job.tries <= cap]
                claimed = {job.id for job in runnable}
                self._in_flight |= claimed  # before the commit, so `busy` never lies
        except Exception:
            self._in_flight -= claimed
            raise
        return len(jobs), runnable

    async def _write_outcomes(self, uow: UnitOfWork, recorded: Sequence[Recorded]) -> None:
        await self._outcomes.write(uow, recorded)

    async def _release(self, job_ids: list[int]) -> None:
        """Hand back claimed jobs: those never started without counting the attempt; a started
        one (cut off by a stop) stays counted, so its handler looks for an earlier effect."""
        if not job_ids:
            return
        started = [job_id for job_id in job_ids if job_id in self._started]
        unstarted = [job_id for job_id in job_ids if job_id not in self._started]
        async with self._uow() as uow:
            await uow.jobs.release(unstarted, self.owner, keep_attempt=False)
            await uow.jobs.release(started, self.owner, keep_attempt=True)
        self._in_flight -= set(job_ids)
        self._started -= set(job_ids)

