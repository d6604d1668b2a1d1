"""CPU time of another process, read from /proc so the server's cost is measured, not the client's."""

from __future__ import annotations

import asyncio
import os

TICK = 1.0 / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (fields 14 and 15 of /proc/<pid>/stat), in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        text = stat.read()
    fields = text[text.rindex(")") + 2:].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) * TICK


async def wait_until_idle(pid: int, quiet: float = 0.3, limit: float = 10.0) -> float:
    """Wait until ``pid`` burns no CPU for ``quiet`` seconds (after-ack work and its jobs done).

    Returns the CPU reading at that moment. Ticks are 10 ms, so "no change" is the best
    resolution /proc gives; an idle app's job engine sleeps until the next due job (at most a
    minute), so it does not keep the process busy.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    last, still_since = cpu_seconds(pid), loop.time()
    while loop.time() < deadline:
        await asyncio.sleep(0.05)
        now = cpu_seconds(pid)
        if now != last:
            last, still_since = now, loop.time()
        elif loop.time() - still_since >= quiet:
            break
    return last
