"""What Slack sends an app beside commands and interactions on its messages and modals: Events API
callbacks (app_home_opened) and global shortcuts, shaped like the real ones."""

from __future__ import annotations

import time
from typing import Any

from slackstub.ids import slack_id
from slackstub.interaction_payloads import SenderIdentity


def event_callback(sender: SenderIdentity, event: dict[str, Any], bot_user_id: str,
                   event_id: str | None = None) -> dict[str, Any]:
    """The envelope Slack wraps every Events API event in (`event_id` names the delivery: a retry repeats it)."""
    return {
        "token": sender.verification_token,
        "team_id": sender.team_id,
        "api_app_id": sender.api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or slack_id("Ev"),
        "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": sender.team_id, "user_id": bot_user_id,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    }


def message_event(sender: SenderIdentity, message: dict[str, Any], bot_user_id: str,
                  event_id: str | None = None) -> dict[str, Any]:
    """The `message` event of a stored message (with its `channel`): `channel_type` from the conversation's
    id (D: im, G: group, else channel), a bot's post with its bot_id and subtype bot_message... as Slack sends."""
    channel = str(message["channel"])
    kind = "im" if channel.startswith("D") else "group" if channel.startswith("G") else "channel"
    event = {key: value for key, value in message.items() if key not in ("blocks", "metadata", "edited")}
    event.update(type="message", channel=channel, channel_type=kind, event_ts=message["ts"])
    if message.get("blocks"):
        event["blocks"] = message["blocks"]
    return event_callback(sender, event, bot_user_id, event_id)


def app_home_opened_event(sender: SenderIdentity, user_id: str, channel: str, tab: str, bot_user_id: str,
                          view: dict[str, Any] | None) -> dict[str, Any]:
    """The event_callback Slack sends when `user_id` opens a tab of the app (`tab`: "home" or "messages");
    `view` is their Home view if the app published one."""
    event: dict[str, Any] = {"type": "app_home_opened", "user": user_id, "channel": channel, "tab": tab,
                             "event_ts": f"{time.time():.6f}"}
    if view is not None:
        event["view"] = view
    return event_callback(sender, event, bot_user_id)


def global_shortcut_payload(sender: SenderIdentity, user: dict[str, str], callback_id: str,
                            trigger_id: str) -> dict[str, Any]:
    """A global shortcut chosen from Slack's shortcut menu (no channel, message or response_url)."""
    return {**sender.envelope("shortcut", user), "callback_id": callback_id, "trigger_id": trigger_id,
            "action_ts": f"{time.time():.6f}"}
