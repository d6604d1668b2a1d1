"""Closed and open loop senders: one aiohttp session, pre-built bodies, monotonic clock.

All times are time.monotonic(), the clock the stand-in stamps RecordedCall.at with, so the
time until views.open is a plain subtraction within this process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp

from bench.payloads import Shot


@dataclass
class Outcome:
    """Raw results of one phase; ``sent`` maps a shot's key to the time it counts from."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    sent: dict[str, float] = field(default_factory=dict)
    first_error: str | None = None


def _ok(status: int, text: str) -> bool:
    """A 200 that is not a form rejected with inline errors (that would be a broken scenario)."""
    return status == 200 and '"response_action":"errors"' not in text.replace(" ", "")


async def _send(session: aiohttp.ClientSession, url: str, shot: Shot, since: float, out: Outcome) -> None:
    if shot.key:
        out.sent[shot.key] = since
    try:
        async with session.post(url, data=shot.body, headers=dict(shot.headers)) as response:
            text = await response.text()
            status = response.status
    except aiohttp.ClientError as error:
        status, text = 0, repr(error)
    done = time.monotonic()
    if _ok(status, text):
        out.latencies.append(done - since)
    else:
        out.errors += 1
        out.first_error = out.first_error or f"{status}: {text[:200]}"


async def closed_loop(session: aiohttp.ClientSession, url: str, shots: Sequence[Shot], concurrency: int) -> Outcome:
    """``concurrency`` workers, each sending the next shot as soon as its previous one is answered."""
    out = Outcome()
    queue = iter(shots)

    async def worker() -> None:
        for shot in queue:  # a shared iterator: each shot is taken by exactly one worker
            await _send(session, url, shot, time.monotonic(), out)

    start = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    out.seconds = time.monotonic() - start
    return out


async def open_loop(session: aiohttp.ClientSession, url: str, shots: Sequence[Shot], rate: float) -> Outcome:
    """Shot i is due at t0 + i/rate whatever happened before; latency counts from the due time,
    so a slow server cannot hide its queueing (no coordinated omission)."""
    out = Outcome()
    tasks: list[asyncio.Task[None]] = []
    start = time.monotonic()
    for i, shot in enumerate(shots):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_send(session, url, shot, due, out)))
    await asyncio.gather(*tasks)
    out.seconds = max(time.monotonic() - start, len(shots) / rate)
    return out
