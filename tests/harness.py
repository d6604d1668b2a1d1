"""The app under test, served over real HTTP and wired to the Slack stand-in.

Tests drive it only the way Slack would: signed requests to ``/slack/events`` (mode "http") or
envelopes over the Socket Mode connection the app opens to the stand-in (mode "socket"), clicks
on buttons the bot really posted, submissions of the modal the bot really opened. Both modes
answer through the same SlackClientSim methods; ``/healthz`` is served over HTTP in both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import EVENTS_PATH, RUNTIME, Runtime, build_web_app
from bot.config import Settings
from domain.catalog import Catalog, load_catalog
from domain.catalog_keeper import CatalogKeeper
from slackstub import SlackClientSim, SlackStandIn
from tests.audit_log import AuditEvent, stored_events

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-A0APP-1-test-token"
MODES = ("http", "socket")
DEFAULT_MODE = "http"
"""The mode of a Harness made without one; tests/conftest.py sets it for tests run in both modes."""


class Harness:
    def __init__(self, engine: AsyncEngine, catalog_path: Path, mode: str | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        """``clock``: the app's time, when a test sets it outright (``tests.clock.TestClock``);
        otherwise real time moved ahead by ``offset``."""
        self.mode = mode or DEFAULT_MODE
        self.clock = clock
        assert self.mode in MODES, self.mode
        self.engine = engine
        self.catalog: Catalog = load_catalog(catalog_path)
        self.catalog_path = catalog_path
        self.keeper: CatalogKeeper | None = None
        self.stub = SlackStandIn(bot_token=BOT_TOKEN, app_token=APP_TOKEN)
        self._runner: web.AppRunner | None = None
        self.slack: SlackClientSim
        self.offset = timedelta()
        """How far the app's clock runs ahead of real time (tests move it to reach timers)."""

    async def __aenter__(self) -> Harness:
        await self.stub.start()
        users = {m for role in self.catalog.roles.values() for m in role.members} | {"U0EMPLOYEE", "U0OUTSIDER"}
        for user_id in sorted(users):
            self.stub.add_user(user_id, name=user_id.lower(), real_name=f"User {user_id}")
        await self.start_app()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop_app()
        await self.stub.stop()

    async def start_app(self) -> None:
        settings = Settings(
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_app_token=APP_TOKEN if self.mode == "socket" else None,
            slack_api_url=self.stub.api_url,
            database_url=str(self.engine.url),
            catalog_path=str(self.catalog_path),
            port=0,
            host="127.0.0.1",
        )
        # ``catalog`` may be swapped by a test (an edit between two requests); ``keeper``, when set,
        # makes the catalog reloadable from its file as in production.
        app = build_web_app(settings, self.keeper or (lambda: self.catalog), self.engine,
                            clock=self.clock or (lambda: datetime.now(UTC) + self.offset))
        connections = self.stub.socket_mode.connections_opened
        self._runner = web.AppRunner(app)
        await self._runner.setup()  # in socket mode this connects
        if self.mode == "socket":
            await self.stub.socket_mode.wait_connected(after=connections)
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        self.slack = SlackClientSim(app_url=self.base_url + EVENTS_PATH, signing_secret=SIGNING_SECRET,
                                    stub=self.stub, mode=self.mode)

    async def stop_app(self) -> None:
        if self._runner is not None:
            await self.slack.close()
            await self._runner.cleanup()
            self._runner = None

    async def restart(self) -> None:
        """A new process on the same database: nothing in memory survives."""
        await self.stop_app()
        await self.start_app()

    @property
    def runtime(self) -> Runtime:
        assert self._runner is not None
        return self._runner.app[RUNTIME]

    async def settle(self) -> None:
        """Let after-ack work and every due job finish (instead of sleeping)."""
        deps = self.runtime.deps
        for _ in range(500):
            await self._envelopes_done()
            await deps.tasks.drain()
            # a claim by the worker may not have returned yet: hence the due count
            if (await deps.jobs.run_once() == 0 and not deps.jobs.busy and not deps.tasks.busy
                    and await self._due_jobs() == 0):
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the jobs did not settle")

    async def finish_jobs(self, timeout: float = 15.0) -> None:
        """Wait until no job is pending at all, retries and timers included: the runner's own
        loop must wake for them (nothing here claims on its behalf)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            async with self.runtime.database.reader() as uow:
                stats = await uow.jobs.stats(uow.now())
            if not (stats.due or stats.scheduled or self.runtime.deps.jobs.busy):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"jobs still pending after {timeout} s: {stats}")
            await asyncio.sleep(0.02)

    async def _envelopes_done(self) -> None:
        """Socket Mode: wait for envelopes still being handled (an event's is acked before it runs)."""
        link = self.runtime.socket_mode
        if link is not None and link.edge is not None and link.edge.client.in_flight:
            await asyncio.wait(set(link.edge.client.in_flight), timeout=10)

    async def _due_jobs(self) -> int:
        async with self.runtime.database.reader() as uow:
            return await uow.jobs.due_count(uow.now())

    async def audit_events(self) -> list[AuditEvent]:
        return await stored_events(self.engine)

    async def kinds(self, outcome: str | None = None) -> list[str]:
        return [e.kind for e in await self.audit_events() if outcome is None or e.outcome == outcome]

    async def open_form(self, user_id: str, action: str) -> dict[str, Any]:
        """``/selfserve <action>`` and the modal the bot opened in answer."""
        before = len(self.stub.calls_to("views.open"))
        response = await self.slack.slash_command(user_id=user_id, command="/selfserve", text=action)
        assert response.status == 200, response.text
        calls = await self.stub.wait_for("views.open", count=before + 1)
        return dict(calls[-1].response["view"])

    async def submit(self, user_id: str, action: str, values: dict[str, Any]) -> Any:
        view = await self.open_form(user_id, action)
        return await self.slack.submit_view(view, user_id=user_id, values=values)

    def dms(self, user_id: str, *, questions: bool = True) -> list[dict[str, Any]]:
        """Messages in the bot's DM with ``user_id``, as they look now; without the feedback
        question asked when a request finishes unless ``questions``."""
        return [m for m in self.stub.messages(self.stub.dm_channel(user_id)) if questions or not is_question(m)]


def is_question(message: dict[str, Any]) -> bool:
    """Whether ``message`` is the feedback question (still open: with its 👍 / 👎 buttons)."""
    return any(block.get("block_id") == "feedback" for block in message.get("blocks") or [])
