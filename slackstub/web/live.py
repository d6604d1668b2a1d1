"""Server-sent events: each open page hears "change" when the workspace changes, and redraws."""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

KEEPALIVE_SECONDS = 15.0


class LiveChanges:
    """One queue per open page. Changes coalesce: a page behind by several hears one, and reads the state once."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[bool]] = set()

    def publish(self) -> None:
        """Something changed (a call the bot made, a person's action, a notice)."""
        for queue in self._queues:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(True)

    def close(self) -> None:
        """End every stream (the server is stopping)."""
        for queue in self._queues:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(False)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """GET handler: an event-stream that says "change" (and a comment every 15 s, so proxies keep it)."""
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
        await response.prepare(request)
        queue: asyncio.Queue[bool] = asyncio.Queue(maxsize=1)
        self._queues.add(queue)
        try:
            # reconnect within a second when the stream drops; redraw once connected: changes may have been missed
            await response.write(b"retry: 1000\nevent: change\ndata: {}\n\n")
            while True:
                try:
                    going_on = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if not going_on:
                    break
                await response.write(b"event: change\ndata: {}\n\n")
        except ConnectionResetError:  # the page went away
            pass
        finally:
            self._queues.discard(queue)
        return response
