"""Running groups of claimed jobs: one request's jobs for one handler run together, in order,
after the group of theirs started before; all other groups run concurrently, as tasks.

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
from dataclasses import dataclass
from functools import partial
from itertools import groupby

from domain.group_commit import GroupCommit
from domain.job_holds import Holds
from domain.job_outcomes import Recorded
from domain.jobs import JobHandler, Outcome, Retry, after_rate_limit, backoff
from domain.log_context import bind
from domain.records import Job, request_ref

logger = logging.getLogger(__name__)
Queued = tuple[Job, Outcome, "asyncio.Future[None]"]


@dataclass(frozen=True)
class Bookkeeping:
    """What the runner shares with its groups."""

    in_flight: set[int]
    """Claimed jobs not recorded yet; a group takes its jobs out once their outcomes are written."""
    started: set[int]
    """Jobs handed to a handler (a stop keeps their attempt counted)."""
    stopping: Callable[[], bool]
    wake: Callable[[], None]
    """Tells the claim loop to plan again (a retry's due time, a hold, a lease to wait for)."""
    finished: Callable[[], None]
    """A group is over: there is room again."""


class GroupRunner:
    def __init__(self, handlers: Mapping[str, JobHandler], holds: Holds, recorder: GroupCommit[Recorded],
                 books: Bookkeeping) -> None:
        self._handlers = handlers
        self._holds = holds
        self._recorder = recorder
        self._books = books
        self._started = books.started
        self._wake = books.wake
        self.running: set[asyncio.Task[None]] = set()
        self._chains: dict[tuple[int, int], asyncio.Task[None]] = {}  # the last group started per request+handler

    def start(self, jobs: list[Job], deadline: float) -> list[asyncio.Task[None]]:
        """Start a task per group of ``jobs``, each after the group of its request and handler
        started before (so a request's jobs keep their order), with ``deadline`` (loop time)."""
        def group_key(job: Job) -> tuple[int, int]:
            request = job.request_id if job.request_id is not None else -job.id
            return request, id(self._handlers[job.kind])

        tasks = []
        for key, group in groupby(sorted(sorted(jobs, key=lambda job: job.id), key=group_key), key=group_key):
            task = asyncio.get_running_loop().create_task(
                self._run_group(list(group), deadline, self._chains.get(key)), name="jobs-group")
            self._chains[key] = task
            self.running.add(task)
            task.add_done_callback(partial(self._finished, key))
            tasks.append(task)
        return tasks

    def _finished(self, key: tuple[int, int], task: asyncio.Task[None]) -> None:
        self.running.discard(task)
        if self._chains.get(key) is task:
            del self._chains[key]
        self._books.finished()

    async def _run_group(self, jobs: list[Job], deadline: float, after: asyncio.Task[None] | None) -> None:
        """One group, once ``after`` (its previous one) is over; never raises (failures become retries)."""
        if after is not None:
            await asyncio.wait({after})
        if self._books.stopping():
            return  # left in flight: the runner's stop hands them back
        if jobs[0].request_id is not None:  # this task's own context: the group's log lines name the request
            bind(request=request_ref(jobs[0].request_id))
        queued = await self._outcomes(jobs, deadline)
        self._recorder.flush()  # the group is over: nothing more to wait for
        results = await asyncio.gather(*(future for _, _, future in queued), return_exceptions=True)
        for (job, outcome, _), result in zip(queued, results, strict=True):
            self._books.in_flight.discard(job.id)
            self._started.discard(job.id)
            if isinstance(result, BaseException):
                # Recording failed (the database may be briefly away): the lease brings the job back.
                logger.error("job outcome could not be recorded", exc_info=result)
                self._wake()  # plan for when its lease ends
            elif isinstance(outcome, Retry):
                self._wake()  # the loop must plan for the new due time

    async def _outcomes(self, jobs: list[Job], deadline: float) -> list[Queued]:
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
