"""Reading what the page posts: a malformed body is the page's mistake (400), never the server's (500)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

Body = dict[str, Any]


class BadRequest(Exception):
    """The body is not what the page sends: not JSON, not an object, or a field missing or of the wrong type."""


async def read_body(request: web.Request) -> Body:
    """The JSON object posted, which names the acting person (``user``)."""
    try:
        body = json.loads(await request.read())
    except ValueError as error:  # not JSON, or not UTF-8
        raise BadRequest(f"the body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise BadRequest("expected a JSON object")
    text(body, "user")
    return body


def text(body: Body, key: str, default: str | None = None) -> str:
    """The string `key` (`default` when absent or null, if one is given)."""
    value = body.get(key)
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        raise BadRequest(f"{key} must be a string")
    return value


def mapping(body: Body, key: str) -> Body:
    """The object `key` (empty when absent or null)."""
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"{key} must be an object")
    return value
