"""Performing one group of jobs (one request's, for one handler) and queueing each outcome.

The handler yields each job's outcome as soon as it is known, and each is queued for recording
at once, so a crash can repeat at most the job in hand. A handler that raises, overruns the
claim's lease or skips jobs gets the rest retried. A rate limit stops the group: its kind is held
back (``domain.job_holds``), and the jobs not asked for yet wait with it, uncounted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping

from domain.group_commit import GroupCommit
from domain.job_holds import Holds
from domain.job_outcomes import Recorded
from domain.jobs import JobHandler, Outcome, Retry, after_rate_limit, backoff
from domain.records import Job

logger = logging.getLogger(__name__)
Queued = tuple[Job, Outcome, "asyncio.Future[None]"]


class GroupRunner:
    def __init__(self, handlers: Mapping[str, JobHandler], holds: Holds, recorder: GroupCommit[Recorded],
                 started: set[int], wake: Callable[[], None]) -> None:
        """``started`` collects the ids of jobs handed to a handler (a stop keeps their attempt
        counted); ``wake`` tells the claim loop to plan again (a hold began)."""
        self._handlers = handlers
        self._holds = holds
        self._recorder = recorder
        self._started = started
        self._wake = wake

    async def run(self, jobs: list[Job], deadline: float) -> list[Queued]:
        """Every job of the group with its outcome and the future of its recording; never raises."""
        queued: list[Queued] = []
        left = {job.id: job for job in jobs}
        kind = jobs[0].kind
        error = None if self._holds.remaining(kind) else await self._perform(jobs, deadline, left, queued)
        for job in left.values():
            self._queue(queued, job, self._not_performed(kind, error))
        return queued

    async def _perform(self, jobs: list[Job], deadline: float, left: dict[int, Job],
                       queued: list[Queued]) -> str | None:
        """Hand ``jobs`` to their handler and queue each outcome it yields (taking the job out of
        ``left``); returns what cut the group short, if anything. After a rate limit the rest of
        the group is not asked for: the kind is held back, and they wait with it."""
        kind = jobs[0].kind
        self._started |= set(left)
        try:
            async with asyncio.timeout_at(deadline), \
                    contextlib.aclosing(self._handlers[kind].run(jobs)) as outcomes:
                async for job, outcome in outcomes:
                    if left.pop(job.id, None) is None:
                        continue
                    if isinstance(outcome, Retry) and outcome.rate_limited:
                        self._queue(queued, job, self._hold_back(kind, job, outcome))
                        return None
                    self._queue(queued, job, outcome)
        except TimeoutError:
            return "timed out before its lease could run out"
        except Exception as failure:
            logger.exception("job handler for %s failed", kind)
            return f"{type(failure).__name__}: {failure}"
        return None

    def _hold_back(self, kind: str, job: Job, limited: Retry) -> Retry:
        """Slack said "not before T" (no T: the backoff's): no job of ``kind`` runs here until then."""
        pause = backoff(job.tries) if limited.after is None else limited.after
        self._holds.hold(kind, pause)
        self._wake()  # the loop plans for the hold's end
        return Retry(limited.error, after_rate_limit(pause), rate_limited=True)

    def _not_performed(self, kind: str, error: str | None) -> Retry:
        """The outcome of a job its handler never reported on: held back with its kind (not
        counted), or retried (counted: it may have been what broke the handler)."""
        pause = self._holds.remaining(kind)
        if error is None and pause:
            return Retry(f"held back: {kind} is rate limited", after_rate_limit(pause), rate_limited=True)
        return Retry(error or "not performed")

    def _queue(self, queued: list[Queued], job: Job, outcome: Outcome) -> None:
        queued.append((job, outcome, self._recorder.add(Recorded(job, outcome))))
