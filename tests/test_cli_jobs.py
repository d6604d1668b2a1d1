"""``selfserve jobs``: the queue as an operator sees it, and an audited retry of a failed job."""

from __future__ import annotations

import json
from pathlib import Path

from domain.job_runner import JobRunner
from domain.jobs import FAILED, PENDING, Fail
from storage.database import Database
from tests.audit_log import stored_events
from tests.test_cli import acli, cli_env, sqlite_url
from tests.test_jobs import Handler, enqueue


async def test_failed_jobs_are_listed_and_retried_once_with_an_audit_trail(database_url: str,
                                                                          database: Database) -> None:
    await enqueue(database, "bad")
    await enqueue(database, "later", due_in=3600)
    runner = JobRunner(database.unit_of_work, database.reader, {"test.job": Handler({"bad": Fail(
        "channel_not_found: the\nrecipient left")})}, database.wakeup(), owner="test")
    assert await runner.run_once() == 1
    env = cli_env({"DATABASE_URL": database_url})

    listing = await acli("jobs", env=env)
    assert listing.returncode == 0, listing
    lines = listing.stdout.splitlines()
    assert lines[0] == "0 due; 1 scheduled for later"
    assert lines[1].split() == ["ID", "KIND", "REQUEST", "STATUS", "TRIES", "DUE", "LAST", "ERROR"]
    assert "channel_not_found: the recipient left" in listing.stdout  # one line per job
    failed = await acli("jobs", "--failed", env=env)
    [row] = failed.stdout.splitlines()[2:]
    job_id = row.split()[0]
    assert row.split()[1:4] == ["test.job", "-", FAILED]

    retried = await acli("jobs", "retry", job_id, env=env)
    assert retried.returncode == 0, retried
    assert f"job {job_id} (test.job) is due again" in retried.stdout
    again = await acli("jobs", "retry", job_id, env=env)
    assert again.returncode == 1 and "it is pending, and only failed jobs can be retried" in again.stderr
    missing = await acli("jobs", "retry", "999999", env=env)
    assert missing.returncode == 1 and "job 999999: no such job" in missing.stderr

    async with database.reader() as uow:
        job = await uow.jobs.get(int(job_id))
        assert job is not None and (job.status, job.attempts) == (PENDING, 1)
    events = [e for e in await stored_events(database.engine) if e.kind == "job_retried"]
    assert [(e.outcome, e.actor.startswith("cli:") if e.actor else False) for e in events] == [
        ("ok", True), ("refused", True), ("refused", True)]
    assert json.loads(events[0].details)["last_error"].startswith("channel_not_found")


async def test_jobs_refuses_a_database_without_the_schema(tmp_path: Path) -> None:
    result = await acli("jobs", env=cli_env({"DATABASE_URL": sqlite_url(tmp_path / "none.db")}))
    assert result.returncode == 2 and "DATABASE_URL: no database file at" in result.stderr
    assert not (tmp_path / "none.db").exists()
