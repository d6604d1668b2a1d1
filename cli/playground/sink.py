"""The playground's webhook sink: every webhook of the catalog lands here instead of its system.

The bot runs with ``FulfilmentOptions(redirect=<sink>)``, so a step's call keeps its method, path,
headers and body but goes to this local server (the address it was meant for in
``X-Selfserve-Target``). The sink answers as a careful system would: 200 with a small JSON answer
(``{"id": …}``, so ``save_as`` and ``{{ steps.<name>.id }}`` work), the same answer again for an
``Idempotency-Key`` it has seen. Each call is printed, its credentials masked, so a catalog author
sees what their catalog sends. ``${VAR}``s get made-up values (``MadeUpEnviron``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from aiohttp import web

from domain.redaction import redact_headers
from slackstub.serving import serve

LOCAL = "127.0.0.1"


class MadeUpEnviron(Mapping[str, str]):
    """Every ``${VAR}`` is ``playground-<name>``: the playground calls no real system, so it never reads
    (nor prints) a real secret, whatever its shell has set."""

    def __getitem__(self, key: str) -> str:
        return f"playground-{key.lower()}"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


@dataclass(frozen=True)
class Call:
    method: str
    target: str
    headers: Mapping[str, str]
    body: Any


@dataclass
class WebhookSink:
    """``calls``: what it received, in order; ``out``: where each call is printed (None: nowhere)."""

    out: TextIO | None = field(default_factory=lambda: sys.stdout)
    calls: list[Call] = field(default_factory=list)
    _answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    url: str = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._receive)
        self._runner, self.url = await serve(app, LOCAL, 0, shutdown_timeout=0.5)
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        target = request.headers.get("X-Selfserve-Target", request.path_qs)
        self.calls.append(Call(request.method, target, dict(request.headers), body))
        key = request.headers.get("Idempotency-Key") or f"call-{len(self.calls)}"
        answer = self._answers.setdefault(key, {"id": f"sink-{len(self._answers) + 1}", "ok": True})
        if self.out is not None:
            shown = redact_headers({k: v for k, v in request.headers.items() if k.lower() == "authorization"}, [])
            print(f"webhook sink: {request.method} {target} {json.dumps(shown)} {json.dumps(body)} -> 200 "
                  f"{json.dumps(answer)}", file=self.out, flush=True)
        return web.json_response(answer)
