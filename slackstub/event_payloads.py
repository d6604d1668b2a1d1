"""What Slack sends an app beside commands and interactions on its messages and modals: Events API
callbacks (app_home_opened) and global shortcuts, shaped like the real ones."""

from __future__ import annotations

import time
from typing import Any

from slackstub.ids import slack_id
from slackstub.interaction_payloads import SenderIdentity


def app_home_opened_event(sender: SenderIdentity, user_id: str, channel: str, tab: str, bot_user_id: str,
                          view: dict[str, Any] | None) -> dict[str, Any]:
    """The event_callback Slack sends when `user_id` opens a tab of the app (`tab`: "home" or "messages");
    `view` is their Home view if the app published one."""
    event: dict[str, Any] = {"type": "app_home_opened", "user": user_id, "channel": channel, "tab": tab,
                             "event_ts": f"{time.time():.6f}"}
    if view is not None:
        event["view"] = view
    return {
        "token": sender.verification_token,
        "team_id": sender.team_id,
        "api_app_id": sender.api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": slack_id("Ev"),
        "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": sender.team_id, "user_id": bot_user_id,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    }


def global_shortcut_payload(sender: SenderIdentity, user: dict[str, str], callback_id: str,
                            trigger_id: str) -> dict[str, Any]:
    """A global shortcut chosen from Slack's shortcut menu (no channel, message or response_url)."""
    return {**sender.envelope("shortcut", user), "callback_id": callback_id, "trigger_id": trigger_id,
            "action_ts": f"{time.time():.6f}"}
