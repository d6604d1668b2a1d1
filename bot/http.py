"""The HTTP edge: authenticate, parse, then hand to Bolt.

The signature is checked on the raw bytes *before* anything is parsed, because Bolt parses
first and would answer a garbled body from anyone with a 500. Bolt's own verification is
therefore switched off (``request_verification_enabled=False``): this is the one check.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

MAX_CLOCK_SKEW_SECONDS = 300
logger = logging.getLogger(__name__)


def signature_is_valid(secret: bytes, body: bytes, timestamp: str | None, signature: str | None) -> bool:
    """Slack's v0 scheme: HMAC-SHA256 of ``v0:{timestamp}:{body}``, within five minutes."""
    if not timestamp or not signature or not timestamp.isascii() or not timestamp.strip().isdigit():
        return False
    if abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return False
    expected = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return signature.isascii() and hmac.compare_digest(expected, signature)


class SlackEndpoint:
    def __init__(self, bolt: AsyncApp, signing_secret: str) -> None:
        self._bolt = bolt
        self._secret = signing_secret.encode()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = request.headers
        if not signature_is_valid(self._secret, body, headers.get("X-Slack-Request-Timestamp"),
                                  headers.get("X-Slack-Signature")):
            return web.json_response({"error": "invalid signature"}, status=401)
        try:
            bolt_request = AsyncBoltRequest(body=body.decode("utf-8"), query=request.query_string,
                                            headers=dict(headers))
        except (ValueError, TypeError, AttributeError):
            return web.json_response({"error": "malformed body"}, status=400)
        if not isinstance(bolt_request.body, dict) or not bolt_request.body:
            return web.json_response({"error": "malformed body"}, status=400)
        try:
            bolt_response = await self._bolt.async_dispatch(bolt_request)
        except (KeyError, TypeError, AttributeError, IndexError) as error:
            # Bolt's own payload helpers index into the body before any listener runs
            # (e.g. body["view"]["type"]); an authentic but misshapen payload ends here.
            logger.warning("malformed payload rejected: %r", error)
            return web.json_response({"error": "malformed payload"}, status=400)
        return await to_aiohttp_response(bolt_response)
