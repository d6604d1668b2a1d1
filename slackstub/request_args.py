"""Reading a Web API request the way Slack does: query string, JSON body or form body, token from anywhere."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from slackstub.replies import SlackMethodError

_JSON_FIELDS = {
    "blocks": "invalid_blocks_format",
    "attachments": "invalid_attachments",
    "view": "invalid_arguments",
    "metadata": "invalid_metadata_format",
}
"""Structured arguments that form/GET callers send as JSON strings, and Slack's error when they don't parse."""


async def read_args(request: web.Request) -> dict[str, Any]:
    """Query parameters merged with the body (JSON or form), with JSON-string fields decoded."""
    args: dict[str, Any] = dict(request.query)
    if request.method == "POST":
        args.update(await _read_body(request))
    return _decode_json_fields(args)


def take_token(request: web.Request, args: dict[str, Any]) -> str | None:
    """Remove `token` from args and return the caller's token; an `Authorization: Bearer` header wins."""
    body_token = args.pop("token", None)
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    return str(body_token) if body_token else None


async def _read_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    if request.content_type == "application/json":
        return _json_object(raw)
    return dict(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except ValueError:
        raise SlackMethodError("invalid_json") from None
    if not isinstance(body, dict):
        raise SlackMethodError("json_not_object")
    return body


def _decode_json_fields(args: dict[str, Any]) -> dict[str, Any]:
    for name, error in _JSON_FIELDS.items():
        if isinstance(args.get(name), str):
            try:
                args[name] = json.loads(args[name])
            except ValueError:
                raise SlackMethodError(error) from None
    return args
