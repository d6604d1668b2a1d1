"""Social proof (``domain.social_proof``): its lines from a known history (SQLite and PostgreSQL),
and a recomputation over many requests that leaves the event loop free meanwhile."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from domain.analytics_facts import FeedbackFact, RequestFact, UsageFact
from domain.fulfilment_records import APPROVED, DONE, PENDING, StepRecord
from domain.social_proof import SocialProof
from storage.database import Database
from tests.analytics_history import NOW, D, H, History


async def test_lines_count_fulfilment_to_its_end_and_the_database_counts_ratings(database: Database) -> None:
    h = History(database)
    for n in range(5):  # lunch: no fulfilment, approved after 1 h; 4 👍 of 5
        rid = await h.request("lunch", f"U{n}", f"W{n}", NOW - D, [], ("approved", 0, H))
        await h.feedback(NOW - D + 2 * H, rid, "lunch", "up" if n else "down", None)
    for n in range(6):  # figma: approved after 1 h, its two steps done after 2 h and 3 h (the last still running)
        created = NOW - 2 * D
        rid = await h.request("figma", f"U{n}", f"F{n}", created, [], ("approved", 0, H))
        last = PENDING if n == 5 else DONE
        async with h.at(created + H) as uow:
            await uow.fulfilment.add_steps([
                StepRecord(rid, APPROVED, 0, "webhook", "install", DONE, 1, None, None, created + 2 * H,
                           created + 2 * H),
                StepRecord(rid, APPROVED, 1, "message", "tell", last, 1, None, None, created + 3 * H,
                           created + 3 * H if last == DONE else None)])
    proof = SocialProof(database.reader, lambda work: None, clock=lambda: NOW)
    await proof.refresh()
    assert proof.line("lunch") == "usually done in 1 h · 5 people used it this month · 80% 👍"
    assert proof.line("figma") == "usually done in 3 h · 6 people used it this month"


ROWS, PAGE_SECONDS, PAGE_ROWS = 40_000, 0.02, 2000
"""A month of requests whose reading costs the loop ``PAGE_SECONDS`` per ``PAGE_ROWS`` rows (SQLite
reads on the loop's thread): 0.4 s in all."""


class SlowStore:
    """Reads that block the thread for as long as their rows would take, however asked for."""

    def __init__(self) -> None:
        self.facts = [UsageFact(f"a{n % 3}", f"U{n % 50}", "approved", NOW - D, NOW - D + H, None, 0)
                      for n in range(ROWS)]

    def _read(self, rows: int) -> None:
        time.sleep(PAGE_SECONDS * rows / PAGE_ROWS)

    async def usage_pages(self, since: datetime, size: int) -> AsyncIterator[list[UsageFact]]:
        for start in range(0, ROWS, size):
            page = self.facts[start:start + size]
            self._read(len(page))
            await asyncio.sleep(0)  # as a driver's read returns to the loop
            yield page

    async def ratings(self, since: datetime) -> dict[str, tuple[int, int]]:
        return {}

    async def requests(self, since: datetime) -> list[RequestFact]:
        self._read(ROWS)
        return [RequestFact(n, f.action_id, f.requester_id, f.status, 0, None, f.created_at, f.decided_at)
                for n, f in enumerate(self.facts)]

    async def feedback(self, since: datetime) -> list[FeedbackFact]:
        return []


async def test_a_slow_recompute_leaves_the_loop_free_for_acks() -> None:
    store = SlowStore()

    @asynccontextmanager
    async def reader() -> AsyncIterator[Any]:
        yield type("Unit", (), {"analytics": store})()

    proof = SocialProof(reader, lambda work: None, clock=lambda: NOW)
    started = time.perf_counter()
    recompute = asyncio.ensure_future(proof.refresh())
    waits = []
    while not recompute.done():  # an ack every 10 ms: how long each waits for the loop
        asked = time.perf_counter()
        await asyncio.sleep(0.01)
        waits.append(time.perf_counter() - asked - 0.01)
    await recompute
    assert time.perf_counter() - started >= ROWS / PAGE_ROWS * PAGE_SECONDS  # the recompute was slow
    assert len(waits) >= 10 and max(waits) < 0.1  # and no ack waited for it more than a page's read or so
    assert proof.line("a0") == "usually done in 1 h · 50 people used it this month"
