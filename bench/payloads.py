"""Signed request bodies, built ahead of time so the timed path only sends bytes.

Built with the stand-in's own payload helpers and signed with slackstub.signature_headers,
so the server sees exactly what Slack would send. Signatures carry "now" as their
timestamp and stay valid for the app's five-minute window, far longer than any phase.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slackstub import SlackStandIn, signature_headers
from slackstub.interaction_payloads import (
    SenderIdentity,
    action_entry,
    message_actions_payload,
    slash_command_form,
    user_ref,
    view_submission_payload,
)
from slackstub.targets import find_element
from slackstub.view_state import build_state_values

FORM = "application/x-www-form-urlencoded"
GOOD = {"full_name": "Ada Lovelace", "email": "ada@example.com", "start_date": "2026-12-01",
        "department": "Engineering", "laptops": "1"}


@dataclass(frozen=True)
class Shot:
    """One request ready to send. ``key`` names it among what the app does after the ack: the
    trigger_id of the views.open that should follow, the mark in a submitted form's answers, or
    the request ref a click decides (see ``bench.scenarios``)."""

    body: bytes
    headers: Mapping[str, str]
    key: str | None = None


class ShotMaker:
    """Slack's side of the conversation, minting trigger ids and response URLs from the stand-in."""

    def __init__(self, stub: SlackStandIn, signing_secret: str) -> None:
        ident = stub.identity
        self._stub = stub
        self._secret = signing_secret
        self._sender = SenderIdentity(ident.team_id, ident.team_domain, ident.app_id, "legacy-verification-token")

    def _user(self, user_id: str) -> dict[str, str]:
        return user_ref(user_id, self._stub.username(user_id), self._sender.team_id)

    def _shot(self, body: str, key: str | None = None) -> Shot:
        data = body.encode()
        return Shot(data, {"Content-Type": FORM, **signature_headers(self._secret, data)}, key)

    def _payload(self, payload: dict[str, Any], key: str | None = None) -> Shot:
        return self._shot(urlencode({"payload": json.dumps(payload)}), key)

    def slash(self, user_id: str, text: str, channel_id: str = "C0GENERAL") -> Shot:
        """``/selfserve text`` typed by ``user_id``; keyed by its trigger_id."""
        trigger = self._stub.new_trigger_id(user_id)
        response_url = self._stub.new_response_url(channel_id, None, user_id)
        form = slash_command_form(self._sender, self._user(user_id), "/selfserve", text, channel_id, trigger,
                                  response_url)
        return self._shot(urlencode(form), trigger)

    def submission(self, view: Mapping[str, Any], user_id: str, values: Mapping[str, Any] = GOOD,
                   mark: str | None = None) -> Shot:
        """The modal ``view`` filled in with ``values`` and submitted. A ``mark`` is appended to the
        full name, so the approver DMs of this request can be told apart; it is the shot's key."""
        if mark is not None:
            values = {**values, "full_name": f"{values['full_name']} {mark}"}
        submitted = {**view, "state": {"values": build_state_values(view, values)}}
        trigger = self._stub.new_trigger_id(user_id, str(view.get("id")))
        return self._payload(view_submission_payload(self._sender, self._user(user_id), submitted, trigger), mark)

    def click(self, message: Mapping[str, Any], action_id: str, user_id: str, key: str | None = None) -> Shot:
        """``user_id`` presses the ``action_id`` button on a message the bot posted (dict with channel, ts)."""
        channel = str(message["channel"])
        block, element = find_element(list(message.get("blocks") or []), action_id, None)
        action = action_entry(block, element, None)
        trigger = self._stub.new_trigger_id(user_id)
        response_url = self._stub.new_response_url(channel, str(message["ts"]), user_id)
        payload = message_actions_payload(self._sender, self._user(user_id), channel, dict(message), False, action,
                                          trigger, response_url)
        return self._payload(payload, key)
