"""conversations.history: a conversation's messages newest first, in cursor-linked pages, as Slack returns them."""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal, InvalidOperation
from typing import Any

from slackstub.replies import Handler, SlackMethodError
from slackstub.workspace import Message, Workspace

DEFAULT_LIMIT = 100
MAX_LIMIT = 999
"""Slack's documented ceiling; larger limits are served as 999."""
_CURSOR_PREFIX = "next_ts:"
"""Slack's history cursors are base64 of "next_ts:" and the digits of the next message's ts."""


class HistoryApi:
    """Reading the conversations the bot can see (its DMs and group DMs, and channels it is in)."""

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace

    def methods(self) -> dict[str, Handler]:
        """The Web API methods this class serves."""
        return {"conversations.history": self.history, "conversations.replies": self.replies}

    def history(self, args: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: top-level messages between `oldest` and `latest`, newest first, `limit` a page.

        Message metadata is only listed with include_all_metadata; `cursor` is a previous page's next_cursor.
        """
        channel = self._ws.readable_channel(str(args.get("channel") or ""))
        limit = _limit(args.get("limit"))
        oldest = _ts_bound(args.get("oldest"), "invalid_ts_oldest")
        latest = _ts_bound(args.get("latest"), "invalid_ts_latest")
        start = _cursor_ts(args.get("cursor"))
        inclusive = _flag(args.get("inclusive"))
        with_metadata = _flag(args.get("include_all_metadata"))
        listed = [
            message
            for message in reversed(self._ws.history(channel))
            if _top_level(message)
            and _within(Decimal(message["ts"]), oldest, latest, inclusive)
            and (start is None or Decimal(message["ts"]) <= start)
        ]
        page, rest = listed[:limit], listed[limit:]
        answer: dict[str, Any] = {
            "messages": [_as_listed(message, with_metadata) for message in page],
            "has_more": bool(rest),
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
        }
        if rest:
            answer["response_metadata"] = {"next_cursor": _cursor_for(rest[0]["ts"])}
        return answer

    def replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """conversations.replies: a thread's parent and its replies, oldest first (one page: threads here are short)."""
        channel = self._ws.readable_channel(str(args.get("channel") or ""))
        ts = str(args.get("ts") or "")
        thread = [message for message in self._ws.history(channel)
                  if message["ts"] == ts or message.get("thread_ts") == ts]
        if not thread:
            raise SlackMethodError("thread_not_found")
        with_metadata = _flag(args.get("include_all_metadata"))
        return {"messages": [_as_listed(message, with_metadata) for message in thread], "has_more": False}


def _flag(value: Any) -> bool:
    """Slack's boolean arguments: true, 1, "1" or "true" (slack_sdk sends query booleans as "1"/"0")."""
    return value is True or value == 1 or str(value).strip().lower() in ("1", "true")


def _limit(value: Any) -> int:
    if value is None or value == "":
        return DEFAULT_LIMIT
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())):
        raise SlackMethodError("invalid_limit")
    limit = int(value)
    if limit < 1:
        raise SlackMethodError("invalid_limit")
    return min(limit, MAX_LIMIT)


def _ts_bound(value: Any, error: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        bound = Decimal(str(value).strip())
    except InvalidOperation:
        raise SlackMethodError(error) from None
    if not bound.is_finite() or bound < 0:
        raise SlackMethodError(error)
    return bound


def _cursor_for(ts: str) -> str:
    return base64.b64encode(f"{_CURSOR_PREFIX}{ts.replace('.', '')}".encode()).decode()


def _cursor_ts(cursor: Any) -> Decimal | None:
    """The ts a page starts at (inclusive), from a next_cursor; None for the first page."""
    if cursor is None or cursor == "":
        return None
    try:
        decoded = base64.b64decode(str(cursor), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise SlackMethodError("invalid_cursor") from None
    digits = decoded.removeprefix(_CURSOR_PREFIX)
    if not decoded.startswith(_CURSOR_PREFIX) or not digits.isdigit() or len(digits) <= 6:
        raise SlackMethodError("invalid_cursor")
    return Decimal(f"{digits[:-6]}.{digits[-6:]}")


def _within(ts: Decimal, oldest: Decimal | None, latest: Decimal | None, inclusive: bool) -> bool:
    if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
        return False
    return latest is None or ts < latest or (ts == latest and inclusive)


def _top_level(message: Message) -> bool:
    """History lists thread parents but not their replies (those are conversations.replies)."""
    return message.get("thread_ts") in (None, message["ts"])


def _as_listed(message: Message, with_metadata: bool) -> Message:
    """The message as history lists it; its metadata only when asked for (the reply is serialised at once)."""
    return {key: value for key, value in message.items() if with_metadata or key != "metadata"}
