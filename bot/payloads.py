"""Slack payloads parsed into typed objects at the boundary.

Handlers see these, never raw envelopes. A payload that lacks what its type promises is
a ``MalformedPayload``, which the error handler answers with 400 and audits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class MalformedPayload(Exception):
    """The request was authentic but not shaped like anything Slack sends."""


def _str(data: Mapping[str, Any], *path: str, required: bool = True) -> str:
    value: Any = data
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    if isinstance(value, str) and (value or not required):
        return value
    if not required and value is None:
        return ""
    raise MalformedPayload(f"missing or invalid {'.'.join(path)}")


@dataclass(frozen=True)
class SlashCommand:
    user_id: str
    text: str
    trigger_id: str
    channel_id: str

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> SlashCommand:
        return cls(_str(body, "user_id"), _str(body, "text", required=False).strip(),
                   _str(body, "trigger_id"), _str(body, "channel_id", required=False))

    @property
    def subcommand(self) -> str:
        """The first word, lowercased ("" when the user typed only the command)."""
        words = self.text.split(maxsplit=1)
        return words[0].lower() if words else ""

    @property
    def arguments(self) -> str:
        """What follows the first word (``model="MacBook Pro" reason=replacement``)."""
        words = self.text.split(maxsplit=1)
        return words[1] if len(words) > 1 else ""


@dataclass(frozen=True)
class ButtonClick:
    user_id: str
    action_id: str
    value: str
    trigger_id: str
    response_url: str
    view_type: str = ""
    """"home" or "modal" for a button in the Home tab or a modal (which have no response_url)."""

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> ButtonClick:
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions or not isinstance(actions[0], Mapping):
            raise MalformedPayload("missing actions")
        action = actions[0]
        # Every button the bot posts carries a value. One in a message always comes with a
        # response_url, one in a view (Home tab, modal) with the view; a click with neither was
        # not made on one of our buttons.
        view_type = _str(body, "view", "type", required=False) if isinstance(body.get("view"), Mapping) else ""
        return cls(_str(body, "user", "id"), _str(action, "action_id"), _str(action, "value"),
                   _str(body, "trigger_id"), _str(body, "response_url", required=not view_type), view_type)


@dataclass(frozen=True)
class ViewSubmission:
    user_id: str
    view_id: str
    metadata: Mapping[str, Any]
    view: Mapping[str, Any]

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> ViewSubmission:
        view = _view_of(body)
        return cls(_str(body, "user", "id"), _str(view, "id"), _metadata(view), view)

    def meta_str(self, key: str) -> str:
        value = self.metadata.get(key)
        if not isinstance(value, str):
            raise MalformedPayload(f"private_metadata.{key} missing")
        return value

    def meta_int(self, key: str) -> int:
        value = self.metadata.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise MalformedPayload(f"private_metadata.{key} missing")
        return value


def _view_of(body: Mapping[str, Any]) -> Mapping[str, Any]:
    view = body.get("view")
    if not isinstance(view, Mapping):
        raise MalformedPayload("missing view")
    return view


def _metadata(view: Mapping[str, Any]) -> Mapping[str, Any]:
    try:
        metadata = json.loads(_str(view, "private_metadata", required=False) or "{}")
    except ValueError:
        raise MalformedPayload("private_metadata is not JSON") from None
    if not isinstance(metadata, Mapping):
        raise MalformedPayload("private_metadata is not an object")
    return metadata


@dataclass(frozen=True)
class FormChange:
    """A change in an input of an open request form that dispatches (``dispatch_action``)."""

    user_id: str
    view_id: str
    view_hash: str
    action_name: str
    view: Mapping[str, Any]

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> FormChange:
        view = _view_of(body)
        action = _metadata(view).get("action")
        if not isinstance(action, str):
            raise MalformedPayload("private_metadata.action missing")
        return cls(_str(body, "user", "id"), _str(view, "id"), _str(view, "hash", required=False), action, view)


@dataclass(frozen=True)
class OptionsQuery:
    """block_suggestion: what a person typed into an external select of a request form."""

    user_id: str
    action_name: str
    field_id: str
    query: str

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> OptionsQuery:
        action = _metadata(_view_of(body)).get("action")
        if not isinstance(action, str):
            raise MalformedPayload("private_metadata.action missing")
        return cls(_str(body, "user", "id"), action, _str(body, "action_id"),
                   _str(body, "value", required=False)[:200])


@dataclass(frozen=True)
class HomeOpened:
    """app_home_opened (Events API): ``user_id`` opened a tab of the app; ``tab`` is "home" or "messages"."""

    user_id: str
    tab: str

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> HomeOpened:
        return cls(_str(body, "event", "user"), _str(body, "event", "tab", required=False) or "home")


@dataclass(frozen=True)
class GlobalShortcut:
    """A global shortcut chosen from Slack's shortcut menu."""

    user_id: str
    callback_id: str
    trigger_id: str

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> GlobalShortcut:
        return cls(_str(body, "user", "id"), _str(body, "callback_id"), _str(body, "trigger_id"))


@dataclass(frozen=True)
class UserPicked:
    """A person picked in a user select of a message; ``target`` is what the select's block names
    (its block id after ``prefix``)."""

    picked: str
    target: str
    click: ButtonClick
    """The rest of the interaction (who, the trigger, where to answer), as for a button."""

    @classmethod
    def parse(cls, body: Mapping[str, Any], prefix: str) -> UserPicked:
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions or not isinstance(actions[0], Mapping):
            raise MalformedPayload("missing actions")
        action = actions[0]
        target = _str(action, "block_id").removeprefix(prefix)
        click = ButtonClick.parse({**body, "actions": [{**action, "value": target}]})
        return cls(_str(action, "selected_user"), target, click)


SLACK_USER = re.compile(r"[UW][A-Z0-9]{1,31}")


@dataclass(frozen=True)
class PostedMessage:
    """A ``message`` event (Events API): someone posted ``text`` in ``channel``, in the thread of
    ``thread_ts`` if any. ``by_person`` is False for anything but a person's plain new message (a
    bot's or app's post, the bot's own included, an edit, a deletion, a join)."""

    event_id: str
    channel: str
    ts: str
    thread_ts: str | None
    user: str
    text: str
    by_person: bool

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> PostedMessage:
        event = body.get("event")
        if not isinstance(event, Mapping):
            raise MalformedPayload("missing event")
        user = event.get("user")
        person = (isinstance(user, str) and SLACK_USER.fullmatch(user) is not None and not event.get("bot_id")
                  and not event.get("app_id") and event.get("subtype") in (None, "thread_broadcast"))
        thread_ts = event.get("thread_ts")
        return cls(_str(body, "event_id"), _str(event, "channel"), _str(event, "ts"),
                   thread_ts if isinstance(thread_ts, str) and thread_ts != event.get("ts") else None,
                   user if isinstance(user, str) else "", _str(event, "text", required=False), person)
