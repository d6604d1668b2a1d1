"""How an action usually goes, shown where people decide whether to use it (the help list, the
App Home catalog): "usually done in 2 h · 42 people used it this month · 95% 👍".

Each part is shown only with enough data to mean something (``MIN_SAMPLE``). The figures are
kept in memory and recomputed in the background at most every ``REFRESH``: the help list and
the Home tab read a dict, never the database.

The recomputation must not hold the event loop (on SQLite reads run on the loop's thread, and a
month is ~100,000 requests: one read of them all blocked every ack for 0.3-1 s). So it reads the
requests in keyset pages of ``PAGE`` (``AnalyticsStore.usage_pages``: only the columns it needs,
each page a short indexed read) and gives the loop back after each one, and lets the database
count the ratings (one grouped query, a row per action). A request's completion is its
``on_approved`` steps' end, read with it from the steps table (``UsageFact.completed_at``).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from domain.analytics import Readers, utcnow
from domain.analytics_figures import percentile
from domain.analytics_text import duration

MIN_SAMPLE = 5
PERIOD = timedelta(days=30)
REFRESH = timedelta(minutes=15)
PAGE = 2000
Defer = Callable[[Coroutine[Any, Any, None]], None]


class SocialProof:
    def __init__(self, reader: Readers, defer: Defer, clock: Callable[[], datetime] = utcnow) -> None:
        self._reader = reader
        self._defer = defer
        self._clock = clock
        self._lines: dict[str, str] = {}
        self._at: datetime | None = None
        self._refreshing = False

    def line(self, action_id: str) -> str | None:
        """The action's line, as last computed (starting a recomputation in the background when stale)."""
        if not self._refreshing and (self._at is None or self._clock() - self._at >= REFRESH):
            self._refreshing = True
            self._defer(self.refresh())
        return self._lines.get(action_id)

    async def refresh(self) -> None:
        """Recompute every action's line from the last ``PERIOD``."""
        self._refreshing = True
        now = self._clock()
        try:
            durations: dict[str, list[float]] = defaultdict(list)
            people: dict[str, set[str]] = defaultdict(set)
            async with self._reader() as uow:
                async for page in uow.analytics.usage_pages(now - PERIOD, PAGE):
                    for r in page:
                        people[r.action_id].add(r.requester_id)
                        if (end := r.completed_at()) is not None:
                            durations[r.action_id].append((end - r.created_at).total_seconds())
                    await asyncio.sleep(0)  # the loop's turn between pages, whatever the driver did
                ratings = await uow.analytics.ratings(now - PERIOD)
            self._lines = {action: text for action in people if (text := _line(
                durations[action], len(people[action]), ratings.get(action, (0, 0))))}
            self._at = now
        finally:
            self._refreshing = False


def _line(durations: list[float], people: int, ratings: tuple[int, int]) -> str:
    """``ratings``: the 👍 and all the answers."""
    parts = []
    if len(durations) >= MIN_SAMPLE:
        parts.append(f"usually done in {duration(percentile(durations, 50))}")
    if people >= MIN_SAMPLE:
        parts.append(f"{people} people used it this month")
    up, answers = ratings
    if answers >= MIN_SAMPLE:
        parts.append(f"{round(100 * up / answers)}% 👍")
    return " · ".join(parts)
