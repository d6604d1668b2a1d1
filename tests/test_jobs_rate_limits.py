"""Rate limits (a 429 with Retry-After) on real databases: not counted toward the attempt cap
but still fenced, jittered backoff, and a kind held back after one of its jobs was limited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from datetime import timedelta

from domain.job_runner import JobRunner
from domain.jobs import DONE, PENDING, Done, Outcome, Retry, backoff
from domain.records import Job
from storage.database import Database
from tests.harness import Harness
from tests.test_driver import _new_request
from tests.test_e2e_approval_flow import GOOD
from tests.test_jobs import Handler, enqueue, now_of, runner, states

LIMITED = Retry("ratelimited", after=0.0, rate_limited=True)


class LimitedFirst(Handler):
    """Rate limited on the first ``limits`` runs of every job, then done."""

    def __init__(self, limits: int) -> None:
        super().__init__()
        self.limits = limits

    async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        for job in jobs:
            self.ran.append((job.id, job.attempts))
            yield job, LIMITED if len(self.ran) <= self.limits else Done()


async def test_rate_limits_do_not_use_up_a_jobs_attempts(database: Database) -> None:
    handler = LimitedFirst(limits=6)
    jobs = runner(database, handler, max_attempts=3)
    await enqueue(database, "busy")
    for _ in range(7):
        assert await jobs.run_once() == 1
    assert await states(database) == {"busy": DONE}
    assert [attempts for _, attempts in handler.ran] == [1, 2, 3, 4, 5, 6, 7]


async def test_a_rate_limited_retry_is_fenced_like_any_outcome(database: Database) -> None:
    await enqueue(database, "slow")
    now = await now_of(database)
    async with database.unit_of_work() as uow:
        [first] = await uow.jobs.claim(now, timedelta(0), "a", 10)
    async with database.unit_of_work() as uow:
        [second] = await uow.jobs.claim(now + timedelta(seconds=1), timedelta(seconds=30), "b", 10)
        assert not await uow.jobs.retry_later(first, now, "ratelimited", counted=False)  # a's claim is lost
        assert await uow.jobs.retry_later(second, now, "ratelimited", counted=False)
    async with database.unit_of_work() as uow:
        [third] = await uow.jobs.claim(now + timedelta(seconds=2), timedelta(seconds=30), "c", 10)
    assert (third.attempts, third.throttled, third.tries) == (3, 1, 2)


def test_backoff_is_spread_over_its_whole_range() -> None:
    """Full jitter: jobs failing together come back anywhere from a second to the bound."""
    waits = [backoff(6) for _ in range(2000)]
    assert all(1.0 <= wait <= 64.0 for wait in waits)
    assert min(waits) < 8.0 and max(waits) > 56.0


async def test_after_a_rate_limit_jobs_of_that_kind_hold_off_until_slack_said(database: Database) -> None:
    handler = Handler({"limited": Retry("ratelimited", after=30.0, rate_limited=True)})
    others = Handler()
    jobs = JobRunner(database.unit_of_work, database.reader, {"test.job": handler, "other.job": others},
                     database.wakeup(), owner="test:1")
    async with database.unit_of_work() as uow:
        request = await uow.requests.add(_new_request("V-limited"), "pending", uow.now())
    await enqueue(database, "limited", request_id=request.id)
    await enqueue(database, "same request", request_id=request.id)
    assert await jobs.run_once() == 2
    assert len(handler.ran) == 1  # the rest of the group is not sent into the limit

    await enqueue(database, "same kind")
    async with database.unit_of_work() as uow:
        uow.enqueue("other.job", None, {"name": "other kind"})
    assert await jobs.run_once() == 1
    assert len(handler.ran) == 1 and len(others.ran) == 1

    database.run_jobs_in(jobs)
    await jobs.start()
    try:
        await enqueue(database, "born claimed")  # dispatched at once, and held back too
        await asyncio.sleep(0.3)
    finally:
        await jobs.stop()
    assert len(handler.ran) == 1
    async with database.reader() as uow:
        waiting = {str(job.payload["name"]): job for job in await uow.jobs.list([PENDING], 10)}
        now = uow.now()
    assert set(waiting) == {"limited", "same request", "same kind", "born claimed"}
    held = [waiting[name] for name in ("limited", "same request", "born claimed")]
    assert all(29 <= (job.due_at - now).total_seconds() <= 38 for job in held)
    async with database.unit_of_work() as uow:
        claimed = await uow.jobs.claim(now + timedelta(seconds=40), timedelta(seconds=30), "later", 10)
    assert {job.payload["name"]: job.tries for job in claimed} == {
        "limited": 1, "same request": 1, "same kind": 1, "born claimed": 1}


async def test_a_burst_of_rate_limits_from_slack_does_not_fail_a_dm(harness: Harness) -> None:
    harness.stub.fail_next("chat.postMessage", "ratelimited", retry_after=0, times=20)
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.finish_jobs()
    assert len(harness.dms("U0HR1")) == 1 and len(harness.dms("U0HR2")) == 1
    assert "job_failed" not in await harness.kinds("failed")
