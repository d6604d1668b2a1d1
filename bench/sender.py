"""The timed phases run in a child process: the load generator's own work (sending, reading
answers) must not queue behind the Slack stand-in's, which serves the app's Web API calls
in this process. In one event loop, a stand-in busy with the previous request's DMs delayed
reading the next ack, and that delay was charged to the app.

Times stay comparable with the stand-in's (views.open arrival): ``time.monotonic()`` is
CLOCK_MONOTONIC, one clock for every process on the machine.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import aiohttp

from bench.loadgen import Outcome, closed_loop, open_loop
from bench.payloads import Shot

_loop: asyncio.AbstractEventLoop | None = None
_session: aiohttp.ClientSession | None = None


def _phase(url: str, shots: Sequence[Shot], mode: str, value: float) -> Outcome:
    """In the child: one phase on a loop and keep-alive session kept across phases."""
    global _loop
    if _loop is None:
        _loop = asyncio.new_event_loop()
    return _loop.run_until_complete(_send(url, shots, mode, value))


async def _send(url: str, shots: Sequence[Shot], mode: str, value: float) -> Outcome:
    global _session
    if _session is None:
        _session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    if mode == "closed":
        return await closed_loop(_session, url, shots, int(value))
    return await open_loop(_session, url, shots, value)


class Sender:
    """Runs closed- and open-loop phases in one long-lived child process."""

    def __init__(self) -> None:
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))

    async def closed(self, url: str, shots: Sequence[Shot], concurrency: int) -> Outcome:
        return await self._run(url, shots, "closed", concurrency)

    async def open(self, url: str, shots: Sequence[Shot], rate: float) -> Outcome:
        return await self._run(url, shots, "open", rate)

    async def _run(self, url: str, shots: Sequence[Shot], mode: str, value: float) -> Outcome:
        return await asyncio.get_running_loop().run_in_executor(self._pool, _phase, url, list(shots), mode, value)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
