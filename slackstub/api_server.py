"""The stand-in's HTTP face: Slack's URL layout and auth rules, with fault injection and call recording."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from slackstub.faults import Fault, FaultPlan
from slackstub.recorder import CallRecorder, RecordedCall
from slackstub.replies import Handler, Reply, SlackMethodError
from slackstub.request_args import read_args, take_token
from slackstub.response_urls import ResponseUrls
from slackstub.serving import serve

Dispatch = Callable[[dict[str, Any], str | None], dict[str, Any]]
"""Serves one parsed request: its args and the caller's token."""


class ApiServer:
    """Serves /api/<method> (GET or POST) and /response/<token> on one aiohttp server."""

    def __init__(
        self,
        bot_token: str,
        methods: dict[str, Handler],
        recorder: CallRecorder,
        faults: FaultPlan,
        response_urls: ResponseUrls,
        *,
        app_token: str | None = None,
        app_methods: dict[str, Handler] | None = None,
        routes: Callable[[web.Application], None] | None = None,
    ) -> None:
        """`app_methods` take the app-level `app_token` (Socket Mode), all others the bot token; `routes` adds more."""
        self._bot_token = bot_token
        self._app_token = app_token
        self._methods = methods
        self._app_methods = app_methods or {}
        self._routes = routes
        self._recorder = recorder
        self._faults = faults
        self._response_urls = response_urls
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self, host: str, port: int) -> str:
        """Listen on host:port (0 picks a free port); returns the base URL ("http://host:port/")."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{token}", self._response_url)
        if self._routes is not None:
            self._routes(app)
        self._runner, self.base_url = await serve(app, host, port)
        return self.base_url

    async def stop(self) -> None:
        """Close the listener and any open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        return await self._serve(method, request, lambda args, token: self._call(method, args, token))

    async def _response_url(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        return await self._serve("response_url", request, lambda body, _auth: self._response_urls.deliver(token, body))

    def _call(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """Slack's order: unknown method first, then auth (the right kind of token), then the method itself."""
        handler = self._methods.get(method) or self._app_methods.get(method)
        if handler is None:
            raise SlackMethodError("unknown_method")
        if not token:
            raise SlackMethodError("not_authed")
        if token != (self._app_token if method in self._app_methods else self._bot_token):
            known = token in (self._bot_token, self._app_token)
            raise SlackMethodError("not_allowed_token_type" if known else "invalid_auth")
        return handler(args)

    async def _serve(self, method: str, request: web.Request, dispatch: Dispatch) -> web.Response:
        """Shared pipeline: latency, injected faults, Slack-shaped errors, and recording of every call."""
        arrived, arrived_wall = time.monotonic(), time.time()
        await self._faults.delay(method)
        args: dict[str, Any] = {}
        fault: Fault | None = None
        applied: dict[str, Any] | None = None
        try:
            args = await read_args(request)
            token = take_token(request, args)
            fault = self._faults.take(method)
            if fault is None:
                reply = Reply(200, {"ok": True, **dispatch(args, token)})
            else:
                # An applied fault lets the call take effect before the failure is answered.
                applied = {"ok": True, **dispatch(args, token)} if fault.applied else None
                reply = fault.reply()
        except SlackMethodError as failure:
            fault = None  # the call failed by itself, so nothing took effect: its own error is the answer
            reply = failure.reply()
        dropped = fault is not None and fault.dropped
        if dropped:
            reply = Reply(0, {})
        # Recorded as copies (the reply may share dicts with state that later calls change); a
        # JSON round trip is that copy at a fraction of deepcopy's cost, and the body is
        # serialised once for both the record and the answer.
        body = json.dumps(reply.body)
        call = RecordedCall(
            method,
            json.loads(json.dumps(args)),
            json.loads(body),
            reply.status,
            request.path,
            arrived,
            wall=arrived_wall,
            applied_response=json.loads(json.dumps(applied)) if applied is not None else None,
        )
        await self._recorder.record(call)
        if dropped and request.transport is not None:
            request.transport.close()
        return web.Response(text=body, status=reply.status or 500, headers=reply.headers,
                            content_type="application/json")
