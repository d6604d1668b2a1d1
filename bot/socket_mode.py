"""Socket Mode: Slack's requests arrive as envelopes over a WebSocket the app opens, not as HTTP POSTs.

Built on slack-bolt's aiohttp handler (``slack_bolt.adapter.socket_mode.aiohttp``) and slack_sdk's
aiohttp ``SocketModeClient``, hooked in where the client would parse a message (``process_message``,
the reader of its message queue), so every envelope gets what ``bot.http`` gives an HTTP request
before Bolt sees it: the size and depth limits and the JSON-object check of ``bot.edge.parse_body``
(the stock client calls ``json.loads`` on whatever arrives), then the payload's shape
(``bot.edge.validate``), and a payload kind that fits the envelope type. Bolt is handed the
validated dict (``AsyncBoltRequest(mode="socket_mode")``), as over HTTP.

How each envelope is acked (Slack waits 3 s for the ack; its payload is what the HTTP answer's body
would have been: a view_submission's response_action, a command's ephemeral text, options):

* malformed (bad JSON, an unknown envelope type, a misshapen payload): acked without a payload so
  Slack does not send it again, no listener runs, audited ``malformed_payload`` (HTTP answers 400).
  A message without a usable envelope id cannot be acked; it is audited all the same.
* ``events_api``: acked on arrival (an event's ack carries nothing), then dispatched.
* ``slash_commands`` and ``interactive``: acked with Bolt's answer when the listener returns, so, as
  over HTTP, a change is committed before its ack. A listener still running after ``ACK_BUDGET``
  seconds gets an empty ack then, within Slack's 3 s (otherwise the person sees an error and Slack
  ignores the late ack). A command's answer that comes after that is sent to the command's
  ``response_url`` (ephemeral unless it says otherwise), as the person would have seen it in time;
  other late answers (an interaction's, which says nothing to the person) are logged and dropped.
* except a ``view_submission``: it is acked with its answer whenever that comes, as Bolt's own Socket
  Mode adapter does, never empty. An empty ack closes the modal, which tells the person their form
  went through while the answer may yet be inline errors, a notice, or a failure (not acked at all).
  Slack's own timeout error keeps the modal open with what was typed, which is the truth: the
  outcome is not known yet. Submitting again is safe (a request is stored once per modal, and a
  second verdict on a step is refused naming the first). A "still working" view
  (``response_action: update``) would be no better: it replaces the form, so inline errors that
  came later could no longer be shown, and what was typed would be lost.
* Bolt answering 4xx (no listener for it, or a payload a listener refused): empty ack. 5xx, or an
  exception escaping Bolt: logged and audited, not acked, so Slack tells the person it failed, as it
  does for an HTTP 500.

Slack's ``disconnect`` (``refresh_requested``, ``warning``) makes the client open a new connection
(slack_sdk's ``connect_to_new_endpoint``); acks of envelopes in flight go out on whichever connection
is current. Stopping lets envelopes in flight finish (up to 3 s) before the socket closes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

import aiohttp
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.edge import EdgeRejection, parse_body, request_kind, validate
from bot.logging_setup import bind_slack_request

logger = logging.getLogger(__name__)

ACK_BUDGET = 2.5
"""Seconds a listener may take before its envelope is acked without an answer (Slack waits 3 s)."""
ANSWER_AWAITED = frozenset({"view_submission"})
"""Payload kinds never acked without their listener's answer (see the module docstring)."""
DRAIN_SECONDS = 3.0
"""How long stopping waits for envelopes in flight (their acks need the socket)."""

# The payload kinds (bot.edge.request_kind) each envelope type may carry.
ENVELOPE_KINDS: dict[str, frozenset[str]] = {
    "slash_commands": frozenset({"command"}),
    "interactive": frozenset({"block_actions", "view_submission", "view_closed", "block_suggestion", "shortcut",
                              "message_action"}),
    "events_api": frozenset({"event_callback"}),
}
_ENVELOPE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

OnRefused = Callable[[str, str], None]
"""``on_refused(kind, message)`` audits a malformed envelope."""
OnBug = Callable[[str, Exception], None]
"""``on_bug(kind, error)`` audits an exception that escaped Bolt's own error handler."""


class SocketModeRefused(Exception):
    """Slack refused the app-level token when asked for a connection (bad, revoked, or a bot token)."""


class _EnvelopeClient(SocketModeClient):
    """slack_sdk's aiohttp Socket Mode client, handing each raw text message to ``receive``.

    Only ``process_message`` differs: the stock one parses the text itself, without limits, and
    leaves its task unreferenced; here each message runs as a task kept in ``in_flight``.
    """

    def __init__(self, receive: Callable[[str], Coroutine[Any, Any, None]], **kwargs: Any) -> None:
        self._receive = receive  # set first: the client's message processor starts in __init__
        self.in_flight: set[asyncio.Task[None]] = set()
        super().__init__(**kwargs)

    async def process_message(self) -> None:
        raw = await self.message_queue.get()
        if not isinstance(raw, str):
            return
        task = asyncio.get_running_loop().create_task(self._receive(raw), name="socket-mode-envelope")
        self.in_flight.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("a Socket Mode message failed", exc_info=task.exception())


class SocketModeEdge(AsyncSocketModeHandler):
    """Bolt's aiohttp Socket Mode handler with bot.edge's checks in front of every envelope.

    Construct it inside the running event loop (slack_sdk's client starts tasks and a session).
    """

    client: _EnvelopeClient

    def __init__(self, app: AsyncApp, app_token: str, web_client: AsyncWebClient, on_refused: OnRefused,
                 on_bug: OnBug, *, ping_interval: float = 10.0, ack_budget: float | None = None,
                 observe: Callable[[str, float], None] | None = None) -> None:
        """``ack_budget``: seconds before an unanswered envelope is acked anyway (default: ACK_BUDGET);
        ``observe(kind, seconds)`` hears how long each envelope took to be acked (metrics)."""
        # Not super().__init__(): that builds the stock client, which would parse envelopes itself.
        self.app = app
        self.app_token = app_token
        self._on_refused = on_refused
        self._on_bug = on_bug
        self._ack_budget = ack_budget
        self._observe = observe
        self._arrived: dict[str, tuple[str, float]] = {}
        self.client = _EnvelopeClient(self.receive, app_token=app_token, web_client=web_client,
                                      logger=logging.getLogger("slack_sdk.socket_mode"), ping_interval=ping_interval)

    async def connect_async(self) -> None:
        """Ask Slack for a connection (failing at once if it refuses the token), then open it."""
        try:  # not issue_new_wss_url(): it logs the refusal as an error before raising it
            opened = await self.client.web_client.apps_connections_open(app_token=self.app_token)
            self.client.wss_uri = str(opened["url"])
        except SlackApiError as error:
            raise SocketModeRefused(f"Slack refused it (apps.connections.open: {error.response.get('error')})") \
                from None
        await self.client.connect()  # type: ignore[no-untyped-call]  # slack_sdk leaves it unannotated

    async def close_async(self) -> None:
        """Let envelopes in flight be acked (up to DRAIN_SECONDS), then close the socket and its tasks."""
        if self.client.in_flight:
            await asyncio.wait(set(self.client.in_flight), timeout=DRAIN_SECONDS)
        await self.client.close()  # type: ignore[no-untyped-call]  # slack_sdk leaves it unannotated
        late = set(self.client.in_flight)
        for task in late:
            task.cancel()
        tasks = [task for task in (self.client.message_processor, self.client.current_session_monitor,
                                   self.client.message_receiver) if task is not None]
        await asyncio.gather(*late, *tasks, return_exceptions=True)

    async def receive(self, raw: str) -> None:
        """One text message from the socket: checked, then acked and dispatched as described above."""
        try:
            message = parse_body(raw.encode("utf-8", errors="surrogatepass"), "application/json")
        except EdgeRejection as rejection:
            self._refuse("socket_mode", rejection.message)
            return
        kind = message.get("type")
        if kind == "hello":
            logger.debug("Socket Mode connection ready")
            return
        if kind == "disconnect":
            logger.info("Slack asked for a new Socket Mode connection (%s)", str(message.get("reason"))[:64])
            await self.client.connect_to_new_endpoint(force=True)
            return
        label = kind[:40] if isinstance(kind, str) else "unknown"
        envelope_id = message.get("envelope_id")
        if not isinstance(envelope_id, str) or not _ENVELOPE_ID.fullmatch(envelope_id):
            self._refuse(label, "envelope without a valid envelope_id (cannot be acked)")
            return
        try:
            request = _request(message, envelope_id)
        except EdgeRejection as rejection:
            await self._ack(envelope_id)
            self._refuse(label, rejection.message)
            return
        await self.handle(self.client, request)

    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        """Dispatch a validated envelope through Bolt and ack it (see the module docstring)."""
        self._arrived[req.envelope_id] = (request_kind(req.payload), time.monotonic())
        bind_slack_request(req.payload)  # each envelope runs in its own task
        try:
            await self._handle(req)
        finally:
            self._arrived.pop(req.envelope_id, None)  # one never acked (our bug) is not timed

    async def _handle(self, req: SocketModeRequest) -> None:
        started = time.monotonic()
        if req.type == "events_api":
            await self._ack(req.envelope_id)
            await self._dispatch(req)
            return
        dispatch = asyncio.ensure_future(self._dispatch(req))
        budget = ACK_BUDGET if self._ack_budget is None else self._ack_budget
        done, _ = await asyncio.wait({dispatch}, timeout=budget)
        kind = request_kind(req.payload)
        if not done and kind not in ANSWER_AWAITED:
            logger.warning("a %s listener has run %.1f s: acked without its answer", kind, time.monotonic() - started)
            await self._ack(req.envelope_id)
            late = await dispatch
            answer = _ack_payload(late) if late is not None and late.status == 200 else None
            url = req.payload.get("response_url")
            if answer is not None and req.type == "slash_commands" and isinstance(url, str):
                await self._answer_late(url, answer)
            elif late is not None:
                logger.warning("dropped the late answer (status %d) to a %s envelope", late.status, req.type)
            return
        if not done:
            logger.warning("a %s listener has run %.1f s: not acked until it answers", kind,
                           time.monotonic() - started)
        response = await dispatch
        if response is None:
            return  # our bug, logged and audited: no ack, so Slack reports the failure
        if response.status == 200:
            await self._ack(req.envelope_id, _ack_payload(response))
        elif response.status < 500:
            logger.info("acked a %s envelope that Bolt answered %d", req.type, response.status)
            await self._ack(req.envelope_id)
        else:
            logger.warning("not acking a %s envelope: Bolt answered %d", req.type, response.status)

    async def _dispatch(self, req: SocketModeRequest) -> BoltResponse | None:
        bolt_request = AsyncBoltRequest(body=req.payload, mode="socket_mode", headers=_retry_headers(req))
        try:
            return await self.app.async_dispatch(bolt_request)
        except Exception as error:
            kind = request_kind(req.payload)
            logger.exception("dispatch failed for a %s envelope", kind)
            self._on_bug(kind, error)
            return None

    async def _answer_late(self, url: str, answer: dict[str, Any]) -> None:
        """A command's answer after its empty ack, through its ``response_url``, with the web
        client's session and retries (rate limits, dropped connections)."""
        web = self.client.web_client
        hook = AsyncWebhookClient(url, session=web.session, retry_handlers=list(web.retry_handlers))
        try:
            sent = await hook.send_dict({"response_type": "ephemeral", **answer})
        except (aiohttp.ClientError, TimeoutError) as error:  # retries spent: the person waits in vain; say why
            logger.warning("could not send a late command answer: %s: %s", type(error).__name__, error)
            return
        if sent.status_code != 200:
            logger.warning("a late command answer was refused: %d %s", sent.status_code, sent.body[:200])

    async def _ack(self, envelope_id: str, payload: dict[str, Any] | None = None) -> None:
        arrived = self._arrived.pop(envelope_id, None)
        if arrived is not None and self._observe is not None:
            self._observe(arrived[0], time.monotonic() - arrived[1])
        try:
            await self.client.send_socket_mode_response(SocketModeResponse(envelope_id=envelope_id, payload=payload))
        except Exception as error:  # the socket went away: Slack treats the envelope as unanswered
            logger.warning("could not ack envelope %s: %s: %s", envelope_id, type(error).__name__, error)

    def _refuse(self, kind: str, message: str) -> None:
        logger.warning("refused a Socket Mode %s message: %s", kind, message)
        self._on_refused(kind, message)


def _request(message: Mapping[str, Any], envelope_id: str) -> SocketModeRequest:
    """The envelope as slack_sdk's request, once its type and payload pass bot.edge's checks."""
    kind = message.get("type")
    expected = ENVELOPE_KINDS.get(kind) if isinstance(kind, str) else None
    if expected is None:
        raise EdgeRejection(400, "unsupported envelope type")
    payload = message.get("payload")
    if not isinstance(payload, dict) or not payload:
        raise EdgeRejection(400, "payload must be an object")
    payload_kind = validate(payload)
    if payload_kind not in expected:
        raise EdgeRejection(400, f"a {payload_kind} payload in a {kind} envelope")
    attempt = message.get("retry_attempt")
    reason = message.get("retry_reason")
    assert isinstance(kind, str)
    return SocketModeRequest(
        type=kind, envelope_id=envelope_id, payload=payload,
        accepts_response_payload=message.get("accepts_response_payload") is True,
        retry_attempt=attempt if isinstance(attempt, int) and not isinstance(attempt, bool) else None,
        retry_reason=reason[:64] if isinstance(reason, str) else None)


def _retry_headers(req: SocketModeRequest) -> dict[str, str | Sequence[str]] | None:
    """An Events API redelivery's headers, as Slack sends them over HTTP (as Bolt's adapter does)."""
    headers: dict[str, str | Sequence[str]] = {}
    if req.retry_attempt is not None:
        headers["x-slack-retry-num"] = str(req.retry_attempt)
    if req.retry_reason:
        headers["x-slack-retry-reason"] = req.retry_reason
    return headers or None


def _ack_payload(response: BoltResponse) -> dict[str, Any] | None:
    """Bolt's HTTP answer as an ack payload (as Bolt's own Socket Mode adapter converts it)."""
    if not response.body:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    if content_type.startswith("application/json"):
        body = json.loads(response.body)
        return body if isinstance(body, dict) else {"text": response.body}
    return {"text": response.body}


class SocketModeConnection:
    """The Socket Mode link of a running app: made and connected on start, drained and closed on stop."""

    def __init__(self, make_edge: Callable[[], SocketModeEdge]) -> None:
        self._make_edge = make_edge
        self.edge: SocketModeEdge | None = None

    async def start(self) -> None:
        """Connect (raises SocketModeRefused when Slack refuses the token; nothing is left open then)."""
        edge = self._make_edge()
        try:
            await edge.connect_async()
        except BaseException:
            await edge.close_async()
            raise
        self.edge = edge

    async def stop(self) -> None:
        if self.edge is not None:
            edge, self.edge = self.edge, None
            await edge.close_async()
