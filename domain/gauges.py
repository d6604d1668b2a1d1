"""The operator's figures that come from the database (``/metrics``): the same on every process,
since every process reads them from the one database when scraped."""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

FULFILMENT_ATTEMPTS = {"fulfilment_step_done": "ok", "fulfilment_attempt_failed": "retry",
                       "fulfilment_failed": "failed"}
"""Issue 12's audit kinds for a fulfilment step's attempts, by the outcome they mean. Only webhook
steps' attempts are counted: the events name their step's kind (``step_kind`` in the details); one
written before they did is counted when it carries an HTTP ``status``, the only sign of a webhook it has."""
WEBHOOK = "webhook"


@dataclass(frozen=True)
class QueueDepth:
    due: int
    oldest_due_seconds: float


@dataclass(frozen=True)
class Gauges:
    requests: dict[tuple[str, str], int]
    """(action, state) -> how many requests."""
    queue: dict[str, QueueDepth]
    """Job kind -> pending jobs due now, and how long the oldest has waited."""
    webhook_attempts: dict[str, int]
    """Outcome -> webhook attempts audited with it."""


class GaugeStore(Protocol):
    async def requests_by_state(self) -> dict[tuple[str, str], int]: ...

    async def queue_by_kind(self, now: datetime) -> dict[str, QueueDepth]: ...

    async def step_attempt_counts(self, kinds: Collection[str], step_kind: str) -> dict[str, int]:
        """Per audit kind, its events about a step of ``step_kind``."""


class GaugeUnit(Protocol):
    @property
    def gauges(self) -> GaugeStore: ...

    def now(self) -> datetime: ...


async def read_gauges(reader: Callable[[], AbstractAsyncContextManager[GaugeUnit]]) -> Gauges:
    async with reader() as uow:
        counts = await uow.gauges.step_attempt_counts(FULFILMENT_ATTEMPTS, WEBHOOK)
        return Gauges(await uow.gauges.requests_by_state(), await uow.gauges.queue_by_kind(uow.now()),
                      {outcome: counts.get(kind, 0) for kind, outcome in FULFILMENT_ATTEMPTS.items()})
