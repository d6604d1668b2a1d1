"""The App Home tab, published with views.publish: when someone opens it (``bot.handlers.home``)
and whenever something of theirs changes (``home.refresh`` jobs, performed here).

What it shows is read at delivery time, so a late or retried job publishes the present; several
jobs for one person that are performed together publish once.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages.home import home_view
from bot.notifier import outcome_of
from domain.jobs import Done, Outcome, Retry
from domain.records import Job
from domain.tracking import Home

LoadHome = Callable[[str], Awaitable[Home]]


async def publish_home(client: AsyncWebClient, user_id: str, home: Home) -> None:
    await client.views_publish(user_id=user_id, view=home_view(home))


class HomePublisher:
    """A ``domain.jobs.JobHandler`` for ``home.refresh`` (payload ``{"user": id}``)."""

    def __init__(self, client: AsyncWebClient, load_home: LoadHome) -> None:
        self._client = client
        self._load_home = load_home

    async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        outcomes: dict[str, Outcome] = {}
        for job in jobs:
            user_id = str(job.payload.get("user", ""))
            if user_id not in outcomes:
                outcomes[user_id] = await self._publish(user_id)
            yield job, outcomes[user_id]

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
