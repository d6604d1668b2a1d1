"""A local webhook receiver the fulfilment tests run (aiohttp on 127.0.0.1, port 0).

It records every request and applies its effect once per Idempotency-Key, as a careful
receiving system would: ``effects`` counts the distinct keys it acted on. ``script`` lists the
answers to give first (status, headers); after that it answers 200 with a JSON body.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class WebhookReceiver:
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    effects: dict[str, int] = field(default_factory=dict)
    """Per Idempotency-Key, how many requests were answered 2xx (1 each: exactly one effect)."""
    delay: float = 0.0
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def paths(self) -> list[str]:
        return [r.path for r in self.received]

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        self.received.append(Received(request.method, request.path, dict(request.headers), body))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.script:
            status, headers = self.script.pop(0)
            return web.json_response({"error": "scripted", "echo": request.headers.get("Authorization")},
                                     status=status, headers=headers)
        key = request.headers.get("Idempotency-Key", "")
        self.effects[key] = self.effects.get(key, 0) + 1  # a careful system acts on the first only
        return web.json_response({"id": f"grant-{len(self.effects)}", "path": request.path})

    async def __aenter__(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)  # a hanging call must not hold up the end
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        assert self._runner is not None
        await self._runner.cleanup()
