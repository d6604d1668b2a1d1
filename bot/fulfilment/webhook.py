"""A webhook step's HTTP call, and what its answer means for the work engine.

Retried (by the engine, with backoff and jitter, or after Retry-After): a failed connection, a
timeout, 429 and 5xx. Anything else that is not 2xx fails the step at once: another 4xx will not
change by asking again. Redirects are not followed (they would carry the credentials elsewhere).
Every attempt sends the step's ``Idempotency-Key``, the same for each attempt and whoever makes it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from domain.fulfilment_run import Attempt, Rendered

MAX_BODY = 1024 * 1024
"""At most this much of an answer is read (its JSON is kept for ``save_as``)."""
USER_AGENT = "selfserve-fulfilment/1"


async def call(session: aiohttp.ClientSession, rendered: Rendered, key: str, redirect: str | None = None) -> Attempt:
    """Send the step's request once; ``redirect`` sends it to that base URL instead (the
    playground's sink), with the address it was meant for in ``X-Selfserve-Target``."""
    headers = {"User-Agent": USER_AGENT, **rendered.headers, "Idempotency-Key": key}
    url = rendered.url
    if redirect is not None:
        headers["X-Selfserve-Target"] = url
        url = redirect.rstrip("/") + "/" + url.split("://", 1)[-1]
    timeout = aiohttp.ClientTimeout(total=rendered.timeout.total_seconds())
    try:
        async with session.request(rendered.method, url, headers=headers, timeout=timeout, allow_redirects=False,
                                   **({} if rendered.body is None else {"json": rendered.body})) as response:
            raw = await response.content.read(MAX_BODY)
            return _answer(response.status, raw, response.headers.get("Retry-After"))
    except TimeoutError:
        return Attempt(False, f"timed out after {rendered.timeout.total_seconds():g}s", transient=True)
    except aiohttp.ClientError as error:
        return Attempt(False, f"connection failed: {type(error).__name__}: {error}", transient=True)


def _answer(status: int, raw: bytes, retry_after: str | None) -> Attempt:
    text = raw.decode("utf-8", "replace")
    if 200 <= status < 300:
        return Attempt(True, status=status, response=text[:1024], result=_json(text))
    transient = status == 429 or status >= 500
    error = f"HTTP {status}" + ("" if transient else " (not retried: the request itself was refused)")
    return Attempt(False, error, transient=transient, retry_after=_seconds(retry_after) if transient else None,
                   status=status, response=text[:1024])


def _json(text: str) -> Any:
    """The answer as JSON when it is JSON, else its text (``save_as`` keeps either)."""
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return text[:1024]


def _seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.replace(".", "", 1).isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())



