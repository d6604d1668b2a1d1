"""The stand-in's call log: what the bot asked Slack for, and what it got back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RecordedCall:
    """One request the stand-in served (Web API method or "response_url"), frozen at the time it was answered.

    `status` is 0 and `response` empty when an injected fault dropped the connection instead of answering.
    """

    method: str
    args: dict[str, Any]
    response: dict[str, Any]
    status: int
    path: str
    at: float
    """time.monotonic() when the request arrived (before any injected latency), the benchmark's clock."""
    wall: float = 0.0
    """time.time() when the request arrived: the same instant as `at`, on the wall clock."""
    applied_response: dict[str, Any] | None = None
    """What the method answered when it took effect but an applied fault answered the caller instead."""

    @property
    def ok(self) -> bool:
        """Whether Slack reported success."""
        return self.response.get("ok") is True


Predicate = Callable[[RecordedCall], bool]


class CallRecorder:
    """Appends calls and wakes waiters on each one, so tests wait on events instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[RecordedCall] = []
        self._changed = asyncio.Condition()
        self.listeners: list[Callable[[RecordedCall], None]] = []
        """Called with each call once it is logged (a live view of the workspace redraws on them)."""

    async def record(self, call: RecordedCall) -> None:
        """Log a call and wake everyone waiting for calls."""
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        for listener in self.listeners:
            listener(call)

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Every logged call to `method`, oldest first."""
        return [call for call in self.calls if call.method == method]

    def clear(self) -> None:
        """Forget the log (not the workspace state), e.g. between phases of a test."""
        self.calls.clear()

    async def wait_for(
        self, method: str, predicate: Predicate | None = None, timeout: float = 5.0, count: int = 1
    ) -> list[RecordedCall]:
        """Wait until at least `count` logged calls to `method` match; returns all matches (earlier ones count)."""

        def matching() -> list[RecordedCall]:
            return [call for call in self.calls_to(method) if predicate is None or predicate(call)]

        try:
            async with self._changed:
                await asyncio.wait_for(self._changed.wait_for(lambda: len(matching()) >= count), timeout)
        except TimeoutError:
            seen = [call.method for call in self.calls]
            raise TimeoutError(
                f"{count} matching {method} call(s) not seen within {timeout}s; got {len(matching())}; log: {seen}"
            ) from None
        return matching()
