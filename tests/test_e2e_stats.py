"""``/selfserve stats`` through the Slack stand-in, on the known history of tests/analytics_history.py."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import Database
from tests.analytics_history import CATALOG, write_history
from tests.harness import Harness


@pytest.fixture
async def stats_harness(engine: AsyncEngine) -> AsyncIterator[Harness]:
    async with Database(engine) as db:
        await write_history(db, datetime.now(UTC))
    async with Harness(engine, CATALOG) as running:
        yield running


async def stats(harness: Harness, user_id: str, text: str) -> tuple[str, str]:
    response = await harness.slack.slash_command(user_id=user_id, command="/selfserve", text=f"stats {text}".strip())
    body = response.json()
    return body["text"], json.dumps(body.get("blocks") or [], ensure_ascii=False)


async def test_the_overview_shows_the_figures_busiest_worst_and_slowest(stats_harness: Harness) -> None:
    text, blocks = await stats(stats_harness, "U0ADMIN", "")
    assert text == "Self-service statistics, last 30 days"
    for shown in ("*Requests*\\n8 · 5 completed", "*Satisfaction*\\n75% 👍 (4 answers)",
                  "*Self-service utilization*\\n62%", "*Hours saved*\\n1.2 h", "*Escalation rate*\\n12%",
                  "*Service-level compliance*\\n80%", "*First decision*\\np50 1 h · p90 4 h (4)",
                  "`laptop` Order a laptop: 5 requests, 2 completed, 4 people",
                  "`laptop` Order a laptop: 8 opened → 5 submitted → 2 approved → 0 fulfilled · 2 abandoned (25% "
                  "completed)", "`laptop` Order a laptop step 2: p50 2 h, p90 6 h"):
        assert shown in blocks, shown
    assert ("stats", "ok") in [(e.kind, e.outcome) for e in await stats_harness.audit_events()]


async def test_one_action_in_detail_and_the_refusals(stats_harness: Harness) -> None:
    text, blocks = await stats(stats_harness, "U0ADMIN", "laptop --days 30")
    assert text == "Statistics for laptop, last 30 days"
    for shown in ("Step 1: 5 reached, 3 approved, 1 rejected, 1 cancelled, 0 waiting · p50 1 h · p90 4 h (4)",
                  "`serial`: 3", "`reason`: 1", "> why?", "> quick", "(1 closed, 1 left open)", "2 👍 · 1 👎"):
        assert shown in blocks, shown
    assert "Only members of the *admins* role" in (await stats(stats_harness, "U0M1", ""))[0]
    assert "no action called `nope`" in (await stats(stats_harness, "U0ADMIN", "nope"))[0]
    assert "--days N" in (await stats(stats_harness, "U0ADMIN", "--days 0"))[0]
    refused = [e for e in await stats_harness.audit_events() if e.kind == "stats" and e.outcome == "refused"]
    assert [e.actor for e in refused] == ["U0M1"]
