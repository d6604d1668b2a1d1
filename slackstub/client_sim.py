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

from slackstub.event_payloads import app_home_opened_event, global_shortcut_payload, message_event
from slackstub.interaction_payloads import (
    SenderIdentity,
    action_entry,
    block_suggestion_payload,
    message_actions_payload,
    slash_command_form,
    state_action,
    user_ref,
    view_actions_payload,
    view_closed_payload,
    view_submission_payload,
)
from slackstub.modal_inputs import DEFAULT_MIN_QUERY_LENGTH, dispatches, suggested_options
from slackstub.recorder import RecordedCall
from slackstub.replies import SlackMethodError
from slackstub.screen import Screen
from slackstub.signing import signature_headers
from slackstub.sim_response import SimResponse
from slackstub.standin import SlackStandIn
from slackstub.targets import find_element, target_of
from slackstub.view_state import EXTERNAL_SELECTS, StateValues, element_state, input_block, selected_options

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
MODES = ("http", "socket")
SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


class SlackClientSim:
    """Sends what Slack sends an app, using ids and URLs minted by the SlackStandIn.

    `mode` "http": signed POSTs to `app_url`; "socket": envelopes over the app's Socket Mode connection to the
    stand-in (stub.socket_mode), answered by acks. Every method works the same in both and returns a SimResponse:
    over Socket Mode, status 200 with the ack's payload as the body, or status 0 when no ack came.
    """

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        stub: SlackStandIn,
        team_id: str | None = None,
        api_app_id: str | None = None,
        *,
        verification_token: str = "legacy-verification-token",
        mode: str = "http",
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.mode = mode
        self.app_url = app_url
        self._signing_secret = signing_secret
        self._stub = stub
        ident = stub.identity
        self._sender = SenderIdentity(
            team_id or ident.team_id, ident.team_domain, api_app_id or ident.app_id, verification_token
        )
        self._screen = Screen(stub)
        self._http: aiohttp.ClientSession | None = None
        self._suggested: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        """The options the last suggestion showed, by (view_id, block_id, action_id) of the external select."""

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

    async def send(self, kind: str, body: dict[str, Any], retry: int = 0) -> SimResponse:
        """Deliver one request of `kind` ("slash_commands", "interactive" or "events_api") as this simulator's mode
        does: a signed POST (a form for commands, `payload=` for interactions, JSON for events) or an envelope."""
        if self.mode == "socket":
            ack, elapsed = await self._stub.socket_mode.deliver(kind, body, retry_attempt=retry or None)
            if ack is None:
                return SimResponse(0, "", CIMultiDict(), elapsed)
            text = json.dumps(ack.payload) if ack.payload is not None else ""
            return SimResponse(200, text, CIMultiDict({"Content-Type": "application/json"} if text else {}), elapsed)
        if kind == "slash_commands":
            return await self.send_raw(urlencode(body))
        if kind == "interactive":
            return await self.send_raw(urlencode({"payload": json.dumps(body)}))
        retried = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return await self.send_raw(json.dumps(body), retried, content_type="application/json")

    async def slash_command(
        self, user_id: str, command: str, text: str = "", channel_id: str = "C0GENERAL"
    ) -> SimResponse:
        """`user_id` types `command text` in `channel_id`; an ack carrying a message is shown like Slack does."""
        trigger = self._stub.new_trigger_id(user_id)
        response_url = self._stub.new_response_url(channel_id, None, user_id)
        form = slash_command_form(self._sender, self._user(user_id), command, text, channel_id, trigger, response_url)
        response = await self.send("slash_commands", form)
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
            shown = self._with_state(content)
            return await self._post_payload(view_actions_payload(self._sender, user, shown, action, trigger))
        channel = content["channel"]
        response_url = self._stub.new_response_url(channel, None if ephemeral else content["ts"], user_id)
        trigger = self._stub.new_trigger_id(user_id)
        payload = message_actions_payload(
            self._sender, user, channel, content, ephemeral, action, trigger, response_url
        )
        return await self._post_payload(payload)

    async def fill(
        self, view: Mapping[str, Any], user_id: str, values: Mapping[str, Any], *, press_enter: bool = True
    ) -> list[SimResponse]:
        """`user_id` enters `values` into inputs of the open modal `view` without submitting it.

        Keys and values as in submit_view (None clears an input). Inputs are filled one after another, each
        looked up in the view as it is by then (an app's views.update in between may add or remove inputs).
        A change of an input in a `dispatch_action: true` block is sent to the app as Slack sends it:
        block_actions with container type "view", the view with state.values of everything entered, and
        actions[0] carrying the element's new value; selects, pickers, checkboxes and radio buttons send on
        every change (picking what is already picked sends nothing), text inputs per their
        dispatch_action_config: on_enter_pressed (the default) sends when Enter is pressed after typing, which
        fill does unless `press_enter` is False (Enter in an empty field sends nothing), on_character_entered
        on every change. An external select takes only an option the last suggest() for it returned (or one
        already selected). Returns the app's answers to the block_actions sent, one per dispatch.
        """
        responses: list[SimResponse] = []
        for key, value in values.items():
            current = self._screen.view(view, user_id, allow_closed=False)
            block = input_block(current, key)
            element = block["element"]
            before = self._stub.view_values(current["id"]).get(block["block_id"], {}).get(element["action_id"])
            entry = self._entry(current["id"], block, value, before)
            self._stub.enter_view_values(current["id"], {block["block_id"]: {element["action_id"]: entry}})
            if dispatches(block, before, entry, press_enter):
                trigger = self._stub.new_trigger_id(user_id, current["id"])
                action = state_action(block, element, entry)
                payload = view_actions_payload(self._sender, self._user(user_id), self._with_state(current), action,
                                               trigger)
                responses.append(await self._post_payload(payload))
        return responses

    async def suggest(
        self, view: Mapping[str, Any], action_id: str, user_id: str, query: str = ""
    ) -> list[dict[str, Any]]:
        """`user_id` types `query` into the external select `action_id` of the open modal `view`.

        Sends block_suggestion as Slack does and returns the options the app answered (option_groups
        flattened); fill() of that select then accepts one of them. AssertionError if Slack would show none
        (late, failed or non-JSON ack) or refuse the answer (neither or both of options and option_groups,
        over 100 options or groups, option text not plain_text or over 75 characters, value over 150);
        ValueError if the query is shorter than the element's min_query_length (default 3), as Slack then
        sends nothing.
        """
        current = self._screen.view(view, user_id, allow_closed=False)
        block, element = find_element(current.get("blocks") or [], action_id)
        if element["type"] not in EXTERNAL_SELECTS:
            raise LookupError(f"{action_id!r} is a {element['type']}, not an external select: Slack asks no options")
        minimum = int(element.get("min_query_length", DEFAULT_MIN_QUERY_LENGTH))
        if len(query) < minimum:
            raise ValueError(f"Slack sends no block_suggestion for {query!r}: {action_id!r} waits for "
                             f"{minimum} characters (min_query_length)")
        shown = self._with_state(current)
        payload = block_suggestion_payload(self._sender, self._user(user_id), shown, block, element, query)
        options = suggested_options(await self._post_payload(payload))
        self._suggested[(current["id"], block["block_id"], element["action_id"])] = options
        return options

    async def submit_view(
        self, view: Mapping[str, Any], user_id: str, values: Mapping[str, Any] | None = None
    ) -> SimResponse:
        """`user_id` fills in and submits the modal `view` (its latest version in the stand-in).

        Keys of `values` name an input block by block_id, else by its element's action_id; a value of None
        clears the input. Inputs not named send what is entered in them: what fill() (or an earlier
        submission) put there, else the element's initial_* value, else empty. Unlike fill(), naming an
        input here sends no block_actions. The app's ack is applied to the stand-in's views as Slack's client
        does (close, clear, update, push, or stay open with errors, keeping what was entered); an ack Slack
        would reject raises AssertionError. A view the app already closed can still be submitted (a
        double-clicked Submit), with what was entered when it closed.
        """
        current = self._screen.view(view, user_id, allow_closed=True)
        still_open = current["id"] in self._stub.views
        entered = self._stub.view_values(current["id"])
        changes: StateValues = {}
        for key, value in (values or {}).items():
            block = input_block(current, key)
            action_id = block["element"]["action_id"]
            before = entered.get(block["block_id"], {}).get(action_id)
            changes[block["block_id"]] = {action_id: self._entry(current["id"], block, value, before)}
        if still_open and changes:
            self._stub.enter_view_values(current["id"], changes)
        submitted = {**current, "state": {"values": {**entered, **changes}}}
        trigger = self._stub.new_trigger_id(user_id, current["id"])
        payload = view_submission_payload(self._sender, self._user(user_id), submitted, trigger)
        response = await self._post_payload(payload)
        acted, ack = response.acted_on()
        if acted and still_open:
            self._settle(current["id"], ack if isinstance(ack, dict) else None)
        return response

    async def app_home_opened(self, user_id: str, tab: str = "home") -> SimResponse:
        """`user_id` opens the app's Home tab (or its Messages tab, `tab="messages"`): the app_home_opened event,
        carrying their Home view if the app has published one. The Home view is then stub.home(user_id), and its
        buttons are clicked like a modal's: click(stub.home(user_id), action_id, user_id)."""
        body = app_home_opened_event(self._sender, user_id, self._stub.dm_channel(user_id), tab,
                                     self._stub.identity.bot_user_id, self._stub.home(user_id))
        return await self.send("events_api", body)

    async def post_message(self, user_id: str, channel: str, text: str, thread_ts: str | None = None,
                           retries: int = 0) -> tuple[dict[str, Any], list[SimResponse]]:
        """`user_id` posts `text` (escaped as Slack's client does it: typed `<!channel>` stays text) in `channel`
        (a user id means their DM with the app), in the thread of `thread_ts` if given: stored, then sent to the
        app as the `message` event, and again `retries` times as Slack retries a delivery (same event id,
        X-Slack-Retry-Num or the envelope's retry_attempt). Returns the message and the app's answers."""
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        message = self._stub.post_user_message(channel, user_id, escaped, thread_ts=thread_ts)
        return message, await self.message_events(message, retries)

    async def message_events(self, message: dict[str, Any], retries: int = 0) -> list[SimResponse]:
        """Send the `message` event of a stored `message` (any author: the bot's own posts too, as Slack does),
        then `retries` retries of the same delivery."""
        body = message_event(self._sender, message, self._stub.identity.bot_user_id)
        return [await self.send("events_api", body, retry) for retry in range(retries + 1)]

    async def shortcut(self, callback_id: str, user_id: str) -> SimResponse:
        """`user_id` picks the app's global shortcut `callback_id` from Slack's shortcut menu (a trigger to open a
        modal with, no channel or response_url)."""
        trigger = self._stub.new_trigger_id(user_id)
        payload = global_shortcut_payload(self._sender, self._user(user_id), callback_id, trigger)
        return await self._post_payload(payload)

    async def close_view(self, view: dict[str, Any], user_id: str, cleared: bool = False) -> SimResponse | None:
        """`user_id` closes the open modal; the app hears of it only if the view set notify_on_close (else None)."""
        current = self._screen.view(view, user_id, allow_closed=False)
        self._stub.view_closed(current["id"], cleared)
        if not current.get("notify_on_close"):
            return None
        return await self._post_payload(view_closed_payload(self._sender, self._user(user_id), current, cleared))

    async def _post_payload(self, payload: dict[str, Any]) -> SimResponse:
        return await self.send("interactive", payload)

    def _with_state(self, view: dict[str, Any]) -> dict[str, Any]:
        """The view as Slack sends it to the app: with state.values of what is entered now."""
        values = {} if view.get("type") == "home" else self._stub.view_values(view["id"])
        return {**view, "state": {"values": values}}

    def _entry(self, view_id: str, block: dict[str, Any], value: Any, before: dict[str, Any] | None) -> dict[str, Any]:
        """The state entry for `value` typed or picked in the input `block`."""
        element = block["element"]
        offered: list[dict[str, Any]] = []
        if element["type"] in EXTERNAL_SELECTS:
            offered = [*self._suggested.get((view_id, block["block_id"], element["action_id"]), []),
                       *selected_options(before)]
        return element_state(element, value, offered)

    def _user(self, user_id: str) -> dict[str, str]:
        return user_ref(user_id, self._stub.username(user_id), self._sender.team_id)

    def _settle(self, view_id: str, ack: dict[str, Any] | None) -> None:
        """Apply the app's view_submission ack to the stand-in's modals."""
        try:
            self._stub.view_submitted(view_id, ack)
        except SlackMethodError as rejected:
            raise AssertionError(f"Slack would reject the app's view_submission ack: {rejected.reply().body}") from None
