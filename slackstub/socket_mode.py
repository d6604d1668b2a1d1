"""Slack's side of Socket Mode: apps.connections.open, the WebSocket an app connects to, envelopes and acks.

The protocol as Slack speaks it: apps.connections.open (app-level ``xapp-`` token only) returns a
``wss://`` URL for one connection; on connect Slack sends ``hello``; each request is an envelope
``{envelope_id, type: "slash_commands" | "interactive" | "events_api", payload,
accepts_response_payload}`` and the app answers ``{envelope_id, payload?}`` within 3 s, where
``payload`` is what the HTTP response body would have been; ``disconnect`` (``refresh_requested``,
``warning``) asks the app to open a new connection. Here the URL is ``ws://`` on the stand-in's own
port, each URL connects once, envelopes go to the newest connection that got its ``hello`` and was
not asked to go, and an ack counts from whichever connection it arrives on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from slackstub.replies import Handler

ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")
RESPONSE_PAYLOAD_TYPES = frozenset({"view_submission", "block_suggestion"})
"""Interactive payload types whose ack payload Slack acts on (slash commands' too); others' is ignored."""
DEFAULT_ACK_WAIT = 5.0
"""How long deliver() waits for an ack: past Slack's 3 s, so a late ack is seen (and judged late), not lost."""


@dataclass(frozen=True)
class Ack:
    """One message the app sent back: an envelope's ack (``envelope_id``, ``payload``) or anything else."""

    envelope_id: str | None
    payload: dict[str, Any] | None
    connection: int
    """Which connection it came on (numbered from 1 in the order they opened)."""
    at: float
    """time.monotonic() when it arrived."""
    raw: str


@dataclass(frozen=True)
class Envelope:
    """One envelope (or raw text) the stand-in sent to the app."""

    envelope_id: str | None
    type: str
    payload: Any
    connection: int
    at: float


class _Connection:
    def __init__(self, number: int, socket: web.WebSocketResponse) -> None:
        self.number = number
        self.socket = socket
        self.ready = False  # hello sent
        self.leaving = False  # told to disconnect: nothing new is sent on it


class SocketModeServer:
    """Socket Mode for the stand-in; mounted on its HTTP server (SlackStandIn.socket_mode)."""

    def __init__(self, app_id: str, base_url: Callable[[], str]) -> None:
        self._app_id = app_id
        self._base_url = base_url
        self._tickets: set[str] = set()
        self._connections: dict[int, _Connection] = {}
        self._opened = 0
        self._waiting: dict[str, asyncio.Future[Ack]] = {}
        self._changed: asyncio.Condition | None = None
        self.acks: list[Ack] = []
        """Every message received from the app, in order (duplicates and strays included)."""
        self.envelopes: list[Envelope] = []
        """Every envelope (and raw text) sent to the app, in order."""

    # wiring into the stand-in's HTTP server

    def methods(self) -> dict[str, Handler]:
        """Web API methods that take the app-level token."""
        return {"apps.connections.open": self._open}

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/link/", self._websocket)

    # what tests look at

    @property
    def connections_opened(self) -> int:
        """How many connections the app has opened so far."""
        return self._opened

    @property
    def live_connections(self) -> list[int]:
        """Numbers of the open connections that got their hello and were not asked to go."""
        return [c.number for c in self._connections.values() if c.ready and not c.leaving and not c.socket.closed]

    def acks_for(self, envelope_id: str) -> list[Ack]:
        """Every ack the app sent for this envelope (more than one would be a doubled answer)."""
        return [ack for ack in self.acks if ack.envelope_id == envelope_id]

    async def wait_connected(self, timeout: float = 5.0, *, after: int = 0) -> int:
        """Wait for a live connection numbered above `after`; returns its number (TimeoutError if none comes)."""
        try:
            async with self._condition():
                await asyncio.wait_for(self._condition().wait_for(
                    lambda: any(number > after for number in self.live_connections)), timeout)
        except TimeoutError:
            raise TimeoutError(f"no Socket Mode connection from the app within {timeout:.1f} s "
                               f"({self._opened} opened so far)") from None
        return max(self.live_connections)

    # what Slack does

    async def deliver(self, envelope_type: str, payload: dict[str, Any], *,
                      accepts_response_payload: bool | None = None, retry_attempt: int | None = None,
                      wait: float = DEFAULT_ACK_WAIT) -> tuple[Ack | None, float]:
        """Send one envelope and wait up to `wait` s for its ack: (the ack or None, seconds from send to ack).

        `accepts_response_payload` defaults to what Slack sets: true for slash commands, view_submission and
        block_suggestion. A connection that closes while sending is replaced by the next live one.
        """
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type == "slash_commands" or (
                envelope_type == "interactive" and payload.get("type") in RESPONSE_PAYLOAD_TYPES)
        envelope_id = str(uuid.uuid4())
        message: dict[str, Any] = {"envelope_id": envelope_id, "payload": payload, "type": envelope_type,
                                   "accepts_response_payload": accepts_response_payload}
        if envelope_type == "events_api":
            message.update(retry_attempt=retry_attempt or 0, retry_reason="timeout" if retry_attempt else "")
        return await self._send(json.dumps(message), envelope_id, envelope_type, payload, wait)

    async def send_text(self, text: str, *, envelope_id: str | None = None,
                        wait: float = DEFAULT_ACK_WAIT) -> tuple[Ack | None, float]:
        """Send raw `text` (anything, e.g. a malformed envelope); with `envelope_id`, wait for an ack of it."""
        return await self._send(text, envelope_id, "raw", text, wait if envelope_id else 0.0)

    async def disconnect(self, reason: str = "refresh_requested") -> list[int]:
        """Tell every live connection to go (the app should open a new one); returns their numbers.

        They stay open until the app closes them: acks may still arrive on them.
        """
        told = []
        for connection in list(self._connections.values()):
            if connection.ready and not connection.leaving and not connection.socket.closed:
                connection.leaving = True
                told.append(connection.number)
                with contextlib.suppress(ConnectionError):
                    await connection.socket.send_json({"type": "disconnect", "reason": reason, "debug_info": {
                        "host": "stand-in"}})
        await self._notify()
        return told

    async def drop(self) -> None:
        """Close every connection without warning (as a network failure would); the app should reconnect."""
        for connection in list(self._connections.values()):
            connection.leaving = True
            await connection.socket.close(code=WSCloseCode.GOING_AWAY)
        await self._notify()

    async def close(self) -> None:
        """Close all connections (the stand-in is stopping)."""
        await self.drop()
        for future in self._waiting.values():
            future.cancel()

    # internals

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def _notify(self) -> None:
        async with self._condition():
            self._condition().notify_all()

    def _open(self, args: dict[str, Any]) -> dict[str, Any]:
        ticket = secrets.token_urlsafe(12)
        self._tickets.add(ticket)
        base = self._base_url().replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        return {"url": f"{base}link/?ticket={ticket}&app_id={self._app_id}"}

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="unknown or used ticket")
        self._tickets.discard(ticket)
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._opened += 1
        connection = _Connection(self._opened, socket)
        self._connections[connection.number] = connection
        try:
            await socket.send_json({"type": "hello", "num_connections": len(self._connections),
                                    "debug_info": {"host": "stand-in", "approximate_connection_time": 18060},
                                    "connection_info": {"app_id": self._app_id}})
            connection.ready = True
            await self._notify()
            async for frame in socket:
                if frame.type == WSMsgType.TEXT:
                    self._received(connection, str(frame.data))
        finally:
            self._connections.pop(connection.number, None)
            await self._notify()
        return socket

    def _received(self, connection: _Connection, raw: str) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            message = None
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        payload = message.get("payload") if isinstance(message, dict) else None
        ack = Ack(envelope_id if isinstance(envelope_id, str) else None,
                  payload if isinstance(payload, dict) else None, connection.number, time.monotonic(), raw)
        self.acks.append(ack)
        waiting = self._waiting.get(ack.envelope_id or "")
        if waiting is not None and not waiting.done():
            waiting.set_result(ack)

    async def _send(self, text: str, envelope_id: str | None, kind: str, payload: Any,
                    wait: float) -> tuple[Ack | None, float]:
        future: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        if envelope_id is not None:
            self._waiting[envelope_id] = future
        try:
            sent = await self._send_on_live(text, envelope_id, kind, payload)
            if wait <= 0:
                return None, 0.0
            try:
                ack = await asyncio.wait_for(asyncio.shield(future), wait)
            except TimeoutError:
                return None, time.monotonic() - sent
            return ack, ack.at - sent
        finally:
            if envelope_id is not None:
                self._waiting.pop(envelope_id, None)

    async def _send_on_live(self, text: str, envelope_id: str | None, kind: str, payload: Any,
                            timeout: float = 5.0) -> float:
        """Send on the newest live connection (waiting for one, e.g. while the app reconnects); when sent."""
        deadline = time.monotonic() + timeout
        while True:
            number = await self.wait_connected(max(deadline - time.monotonic(), 0.01))
            connection = self._connections.get(number)
            if connection is None:
                continue
            try:
                await connection.socket.send_str(text)
            except ConnectionError:
                connection.leaving = True  # it is closing: try the next one
                continue
            at = time.monotonic()
            self.envelopes.append(Envelope(envelope_id, kind, payload, number, at))
            return at
