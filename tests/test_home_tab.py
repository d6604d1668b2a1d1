"""The Home tab job handler: jobs for one person performed together share one publish, and a
publish that has started reading is never joined (it could miss a later change)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import bot.home_tab
from bot.home_tab import HomePublisher
from domain.jobs import Done, Outcome, Retry
from domain.records import Job
from domain.tracking import Home

MOMENT = datetime(2026, 12, 1, tzinfo=UTC)


class FakeClient:
    def __init__(self) -> None:
        self.published: list[str] = []

    async def views_publish(self, *, user_id: str, view: dict[str, Any]) -> None:
        self.published.append(user_id)


def job(job_id: int, user_id: str, due: datetime = MOMENT, settled: bool = False) -> Job:
    payload: dict[str, Any] = {"user": user_id, **({"settled": True} if settled else {})}
    return Job(job_id, "home.refresh", f"k{job_id}", job_id, payload, 1, due)


async def outcomes(publisher: HomePublisher, *jobs: Job) -> list[Outcome]:
    generator: AsyncGenerator[tuple[Job, Outcome], None] = publisher.run(jobs)
    return [outcome async for _, outcome in generator]


async def test_jobs_handed_over_together_share_one_publish_per_person() -> None:
    reads: list[str] = []

    async def load(user_id: str) -> Home:
        reads.append(user_id)
        await asyncio.sleep(0.01)
        return Home([], [], [])

    client = FakeClient()
    publisher = HomePublisher(client, load)
    together = await asyncio.gather(outcomes(publisher, job(1, "U1"), job(2, "U2")), outcomes(publisher, job(3, "U1")),
                                    outcomes(publisher, job(4, "U1"), job(5, "U1")))
    assert list(together) == [[Done(), Done()], [Done()], [Done(), Done()]]
    assert sorted(client.published) == ["U1", "U2"] and sorted(reads) == ["U1", "U2"]
    await outcomes(publisher, job(6, "U1"))  # later: read again
    assert client.published.count("U1") == 2


async def test_a_publish_that_started_reading_is_not_joined() -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    async def load(user_id: str) -> Home:
        started.set()
        await release.wait()
        return Home([], [], [])

    client = FakeClient()
    publisher = HomePublisher(client, load)
    first = asyncio.create_task(outcomes(publisher, job(1, "U1")))
    await started.wait()
    second = asyncio.create_task(outcomes(publisher, job(2, "U1")))  # its change may be newer than that read
    await asyncio.sleep(0.01)
    release.set()
    assert await first == [Done()] and await second == [Done()]
    assert client.published == ["U1", "U1"]


async def test_a_failed_read_is_retried_for_every_job_that_joined_it() -> None:
    async def load(user_id: str) -> Home:
        await asyncio.sleep(0)
        raise ConnectionError("database away")

    publisher = HomePublisher(FakeClient(), load)
    together = await asyncio.gather(outcomes(publisher, job(1, "U1")), outcomes(publisher, job(2, "U1")))
    assert all(isinstance(outcome, Retry) for outcomes_ in together for outcome in outcomes_)


async def test_a_settled_job_due_before_a_read_began_needs_no_publish_of_its_own() -> None:
    async def load(user_id: str) -> Home:
        return Home([], [], [])

    client = FakeClient()
    publisher = HomePublisher(client, load)
    due = datetime.now(UTC) - timedelta(seconds=1)
    assert await outcomes(publisher, job(1, "U1", due, settled=True)) == [Done()]  # read after it was due
    assert await outcomes(publisher, job(2, "U1", due, settled=True), job(3, "U2", due, settled=True)) == [
        Done(), Done()]  # a later batch of the same second: U1 was read since, U2 was not
    assert client.published == ["U1", "U2"]
    assert await outcomes(publisher, job(4, "U1", due)) == [Done()]  # not settled: always read
    later = datetime.now(UTC) + timedelta(seconds=5)
    assert await outcomes(publisher, job(5, "U1", later, settled=True)) == [Done()]  # due after the last read
    assert client.published == ["U1", "U2", "U1", "U1"]



async def test_an_older_read_is_never_published_after_a_newer_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening the Home while a job's publish is on its way: the open's newer read is published
    after the job's, not overtaken by it (Slack would go on showing the older Home)."""
    state = ["old"]
    shown: list[str] = []

    class SlowFirstClient:
        async def views_publish(self, *, user_id: str, view: dict[str, Any]) -> None:
            if not shown and view["label"] == "old":
                await asyncio.sleep(0.05)  # the first publish is slow on the wire
            shown.append(view["label"])

    async def load(user_id: str) -> Home:
        return Home([], [], [])

    async def open_home(user_id: str) -> Home:
        state[0] = "new"  # the change the person opened their Home to see
        return Home([], [], [])

    monkeypatch.setattr(bot.home_tab, "home_view", lambda home: {"type": "home", "label": state[0]})
    publisher = HomePublisher(SlowFirstClient(), load)
    job_publish = asyncio.ensure_future(outcomes(publisher, job(1, "U1")))
    await asyncio.sleep(0.01)  # the job's publish has read "old" and is on its way
    await publisher.opened("U1", open_home, SlowFirstClient())
    assert await job_publish == [Done()]
    assert shown == ["old", "new"]
