"""SlackClientSim: Slack's side of the app's request URL, driving the app the way real users would."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import aiohttp
from multidict import CIMultiDict

from slackstub.interaction_payloads import (
    SenderIdentity,
    action_entry,
    message_actions_payload,
    slash_command_form,
    user_ref,
    view_actions_payload,
    view_closed_payload,
    view_submission_payload,
)
from slackstub.recorder import RecordedCall
from slackstub.replies import SlackMethodError
from slackstub.screen import Screen
from slackstub.signing import signature_headers
from slackstub.sim_response import SimResponse
from slackstub.standin import SlackStandIn
from slackstub.targets import find_element, target_of
from slackstub.view_state import build_state_values

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


class SlackClientSim:
    """Signs and sends what Slack sends an app, using ids and URLs minted by the SlackStandIn."""

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        stub: SlackStandIn,
        team_id: str | None = None,
        api_app_id: str | None = None,
        *,
        verification_token: str = "legacy-verification-token",
    ) -> None:
        self.app_url = app_url
        self._signing_secret = signing_secret
        self._stub = stub
        ident = stub.identity
        self._sender = SenderIdentity(
            team_id or ident.team_id, ident.team_domain, api_app_id or ident.app_id, verification_token
        )
        self._screen = Screen(stub)
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SlackClientSim:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The one HTTP session this simulator sends with (made on first use; fine for other requests too)."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        return self._http

    async def close(self) -> None:
        """Close the shared HTTP session."""
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def send_raw(
        self,
        body: bytes | str,
        headers: Mapping[str, str] | None = None,
        sign: bool = True,
        timestamp: int | str | None = None,
        content_type: str = FORM_CONTENT_TYPE,
    ) -> SimResponse:
        """POST `body` to the app, signed like Slack unless `sign` is False; `headers` override ours last."""
        data = body.encode() if isinstance(body, str) else body
        sent = {"Content-Type": content_type, "User-Agent": SLACK_USER_AGENT}
        if sign:
            sent.update(signature_headers(self._signing_secret, data, timestamp))
        elif timestamp is not None:
            sent["X-Slack-Request-Timestamp"] = str(timestamp)
        sent.update(headers or {})
        started = time.perf_counter()
        async with self.session.post(self.app_url, data=data, headers=sent) as response:
            text = await response.text()
        return SimResponse(response.status, text, CIMultiDict(response.headers), time.perf_counter() - started)

    async def slash_command(
        self, user_id: str, command: str, text: str = "", channel_id: str = "C0GENERAL"
    ) -> SimResponse:
        """`user_id` types `command text` in `channel_id`; an ack carrying a message is shown like Slack does."""
        trigger = self._stub.new_trigger_id(user_id)
        response_url = self._stub.new_response_url(channel_id, None, user_id)
        form = slash_command_form(self._sender, self._user(user_id), command, text, channel_id, trigger, response_url)
        response = await self.send_raw(urlencode(form))
        acted, body = response.acted_on()
        if acted and isinstance(body, dict):
            # an ack without a message to show (e.g. only response_type) displays nothing
            with contextlib.suppress(SlackMethodError):
                self._stub.app_replied(channel_id, user_id, body)
        return response

    async def click(
        self, surface: dict[str, Any] | RecordedCall, action_id: str, user_id: str, value: Any = None
    ) -> SimResponse:
        """`user_id` uses the element `action_id` on a message or view the bot really produced.

        `surface`: a RecordedCall (chat.postMessage/update/postEphemeral, views.*), a message dict with
        channel and ts (stub.messages(), or an ephemeral the app showed this user, e.g. a slash command
        ack), or a view dict. Messages and views are re-read from the stand-in: only what is on screen now
        can be clicked (LookupError otherwise). `value` picks among buttons sharing an action_id; if no
        button has it, the single matching button is sent carrying it (a tampered click). For selects and
        pickers it is the selection.
        """
        target = target_of(surface)
        content, ephemeral = self._screen.surface(target, user_id)
        block, element = find_element(content.get("blocks") or [], action_id, value)
        action = action_entry(block, element, value)
        user = self._user(user_id)
        if target.kind == "view":
            trigger = self._stub.new_trigger_id(user_id, target.view_id)
            return await self._post_payload(view_actions_payload(self._sender, user, content, action, trigger))
        channel = content["channel"]
        response_url = self._stub.new_response_url(channel, None if ephemeral else content["ts"], user_id)
        trigger = self._stub.new_trigger_id(user_id)
        payload = message_actions_payload(
            self._sender, user, channel, content, ephemeral, action, trigger, response_url
        )
        return await self._post_payload(payload)

    async def submit_view(
        self, view: dict[str, Any], user_id: str, values: Mapping[str, Any] | None = None
    ) -> SimResponse:
        """`user_id` fills in and submits the modal `view` (its latest version in the stand-in).

        Keys of `values` name an input block by block_id, else by its element's action_id; inputs not
        named are sent empty. The app's ack is applied to the stand-in's views as Slack's client does
        (close, clear, update, push, or stay open with errors); an ack Slack would reject raises
        AssertionError. A view the app already closed can still be submitted (a double-clicked Submit).
        """
        current = self._screen.view(view, user_id, allow_closed=True)
        still_open = current["id"] in self._stub.views
        submitted = {**current, "state": {"values": build_state_values(current, values or {})}}
        trigger = self._stub.new_trigger_id(user_id, current["id"])
        payload = view_submission_payload(self._sender, self._user(user_id), submitted, trigger)
        response = await self._post_payload(payload)
        acted, ack = response.acted_on()
        if acted and still_open:
            self._settle(current["id"], ack if isinstance(ack, dict) else None)
        return response

    async def close_view(self, view: dict[str, Any], user_id: str, cleared: bool = False) -> SimResponse | None:
        """`user_id` closes the open modal; the app hears of it only if the view set notify_on_close (else None)."""
        current = self._screen.view(view, user_id, allow_closed=False)
        self._stub.view_closed(current["id"], cleared)
        if not current.get("notify_on_close"):
            return None
        return await self._post_payload(view_closed_payload(self._sender, self._user(user_id), current, cleared))

    async def _post_payload(self, payload: dict[str, Any]) -> SimResponse:
        return await self.send_raw(urlencode({"payload": json.dumps(payload)}))

    def _user(self, user_id: str) -> dict[str, str]:
        return user_ref(user_id, self._stub.username(user_id), self._sender.team_id)

    def _settle(self, view_id: str, ack: dict[str, Any] | None) -> None:
        """Apply the app's view_submission ack to the stand-in's modals."""
        try:
            self._stub.view_submitted(view_id, ack)
        except SlackMethodError as rejected:
            raise AssertionError(f"Slack would reject the app's view_submission ack: {rejected.reply().body}") from None
