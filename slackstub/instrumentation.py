"""The test-facing controls of the stand-in: its call log and fault injection."""

from __future__ import annotations

from collections.abc import Callable

from slackstub.faults import FaultPlan
from slackstub.recorder import CallRecorder, Predicate, RecordedCall


class Instrumented:
    """Call log and fault controls, kept apart from the Slack model so each stays small."""

    def __init__(self) -> None:
        self._recorder = CallRecorder()
        self._faults = FaultPlan()

    @property
    def calls(self) -> list[RecordedCall]:
        """Every request served so far, including failed ones and response_url posts."""
        return self._recorder.calls

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Every recorded call to `method` (or "response_url"), oldest first."""
        return self._recorder.calls_to(method)

    async def wait_for(
        self, method: str, predicate: Predicate | None = None, timeout: float = 5.0, count: int = 1
    ) -> list[RecordedCall]:
        """Wait until `count` recorded calls to `method` match `predicate` (earlier calls count); else TimeoutError."""
        return await self._recorder.wait_for(method, predicate, timeout, count)

    def on_call(self, listener: Callable[[RecordedCall], None]) -> None:
        """Call `listener` with every request served from now on, once it is recorded."""
        self._recorder.listeners.append(listener)

    def clear_calls(self) -> None:
        """Forget recorded calls (the workspace, messages and views stay)."""
        self._recorder.clear()

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        status: int | None = None,
        retry_after: int = 1,
        times: int = 1,
        *,
        applied: bool = False,
    ) -> None:
        """Fail the next `times` calls to `method`: 429 + Retry-After for "ratelimited", else HTTP 200 ok: false.

        `applied=True`: each call takes effect first (the message is stored, the update made) and only the
        answer is the failure, e.g. `fail_next("chat.postMessage", "internal_error", 500, applied=True)`; the
        answer the caller missed is kept on the RecordedCall as `applied_response`. A call that fails by
        itself still gets its own error (and nothing took effect).
        """
        self._faults.fail_next(method, error, status, retry_after, times, applied)

    def drop_next(self, method: str, times: int = 1, *, applied: bool = False) -> None:
        """Close the connection instead of answering the next `times` calls to `method` (recorded with status 0).

        `applied=True`: each call takes effect before the connection drops, like a reply lost on the way back.
        The caller sees a disconnect (aiohttp.ServerDisconnectedError through slack_sdk).
        """
        self._faults.drop_next(method, times, applied)

    def set_latency(self, method: str, seconds: float) -> None:
        """Delay every call to `method` (or "response_url") by `seconds`; 0 removes the delay."""
        self._faults.set_latency(method, seconds)

    def clear_faults(self) -> None:
        """Cancel pending failures and latencies: the simulated outage is over."""
        self._faults.clear()
