"""The durable work engine on real databases: timers, cancellation, fencing, retries, wake-ups."""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import AsyncGenerator, Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.job_runner import JobRunner
from domain.jobs import DONE, FAILED, PENDING, Done, Fail, Outcome, Retry
from domain.records import AuditEntry, Job
from storage.database import Database
from tests.audit_log import stored_events
from tests.conftest import PG_URL
from tests.test_driver import _new_request

LEASE = timedelta(seconds=30)


class Handler:
    """Records what it ran; answers with what ``plan`` says for the job's payload."""

    def __init__(self, plan: dict[str, Outcome] | None = None) -> None:
        self.plan = plan or {}
        self.ran: list[tuple[int, int]] = []  # (job id, attempts)
        self.ran_event = asyncio.Event()

    async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        for job in jobs:
            self.ran.append((job.id, job.attempts))
            self.ran_event.set()
            name = str(job.payload.get("name", ""))
            yield job, self.plan.get(name, Done(audit=[AuditEntry("ran", "ok", None, None, {"name": name})]))


def runner(database: Database, handler: Handler, *, idle_wait: float = 60.0, max_attempts: int = 8) -> JobRunner:
    return JobRunner(database.unit_of_work, database.reader, {"test.job": handler}, database.wakeup(),
                     owner="test:1", idle_wait=idle_wait, max_attempts=max_attempts)


async def now_of(database: Database) -> datetime:
    async with database.reader() as uow:
        return uow.now()


async def enqueue(database: Database, name: str, *, due_in: float = 0.0, request_id: int | None = None,
                  key: str | None = None) -> None:
    async with database.unit_of_work() as uow:
        due_at = uow.now() + timedelta(seconds=due_in) if due_in else None
        uow.enqueue("test.job", request_id, {"name": name}, due_at=due_at, key=key)


async def states(database: Database) -> dict[str, str]:
    async with database.reader() as uow:
        return {str(job.payload["name"]): job.status
                for job in await uow.jobs.list([PENDING, DONE, FAILED, "cancelled"], 1000)}


async def test_a_delayed_job_waits_for_its_time_and_is_claimed_once(database: Database) -> None:
    await enqueue(database, "later", due_in=60)
    async with database.unit_of_work() as uow:
        assert await uow.jobs.claim(uow.now(), LEASE, "a", 10) == []
        stats = await uow.jobs.stats(uow.now())
        assert (stats.due, stats.scheduled, stats.oldest_due_seconds) == (0, 1, 0.0)
        next_due = await uow.jobs.next_due()
        assert next_due is not None and 59 < (next_due - uow.now()).total_seconds() <= 60
    later = await now_of(database) + timedelta(seconds=61)
    async with database.unit_of_work() as uow:
        claimed = await uow.jobs.claim(later, LEASE, "a", 10)
        assert [(job.payload["name"], job.attempts) for job in claimed] == [("later", 1)]
        assert await uow.jobs.claim(later, LEASE, "b", 10) == []  # leased to "a"
        stats = await uow.jobs.stats(later)
        assert stats.due == 1 and 0 < stats.oldest_due_seconds <= 2


async def test_an_expired_lease_is_taken_over_and_fences_the_old_claim(database: Database) -> None:
    await enqueue(database, "slow")
    now = await now_of(database)
    async with database.unit_of_work() as uow:
        [first] = await uow.jobs.claim(now, LEASE, "a", 10)
    after_lease = now + LEASE + timedelta(seconds=1)
    async with database.unit_of_work() as uow:
        [second] = await uow.jobs.claim(after_lease, LEASE, "b", 10)
    assert (first.id, first.attempts, second.attempts) == (second.id, 1, 2)
    async with database.unit_of_work() as uow:
        assert await uow.jobs.complete([first], after_lease) == set()  # the old claim records nothing
        assert not await uow.jobs.retry_later(first, after_lease, "late")
        assert not await uow.jobs.fail(first, after_lease, "late")
        assert await uow.jobs.complete([second], after_lease) == {second.id}
    assert await states(database) == {"slow": DONE}


async def test_cancelling_a_request_cancels_only_its_pending_jobs_of_those_kinds(database: Database) -> None:
    async with database.unit_of_work() as uow:
        request = await uow.requests.add(_new_request("V-cancel"), "pending", uow.now())
        other = await uow.requests.add(_new_request("V-other"), "pending", uow.now())
        uow.enqueue("timer.remind", request.id, {"name": "remind"}, due_at=uow.now() + timedelta(hours=1))
        uow.enqueue("timer_x", request.id, {"name": "not a timer"}, due_at=uow.now() + timedelta(hours=1))
        uow.enqueue("test.job", request.id, {"name": "dm"})
        uow.enqueue("timer.remind", other.id, {"name": "other"}, due_at=uow.now() + timedelta(hours=1))
    async with database.unit_of_work() as uow:
        assert await uow.jobs.cancel(request.id, "timer.", uow.now()) == 1
    assert await states(database) == {"remind": "cancelled", "not a timer": PENDING, "dm": PENDING,
                                      "other": PENDING}


async def test_an_idempotency_key_is_unique(database: Database) -> None:
    await enqueue(database, "one", key="reminder:REQ-1:0")
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        await enqueue(database, "two", key="reminder:REQ-1:0")
    assert await states(database) == {"one": PENDING}


async def test_the_runner_runs_due_jobs_and_sleeps_until_a_timer_is_due(database: Database) -> None:
    handler = Handler()
    jobs = runner(database, handler, idle_wait=30.0)
    database.run_jobs_in(jobs)
    await jobs.start()
    try:
        await enqueue(database, "timer", due_in=0.4)  # committed here: the runner is told to look again
        await enqueue(database, "now")
        await asyncio.wait_for(_until(lambda: len(handler.ran) == 2), 5)
    finally:
        await jobs.stop()
    assert await states(database) == {"timer": DONE, "now": DONE}
    assert sorted(e.details for e in await stored_events(database.engine) if e.kind == "ran") == [
        '{"name":"now"}', '{"name":"timer"}']


async def test_a_job_another_process_commits_wakes_an_idle_runner(engine: AsyncEngine,
                                                                   database: Database) -> None:
    """PostgreSQL: at once, by NOTIFY. SQLite has no signal across processes: at the next look."""
    handler = Handler()
    jobs = runner(database, handler, idle_wait=30.0 if engine.dialect.name == "postgresql" else 0.5)
    await jobs.start()  # the app's database; no dispatcher: it must hear of jobs by NOTIFY
    try:
        await asyncio.sleep(0.2)  # idle now, for 30 s
        async with Database(engine) as other:
            await enqueue(other, "from elsewhere")
        await asyncio.wait_for(handler.ran_event.wait(), 3)
    finally:
        await jobs.stop()


async def test_retries_move_the_due_time_and_give_up_after_max_attempts(database: Database) -> None:
    handler = Handler({"flaky": Retry("service_unavailable", after=0.0), "bad": Fail("channel_not_found")})
    jobs = runner(database, handler, max_attempts=3)
    for name in ("flaky", "bad", "fine"):
        await enqueue(database, name)
    for _ in range(4):
        await jobs.run_once()
    assert sorted(attempts for _, attempts in handler.ran) == [1, 1, 1, 2, 3]
    assert await states(database) == {"flaky": FAILED, "bad": FAILED, "fine": DONE}
    failed = [e for e in await stored_events(database.engine) if e.kind == "job_failed"]
    assert len(failed) == 2 and any("gave up after 3 attempts: service_unavailable" in e.details for e in failed)
    async with database.reader() as uow:
        listed = {job.payload["name"]: job for job in await uow.jobs.list([FAILED], 10)}
    assert listed["bad"].last_error == "channel_not_found"


async def test_a_backoff_retry_is_not_claimable_before_its_time(database: Database) -> None:
    handler = Handler({"flaky": Retry("internal_error")})
    jobs = runner(database, handler)
    await enqueue(database, "flaky")
    assert await jobs.run_once() == 1
    assert await jobs.run_once() == 0  # backoff after one attempt: 1-2 s later
    async with database.reader() as uow:
        [state] = await uow.jobs.list([PENDING], 10)
        assert state.lease_until is None and state.attempts == 1 and state.last_error == "internal_error"
        assert 0.9 <= (state.due_at - uow.now()).total_seconds() <= 2.1


async def test_a_handler_that_raises_or_skips_gets_its_jobs_retried(database: Database) -> None:
    class Broken(Handler):
        async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
            yield jobs[0], Done()
            raise RuntimeError("a bug after the first job")

    async with database.unit_of_work() as uow:
        request = await uow.requests.add(_new_request("V-broken"), "pending", uow.now())
    for name in ("first", "second", "third"):
        await enqueue(database, name, request_id=request.id)
    jobs = runner(database, Broken())
    assert await jobs.run_once() == 3
    assert await states(database) == {"first": DONE, "second": PENDING, "third": PENDING}
    async with database.reader() as uow:
        assert {job.last_error for job in await uow.jobs.list([PENDING], 10)} == {
            "RuntimeError: a bug after the first job"}


class Stuck(Handler):
    """Starts its first job and finishes it only once ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        self.ran_event.set()
        await self.release.wait()
        yield jobs[0], Done()


async def stuck_in(database: Database, name: str) -> tuple[JobRunner, Stuck]:
    """A running runner that committed job ``name`` itself and is stuck in it."""
    handler = Stuck()
    jobs = runner(database, handler, idle_wait=30.0)
    database.run_jobs_in(jobs)
    await jobs.start()
    await enqueue(database, name)
    await asyncio.wait_for(handler.ran_event.wait(), 5)
    return jobs, handler


async def test_a_stopped_runner_hands_back_jobs_it_did_not_finish(database: Database) -> None:
    jobs, _ = await stuck_in(database, "started")
    await jobs.stop(grace=0.1)
    async with database.unit_of_work() as uow:
        [job] = await uow.jobs.claim(uow.now(), LEASE, "next", 10)  # at once, not after the lease
    assert job.attempts == 2  # the cut-off attempt stays counted: its handler must look for its effect


async def test_a_release_touches_only_what_its_owner_still_holds(database: Database) -> None:
    """A second release, or one after another process took the job over, must not undo a claim."""
    await enqueue(database, "held")
    now = await now_of(database)
    async with database.unit_of_work() as uow:
        [mine] = await uow.jobs.claim(now, LEASE, "a", 10)
        await uow.jobs.release([mine.id], "a", keep_attempt=False)
        await uow.jobs.release([mine.id], "a", keep_attempt=False)  # again: nothing more to give back
        [theirs] = await uow.jobs.claim(now, LEASE, "b", 10)
        await uow.jobs.release([mine.id], "a", keep_attempt=False)  # b holds it now
        assert (mine.attempts, theirs.attempts) == (1, 1)
        assert not await uow.jobs.claim(now, LEASE, "c", 10)  # still b's
    async with database.unit_of_work() as uow:
        assert await uow.jobs.complete([theirs], now) == {theirs.id}


async def test_failed_jobs_are_listed_and_can_be_retried(database: Database) -> None:
    jobs = runner(database, Handler({"bad": Fail("channel_not_found")}))
    await enqueue(database, "bad")
    await jobs.run_once()
    async with database.unit_of_work() as uow:
        [failed] = await uow.jobs.list([FAILED], 10)
        again = await uow.jobs.requeue_failed(failed.id, uow.now())
        assert again is not None and (again.status, again.attempts, again.done_at) == (PENDING, 1, None)
        assert await uow.jobs.requeue_failed(failed.id, uow.now()) is None  # not failed any more


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)



if PG_URL is not None:  # collected only where PostgreSQL is configured

    @pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
    async def test_a_lost_listen_connection_is_reopened(engine: AsyncEngine, database: Database) -> None:
        """A server restart or a killed backend must not leave the runner deaf until idle_wait."""
        handler = Handler()
        jobs = runner(database, handler, idle_wait=30.0)
        await jobs.start()
        try:
            async with engine.connect() as conn:
                killed = (await conn.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query LIKE 'LISTEN%'"))).scalars().all()
            assert killed == [True]
            await asyncio.sleep(1.5)  # the first reconnect comes after 0.5 s, and wakes the runner
            handler.ran_event.clear()
            async with Database(engine) as other:
                await enqueue(other, "after the loss")
            await asyncio.wait_for(handler.ran_event.wait(), 3)
        finally:
            await jobs.stop()

    @pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
    async def test_two_processes_share_jobs_and_timers_without_running_one_twice(
            database_url: str, database: Database, tmp_path: Path) -> None:
        """Two real worker processes on one database, jobs due now and timers committed while
        they run (so only NOTIFY and their own timers can wake them): each job runs once."""
        out = tmp_path / "ran.txt"
        workers = [await start_worker(database_url, out) for _ in range(2)]
        rng = random.Random(8)
        for batch in range(10):
            async with database.unit_of_work() as uow:
                for n in range(40):
                    delay = rng.choice([0.0, 0.0, 0.0, rng.uniform(0.3, 2.0)])
                    uow.enqueue("test.job", None, {"name": f"{batch}-{n}"},
                                due_at=uow.now() + timedelta(seconds=delay) if delay else None)
            await asyncio.sleep(0.05)
        for worker in workers:
            assert await asyncio.wait_for(worker.wait(), 60) == 0
        runs = [line.split() for line in out.read_text().splitlines()]
        job_ids = [job_id for job_id, _, _ in runs]
        assert len(job_ids) == 400 and len(set(job_ids)) == 400, "a job ran twice or not at all"
        assert {attempts for _, attempts, _ in runs} == {"1"}
        assert len({pid for _, _, pid in runs}) == 2, "both processes took a share"
        assert set((await states(database)).values()) == {DONE}

    @pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
    async def test_the_jobs_of_a_killed_process_are_taken_over_when_their_lease_ends(
            database_url: str, database: Database, tmp_path: Path) -> None:
        out = tmp_path / "ran.txt"
        doomed = await start_worker(database_url, out, "1.5", "hang")
        for n in range(5):
            await enqueue(database, f"job-{n}")
        await asyncio.wait_for(_until(lambda: out.exists() and len(out.read_text().splitlines()) == 5), 10)
        doomed.kill()  # SIGKILL: no stop(), no release; its leases must run out
        await doomed.wait()
        survivor = await start_worker(database_url, out, "30")
        assert await asyncio.wait_for(survivor.wait(), 30) == 0
        runs = [line.split() for line in out.read_text().splitlines()]
        by_survivor = [(job_id, attempts) for job_id, attempts, pid in runs if pid == str(survivor.pid)]
        assert sorted(by_survivor) == sorted((job_id, "2") for job_id, _, _ in runs[:5])
        assert set((await states(database)).values()) == {DONE}


async def start_worker(database_url: str, out: Path, *options: str) -> asyncio.subprocess.Process:
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.job_worker_process", database_url, str(out), *options,
        stdout=asyncio.subprocess.PIPE, cwd=Path(__file__).parent.parent)
    assert worker.stdout is not None
    assert await asyncio.wait_for(worker.stdout.readline(), 30) == b"ready\n"
    return worker


async def test_a_job_whose_runs_never_report_is_failed_at_claim_once_its_attempts_are_spent(
        database: Database) -> None:
    """Processes that die on a job (or keep losing its lease) must not take it over forever."""
    handler = Handler()
    jobs = runner(database, handler, max_attempts=3)
    await enqueue(database, "doomed")
    for _ in range(3):  # each claim's process dies: its lease runs out at once
        async with database.unit_of_work() as uow:
            assert len(await uow.jobs.claim(uow.now(), timedelta(0), "dead", 10)) == 1
        await asyncio.sleep(0.002)
    assert await jobs.run_once() == 1
    assert handler.ran == []
    assert await states(database) == {"doomed": FAILED}
    [failed] = [e for e in await stored_events(database.engine) if e.kind == "job_failed"]
    assert "gave up after 3 attempts: the last one never reported" in failed.details
    assert await jobs.run_once() == 0


async def test_a_claim_takes_no_more_than_its_limit(database: Database) -> None:
    """PostgreSQL ran the claim's ``IN (… LIMIT n FOR UPDATE SKIP LOCKED)`` once per row it
    updated, each run skipping the rows locked before: a claim of 2 took every due job."""
    for n in range(5):
        await enqueue(database, f"job-{n}")
    async with database.unit_of_work() as uow:
        assert len(await uow.jobs.claim(uow.now(), LEASE, "a", 2, ("test.job",))) == 2
