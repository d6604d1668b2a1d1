"""How an action usually goes, in the help list and the App Home catalog, once there is enough data."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import Database
from tests.analytics_history import CATALOG, History
from tests.harness import Harness

LINE = "usually done in 2 h · 6 people used it this month · 80% 👍"


@pytest.fixture
async def proof_harness(engine: AsyncEngine) -> AsyncIterator[Harness]:
    """Lunch: 6 people, each request done in 2 h (one in 4 h), 5 answers (4 👍); laptop: 2 requests only."""
    now = datetime.now(UTC)
    async with Database(engine) as db:
        history = History(db)
        for n in range(6):
            created = now - timedelta(days=n + 1)
            took = timedelta(hours=4 if n == 5 else 2)
            request = await history.request("lunch", f"U{n}", f"W{n}", created, [], ("approved", 0, took))
            if n < 5:
                await history.feedback(created + took, request, "lunch", "down" if n == 0 else "up", None)
        for n in range(2):
            await history.request("laptop", f"U{n}", f"V{n}", now - timedelta(days=2), [],
                                  ("approved", 2, timedelta(hours=3)))
    async with Harness(engine, CATALOG) as running:
        yield running


async def test_the_help_list_and_the_home_tab_say_how_it_usually_goes(proof_harness: Harness) -> None:
    harness = proof_harness
    empty = await harness.slack.slash_command(user_id="U0ADMIN", command="/selfserve", text="help")
    assert LINE not in json.dumps(empty.json(), ensure_ascii=False)  # not known yet: computed in the background
    await harness.settle()
    answer = json.dumps((await harness.slack.slash_command(user_id="U0ADMIN", command="/selfserve",
                                                           text="help")).json(), ensure_ascii=False)
    assert f"_{LINE}_" in answer
    assert answer.count("usually done") == 1  # laptop: too few requests to say anything
    await harness.slack.app_home_opened("U0ADMIN")
    await harness.settle()
    assert f"_{LINE}_" in json.dumps(harness.stub.home("U0ADMIN"), ensure_ascii=False)
