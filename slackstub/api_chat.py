"""chat.postMessage / chat.update / chat.postEphemeral, plus the message edits response_urls share."""

from __future__ import annotations

import copy
from typing import Any

from slackstub.blocks import assign_ids
from slackstub.identity import AppIdentity
from slackstub.replies import Handler, SlackMethodError
from slackstub.workspace import Message, Workspace

CONTENT_FIELDS = ("text", "blocks", "attachments")
_EXTRA_FIELDS = ("thread_ts", "metadata")
MAX_MESSAGE_BLOCKS = 50
MAX_TEXT = 40_000


class ChatApi:
    """Posting and editing messages as the bot user."""

    def __init__(self, identity: AppIdentity, workspace: Workspace) -> None:
        self._identity = identity
        self._ws = workspace

    def methods(self) -> dict[str, Handler]:
        """The Web API methods this class serves."""
        return {
            "chat.postMessage": self.post_message,
            "chat.update": self.update,
            "chat.postEphemeral": self.post_ephemeral,
        }

    def post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        """chat.postMessage: `channel` may be a channel id, a DM id or a user id (Slack opens the DM).

        Without chat:write.public a bot can only post in public channels it is in, so posting there makes it a
        member (and lets it read the channel's history).
        """
        channel = self._ws.resolve_channel(str(args.get("channel", "")), allow_user=True)
        message = self.post_as_bot(channel, args)
        if channel.startswith("C"):
            self._ws.join(channel)
        return {"channel": channel, "ts": message["ts"], "message": message}

    def update(self, args: dict[str, Any]) -> dict[str, Any]:
        """chat.update: only the bot's own messages; fields left out keep their old value, like Slack."""
        channel = self._ws.resolve_channel(str(args.get("channel", "")), allow_user=False)
        message = self._ws.message(channel, str(args.get("ts", "")))
        if message.get("user") != self._identity.bot_user_id:
            raise SlackMethodError("cant_update_message")
        self.replace_content(message, args, retain_missing=True)
        if "metadata" in args:  # left out: the old metadata stays; an empty object removes it, like Slack
            metadata = check_metadata(args["metadata"])
            if metadata:
                message["metadata"] = copy.deepcopy(metadata)
            else:
                message.pop("metadata", None)
        return {"channel": channel, "ts": message["ts"], "text": message["text"], "message": message}

    def post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        """chat.postEphemeral: shown only to `user`, so nothing joins the channel history."""
        channel = self._ws.resolve_channel(str(args.get("channel", "")), allow_user=True)
        user = self._ws.user(str(args.get("user", "")))
        message = self._bot_message(args)
        self._ws.show_ephemeral(user.id, {**message, "channel": channel})
        return {"message_ts": message["ts"]}

    def post_as_bot(self, channel: str, fields: dict[str, Any]) -> Message:
        """Store a new bot message built from `fields` (Slack assigns missing block ids)."""
        message = self._bot_message(fields)
        assign_ids(message.get("blocks", []))
        self._ws.append(channel, message)
        return message

    def respond(self, channel: str, user_id: str | None, body: dict[str, Any]) -> None:
        """A reply via response_url or slash command ack: posted if in_channel, else shown to `user_id` only."""
        if body.get("response_type") == "in_channel":
            self.post_as_bot(channel, body)
        elif user_id:
            self._ws.show_ephemeral(user_id, {**self._bot_message(body), "channel": channel})

    def _bot_message(self, fields: dict[str, Any]) -> Message:
        """A message from the bot user built from `fields`, with a fresh ts."""
        check_content(fields)
        ident = self._identity
        message: Message = {
            "type": "message",
            "user": ident.bot_user_id,
            "bot_id": ident.bot_id,
            "app_id": ident.app_id,
            "team": ident.team_id,
            "text": fields.get("text") or "",
            "ts": self._ws.clock.next(),
        }
        for key in (*CONTENT_FIELDS[1:], *_EXTRA_FIELDS):
            if fields.get(key):
                message[key] = copy.deepcopy(fields[key])
        return message

    def replace_content(self, message: Message, fields: dict[str, Any], *, retain_missing: bool) -> None:
        """Edit a stored message in place; `retain_missing` keeps fields `fields` leaves out (chat.update)."""
        check_content(fields)
        for key in CONTENT_FIELDS:
            if key in fields:
                message[key] = copy.deepcopy(fields[key])
            elif not retain_missing:
                message.pop(key, None)
        message["text"] = message.get("text") or ""
        if not message.get("blocks"):
            message.pop("blocks", None)
        assign_ids(message.get("blocks", []))
        message["edited"] = {"user": self._identity.bot_user_id, "ts": self._ws.clock.next()}


def check_content(fields: dict[str, Any]) -> None:
    """Slack's checks on message content: something to show, blocks a list of at most 50, text not huge."""
    if not any(fields.get(key) for key in CONTENT_FIELDS):
        raise SlackMethodError("no_text")
    blocks = fields.get("blocks")
    if blocks is not None and not isinstance(blocks, list):
        raise SlackMethodError("invalid_blocks_format")
    if blocks is not None and (len(blocks) > MAX_MESSAGE_BLOCKS or not all(isinstance(b, dict) for b in blocks)):
        raise SlackMethodError("invalid_blocks")
    if len(str(fields.get("text") or "")) > MAX_TEXT:
        raise SlackMethodError("msg_too_long")
    check_metadata(fields.get("metadata"))


def check_metadata(metadata: Any) -> dict[str, Any] | None:
    """Slack's checks on message metadata; returns it, or None when there is none (absent or `{}`).

    Form and GET callers send it as a JSON string, which request_args has already decoded (or refused with
    invalid_metadata_format). It must be an object (else invalid_metadata_format) holding a non-empty string
    `event_type` and an object `event_payload` (else invalid_metadata_schema).
    """
    if metadata is None or metadata == {}:
        return None
    if not isinstance(metadata, dict):
        raise SlackMethodError("invalid_metadata_format")
    event_type = metadata.get("event_type")
    if not isinstance(event_type, str) or not event_type.strip() or not isinstance(metadata.get("event_payload"), dict):
        raise SlackMethodError("invalid_metadata_schema")
    return metadata
