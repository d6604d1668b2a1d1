"""The page's HTTP server: the static client, its state as JSON, its actions, and live changes."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from yarl import URL

from slackstub.client_sim import SlackClientSim
from slackstub.serving import serve
from slackstub.standin import SlackStandIn
from slackstub.web.guard import SameOrigin
from slackstub.web.live import LiveChanges
from slackstub.web.notices import Notices
from slackstub.web.page_actions import PageActions
from slackstub.web.snapshot import snapshot

STATIC = Path(__file__).parent / "static"
NO_STORE = {"Cache-Control": "no-store"}


class WebClient:
    """Serves the page for `stub`'s workspace; people act through `sim`. start() before use."""

    def __init__(self, stub: SlackStandIn, sim: SlackClientSim | None = None,
                 commands: tuple[str, ...] = ("/selfserve",), notices: Notices | None = None,
                 shortcuts: dict[str, str] | None = None) -> None:
        """`sim`: how people's actions reach the app (None: no app yet, see attach); `shortcuts`: the app's
        global shortcuts, name by callback id (the composer's shortcuts menu)."""
        self.stub = stub
        self.shortcuts = dict(shortcuts or {})
        self.default_user = ""
        """Who the page acts as until the person picks someone (else the first person)."""
        self.notices = notices or Notices()
        self.live = LiveChanges()
        self._actions = PageActions(stub, sim, commands, self.shortcuts, self.live.publish)
        stub.on_call(lambda _call: self.live.publish())
        self.notices.listeners.append(self.live.publish)
        self._guard = SameOrigin()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def attach(self, sim: SlackClientSim) -> None:
        """The app is up: from now on people's actions reach it through `sim`."""
        self._actions.sim = sim
        self.live.publish()

    def application(self) -> web.Application:
        app = web.Application(client_max_size=256 * 1024, middlewares=[self._guard.middleware])
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", STATIC)
        app.router.add_get("/client/api/state", self._state)
        app.router.add_get("/client/api/events", self.live.stream)
        app.router.add_post("/client/api/{name}", self._actions.handle)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0: a free port); returns the page's URL."""
        self._runner, self.url = await serve(self.application(), host, port, shutdown_timeout=1.0)
        self._guard.allow(host, URL(self.url).port or port)
        return self.url

    async def stop(self) -> None:
        self.live.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _index(self, _: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html", headers=NO_STORE)

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(snapshot(self.stub, request.query.get("user", ""), self.notices,
                                          self.default_user) | {"shortcuts": self.shortcuts}, headers=NO_STORE)
