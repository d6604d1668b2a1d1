"""Fault injection: make Slack misbehave on demand (rate limits, errors, slowness) to test the bot's handling."""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from dataclasses import dataclass

from slackstub.replies import Reply


@dataclass(frozen=True)
class Fault:
    """A canned failure for one call.

    `applied`: the method runs first and its effect stays (message stored, view opened), and only the
    answer is the failure, as when Slack errs or the connection breaks after doing the work.
    `dropped`: no HTTP answer at all; the connection is closed instead (error/status/retry_after unused).
    """

    error: str
    status: int
    retry_after: int
    applied: bool = False
    dropped: bool = False

    def reply(self) -> Reply:
        """The failure as Slack sends it; a 429 carries Retry-After like Slack's rate limiter."""
        headers = {"Retry-After": str(self.retry_after)} if self.status == 429 else {}
        return Reply(self.status, {"ok": False, "error": self.error}, headers)


class FaultPlan:
    """Pending failures and added latency, per method name."""

    def __init__(self) -> None:
        self._pending: defaultdict[str, deque[Fault]] = defaultdict(deque)
        self._latency: dict[str, float] = {}

    def fail_next(
        self, method: str, error: str, status: int | None, retry_after: int, times: int, applied: bool = False
    ) -> None:
        """Queue `times` failures; status defaults to 429 for "ratelimited" and 200 (ok: false) otherwise.

        `applied`: each call takes effect before it is answered with the failure.
        """
        if status is None:
            status = 429 if error == "ratelimited" else 200
        self._pending[method].extend([Fault(error, status, retry_after, applied=applied)] * times)

    def drop_next(self, method: str, times: int, applied: bool) -> None:
        """Queue `times` dropped connections (no answer); `applied`: each call takes effect first."""
        self._pending[method].extend([Fault("connection_dropped", 0, 0, applied=applied, dropped=True)] * times)

    def take(self, method: str) -> Fault | None:
        """The failure the next call to `method` must get, if any."""
        pending = self._pending[method]
        return pending.popleft() if pending else None

    def clear(self) -> None:
        """Drop pending failures and latencies, e.g. once a simulated outage is over."""
        self._pending.clear()
        self._latency.clear()

    def set_latency(self, method: str, seconds: float) -> None:
        """Delay every call to `method` by `seconds` (0 removes the delay)."""
        self._latency[method] = seconds

    async def delay(self, method: str) -> None:
        """Sleep for the latency configured for `method`."""
        seconds = self._latency.get(method, 0.0)
        if seconds > 0:
            await asyncio.sleep(seconds)
