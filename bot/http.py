"""The HTTP edge: authenticate, parse, validate, then hand to Bolt.

The signature is checked on the raw bytes *before* anything is parsed, because Bolt parses
first and would answer a garbled body from anyone with a 500. Bolt's own verification is
therefore switched off (``request_verification_enabled=False``): this is the one check.
Parsing and shape checks live in ``bot.edge``; Bolt is handed the already-parsed dict, so its
substring-based body parser never runs. After validation, an exception in dispatch is our
bug: it goes to the Bolt error handler (audited, 500), never to a 4xx that would hide it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.edge import EdgeRejection, parse_body, signature_is_valid, validate
from bot.logging_setup import bind_slack_request

logger = logging.getLogger(__name__)


OnBug = Callable[[str, Exception], None]
Observe = Callable[[str, float], None]


class SlackEndpoint:
    def __init__(self, bolt: AsyncApp, signing_secret: str, on_bug: OnBug, observe: Observe | None = None) -> None:
        """``on_bug(kind, error)`` audits an exception that escaped Bolt's own error handler;
        ``observe(kind, seconds)`` hears how long each valid request took to answer (metrics)."""
        self._bolt = bolt
        self._secret = signing_secret
        self._on_bug = on_bug
        self._observe = observe

    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        body = await request.read()
        headers = request.headers
        if not signature_is_valid(self._secret, body, headers.get("X-Slack-Request-Timestamp"),
                                  headers.get("X-Slack-Signature")):
            return web.json_response({"error": "invalid signature"}, status=401)
        try:
            parsed = parse_body(body, headers.get("Content-Type"))
            kind = validate(parsed)
        except EdgeRejection as rejection:
            return web.json_response({"error": rejection.message}, status=rejection.status)
        bind_slack_request(parsed)  # this request's task: its log lines name the user (and request)
        # A dict body is only accepted outside "http" mode; the mode matters to Bolt only for
        # its request verification (disabled, done above) and to copy the parsed body, not
        # re-parse raw text, for lazy listeners.
        bolt_request = AsyncBoltRequest(body=parsed, query=request.query_string, headers=dict(headers),
                                        mode="socket_mode")
        try:
            bolt_response = await self._bolt.async_dispatch(bolt_request)
        except Exception as error:
            logger.exception("dispatch failed for a %s request", kind)
            self._on_bug(kind, error)
            return web.Response(status=500)
        if self._observe is not None:
            self._observe(kind, time.monotonic() - started)
        return await to_aiohttp_response(bolt_response)
