"""response_url endpoints handed to the app, and what Slack does with what the app posts to them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from slackstub.api_chat import ChatApi
from slackstub.replies import SlackMethodError
from slackstub.workspace import Workspace


@dataclass(frozen=True)
class _Origin:
    """Where the interaction that got this response_url happened."""

    channel_id: str | None
    message_ts: str | None
    user_id: str | None


class ResponseUrls:
    """Mints response_urls and applies posts: delete/replace the original, post in_channel, or show ephemerally."""

    def __init__(self, chat: ChatApi, workspace: Workspace) -> None:
        self._chat = chat
        self._ws = workspace
        self._origins: dict[str, _Origin] = {}

    def mint(self, base_url: str, channel_id: str | None, message_ts: str | None, user_id: str | None) -> str:
        """A new response_url for `user_id`'s interaction in `channel_id` (on message `message_ts`, for clicks)."""
        token = secrets.token_urlsafe(16)
        self._origins[token] = _Origin(channel_id, message_ts, user_id)
        return f"{base_url}response/{token}"

    def deliver(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        """Apply one post; ephemeral replies (the default) are shown to the interacting user only."""
        origin = self._origins.get(token)
        if origin is None:
            raise SlackMethodError("not_found", status=404)
        if origin.channel_id and origin.message_ts and body.get("delete_original"):
            self._ws.remove(origin.channel_id, origin.message_ts)
        elif origin.channel_id and origin.message_ts and body.get("replace_original"):
            original = self._ws.message(origin.channel_id, origin.message_ts)
            self._chat.replace_content(original, body, retain_missing=False)
        elif origin.channel_id:
            self._chat.respond(origin.channel_id, origin.user_id, body)
        return {}
