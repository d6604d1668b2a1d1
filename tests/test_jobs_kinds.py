"""A process claims only the kinds it has a handler for: in a rolling deploy a newer replica may
know a kind an older one does not, and the older one must leave those jobs alone (not fail them)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from domain.job_runner import JobRunner
from domain.jobs import DONE, PENDING
from storage.database import Database
from tests.test_cli import acli, cli_env
from tests.test_jobs import Handler, enqueue, now_of, runner


async def enqueue_kind(database: Database, kind: str, name: str) -> None:
    async with database.unit_of_work() as uow:
        uow.enqueue(kind, None, {"name": name})


async def test_jobs_of_a_kind_without_a_handler_are_left_for_a_process_that_has_one(database: Database) -> None:
    handler, newer = Handler(), Handler()
    older = runner(database, handler)
    await enqueue(database, "known")
    await enqueue_kind(database, "newer.kind", "unknown here")
    assert await older.run_once() == 1
    assert await older.run_once() == 0
    database.run_jobs_in(older)
    await enqueue_kind(database, "newer.kind", "committed here")  # not born claimed by a process without its handler
    async with database.reader() as uow:
        waiting = await uow.jobs.list([PENDING], 10)
        assert [(job.kind, job.attempts, job.lease_until, job.last_error) for job in waiting] == [
            ("newer.kind", 0, None, None)] * 2
        assert await uow.jobs.next_due(("test.job",)) is None  # nothing to wake the older runner for
    upgraded = JobRunner(database.unit_of_work, database.reader, {"newer.kind": newer}, database.wakeup(),
                         owner="test:2")
    assert await upgraded.run_once() == 2
    assert [attempts for _, attempts in newer.ran] == [1, 1]
    async with database.reader() as uow:
        assert {job.status for job in await uow.jobs.list([PENDING, DONE], 10)} == {DONE}


async def test_selfserve_jobs_shows_jobs_nobody_claims(database_url: str, database: Database) -> None:
    await enqueue_kind(database, "newer.kind", "stranded")
    await enqueue(database, "fresh")
    stale = await now_of(database) - timedelta(minutes=6)
    async with database.engine.begin() as conn:
        await conn.execute(text("UPDATE jobs SET due_at = :at WHERE kind = 'newer.kind'"), {"at": stale})
    env = cli_env({"DATABASE_URL": database_url})

    listing = await acli("jobs", env=env)
    assert listing.returncode == 0, listing
    assert listing.stdout.splitlines()[1].startswith(
        "unclaimed for over 5 min: 1 jobs of kinds newer.kind (1); no running process handles them")
    only = await acli("jobs", "--unclaimed", env=env)
    rows = only.stdout.splitlines()[3:]
    assert [row.split()[1:4] for row in rows] == [["newer.kind", "-", PENDING]]
