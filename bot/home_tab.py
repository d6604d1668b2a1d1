"""The App Home tab, published with views.publish: when someone opens it (``bot.handlers.home``)
and whenever something of theirs changes (``home.refresh`` jobs, performed here).

What it shows is read at delivery time, so a late or retried job publishes the present. Home
refreshes come due in batches (``domain.surfaces``), and a person concerned by many changes in a
busy second is published to once, not once per change: a job joins a publish for the same person
that has not started reading yet (every job handed to this handler was committed before it
arrived, so that read sees its change), and a settled job is done without a publish when a read
of that Home began at or after its due time (the engine hands a busy second's jobs over in
batches of 50, one after another).

A person's Home is read and published by one publish at a time in this process (whether for a job
or because they opened it), so a publish from an older read never lands after one from a newer
read and shows them the past.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.messages.home import home_view
from bot.notifier import outcome_of
from domain.jobs import Done, Outcome, Retry
from domain.records import Job
from domain.tracking import Home

LoadHome = Callable[[str], Awaitable[Home]]


class ViewsPublisher(Protocol):
    """What publishing a Home needs of a Web API client (``AsyncWebClient`` is one)."""

    async def views_publish(self, *, user_id: str, view: dict[str, Any]) -> object: ...


async def publish_home(client: ViewsPublisher, user_id: str, home: Home) -> None:
    await client.views_publish(user_id=user_id, view=home_view(home))


class HomePublisher:
    """A ``domain.jobs.JobHandler`` for ``home.refresh`` (payload ``{"user": id}``)."""

    def __init__(self, client: ViewsPublisher, load_home: LoadHome) -> None:
        self._client = client
        self._load_home = load_home
        self._gathering: dict[str, asyncio.Future[Outcome]] = {}
        """Per person, the publish that jobs arriving now join (it has not started reading)."""
        self._publishing: set[asyncio.Task[None]] = set()
        self._read_at: dict[str, datetime] = {}
        """Per person, when the latest read of their Home began."""
        self._turns: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        """Per person, held from the read of their Home to the end of its publish."""

    async def opened(self, user_id: str, open_home: LoadHome, client: ViewsPublisher) -> None:
        """``user_id`` opened their Home: ``open_home`` records that and reads it; published with
        ``client`` (which may retry: the person is looking at it) in turn with this person's other
        publishes."""
        async with self._turn(user_id):
            await publish_home(client, user_id, await open_home(user_id))

    def _turn(self, user_id: str) -> asyncio.Lock:
        turn = self._turns.get(user_id)
        if turn is None:
            turn = self._turns[user_id] = asyncio.Lock()
        return turn

    async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        # every person's publish is joined or started before anything is awaited, so the jobs of
        # all the groups the engine runs at once can join one another's
        publishes = {user_id: self._join(user_id) for user_id in dict.fromkeys(
            _user(job) for job in jobs if not self._shown(job))}
        for job in jobs:
            user_id = _user(job)
            yield job, await asyncio.shield(publishes[user_id]) if user_id in publishes else Done()

    def _shown(self, job: Job) -> bool:
        """Whether a read of the person's Home began at or after a settled job's due time (so it
        showed the job's change): the jobs of one busy second that the engine hands over in
        several batches are published for once."""
        read = self._read_at.get(_user(job))
        return bool(job.payload.get("settled")) and read is not None and read >= job.due_at

    def _join(self, user_id: str) -> asyncio.Future[Outcome]:
        """The publish for ``user_id`` that has not started reading yet; a new one if none."""
        gathering = self._gathering.get(user_id)
        if gathering is None:
            gathering = self._gathering[user_id] = asyncio.get_running_loop().create_future()
            task = asyncio.get_running_loop().create_task(self._publish_after_joins(user_id, gathering),
                                                         name="home-publish")
            self._publishing.add(task)
            task.add_done_callback(self._publishing.discard)
        return gathering

    async def _publish_after_joins(self, user_id: str, gathering: asyncio.Future[Outcome]) -> None:
        outcome: Outcome = Retry("the publish this job joined did not finish")
        try:
            await asyncio.sleep(0)  # jobs handed over at the same moment join first
            async with self._turn(user_id):
                self._close(user_id, gathering)  # from here on the read may miss a later change: no more joining
                self._read_at[user_id] = datetime.now(UTC)
                outcome = await self._publish(user_id)
        finally:
            self._close(user_id, gathering)
            gathering.set_result(outcome)

    def _close(self, user_id: str, gathering: asyncio.Future[Outcome]) -> None:
        if self._gathering.get(user_id) is gathering:
            del self._gathering[user_id]

    async def _publish(self, user_id: str) -> Outcome:
        try:
            home = await self._load_home(user_id)
        except Exception as error:  # the database may be briefly away: try again later
            return Retry(f"reading the Home tab failed: {type(error).__name__}")
        try:
            await publish_home(self._client, user_id, home)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            return outcome_of(error)
        return Done()


def _user(job: Job) -> str:
    return str(job.payload.get("user", ""))
