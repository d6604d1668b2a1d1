"""The bodies Slack sends an app: slash command forms and interaction payloads, shaped like the real ones."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any

from slackstub.view_state import element_state


@dataclass(frozen=True)
class SenderIdentity:
    """What Slack stamps on every request to the app: team, app id and the legacy verification token."""

    team_id: str
    team_domain: str
    api_app_id: str
    verification_token: str

    def envelope(self, kind: str, user: dict[str, Any]) -> dict[str, Any]:
        """The fields every interaction payload starts with."""
        return {
            "type": kind,
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": user,
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "is_enterprise_install": False,
            "enterprise": None,
        }


def user_ref(user_id: str, username: str, team_id: str) -> dict[str, str]:
    """The `user` object of interaction payloads."""
    return {"id": user_id, "username": username, "name": username, "team_id": team_id}


def channel_name(channel_id: str) -> str:
    """Slack calls DMs "directmessage"; other channels get a name derived from their id."""
    return "directmessage" if channel_id.startswith("D") else channel_id.lower()


def slash_command_form(sender: SenderIdentity, user: dict[str, str], command: str, text: str,
                       channel_id: str, trigger_id: str, response_url: str) -> dict[str, str]:
    """The form fields of a slash command request."""
    return {
        "token": sender.verification_token,
        "team_id": sender.team_id,
        "team_domain": sender.team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name(channel_id),
        "user_id": user["id"],
        "user_name": user["username"],
        "command": command,
        "text": text,
        "api_app_id": sender.api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def action_entry(block: dict[str, Any], element: dict[str, Any], value: Any) -> dict[str, Any]:
    """One `actions[]` entry: a button's text and value (`value`, if given, replaces it: a tampered click),
    or the new selection `value` of any other element."""
    if element["type"] != "button":
        return state_action(block, element, element_state(element, value))
    entry = {"action_id": element["action_id"], "block_id": block["block_id"], "action_ts": f"{time.time():.6f}"}
    shown: dict[str, Any] = {key: copy.deepcopy(element[key]) for key in ("text", "value", "style") if key in element}
    if value is not None:
        shown["value"] = value
    return {**entry, **shown, "type": "button"}


def state_action(block: dict[str, Any], element: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """The `actions[]` entry for a changed input: its new state `entry` (type and value in Slack's key), with
    the element's placeholder and initial value as Slack echoes them."""
    echoed = {key: copy.deepcopy(value) for key, value in element.items() if key == "placeholder"
              or key.startswith("initial_")}
    return {"action_id": element["action_id"], "block_id": block["block_id"], **copy.deepcopy(entry), **echoed,
            "action_ts": f"{time.time():.6f}"}


def message_actions_payload(sender: SenderIdentity, user: dict[str, str], channel_id: str, message: dict[str, Any],
                            ephemeral: bool, action: dict[str, Any], trigger_id: str,
                            response_url: str) -> dict[str, Any]:
    """block_actions for an element in a message; Slack omits `message` for ephemerals."""
    payload = {
        **sender.envelope("block_actions", user),
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel_id,
                      "is_ephemeral": ephemeral},
        "trigger_id": trigger_id,
        "channel": {"id": channel_id, "name": channel_name(channel_id)},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }
    if not ephemeral:
        payload["message"] = {key: value for key, value in message.items() if key != "channel"}
    return payload


def view_actions_payload(sender: SenderIdentity, user: dict[str, str], view: dict[str, Any],
                         action: dict[str, Any], trigger_id: str) -> dict[str, Any]:
    """block_actions for an element in a modal (no channel, message or response_url, as in Slack)."""
    return {
        **sender.envelope("block_actions", user),
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": trigger_id,
        "view": view,
        "actions": [action],
    }


def block_suggestion_payload(sender: SenderIdentity, user: dict[str, str], view: dict[str, Any],
                             block: dict[str, Any], element: dict[str, Any], query: str) -> dict[str, Any]:
    """block_suggestion: the user typed `query` into an external select of a modal (`view` carries state)."""
    return {
        **sender.envelope("block_suggestion", user),
        "container": {"type": "view", "view_id": view["id"]},
        "action_id": element["action_id"],
        "block_id": block["block_id"],
        "value": query,
        "view": view,
    }


def view_submission_payload(sender: SenderIdentity, user: dict[str, str], view: dict[str, Any],
                            trigger_id: str) -> dict[str, Any]:
    """view_submission for a filled-in modal (`view` already carries state.values)."""
    return {**sender.envelope("view_submission", user), "trigger_id": trigger_id, "view": view, "response_urls": []}


def view_closed_payload(sender: SenderIdentity, user: dict[str, str], view: dict[str, Any],
                        cleared: bool) -> dict[str, Any]:
    """view_closed, which Slack only sends for views opened with notify_on_close."""
    return {**sender.envelope("view_closed", user), "view": view, "is_cleared": cleared}
