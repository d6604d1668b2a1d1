"""One playground: the Slack stand-in, the real bot talking to it, and the page, started and stopped together.

The bot is built exactly as ``selfserve run`` builds it (``bot.app.build_web_app``); only its settings differ:
the Web API is the stand-in's, the database a fresh SQLite file, and the signing secret one made up here and
shared with the stand-in's client side, which signs what the page does as Slack would. The bot has no idea.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from bot.app import EVENTS_PATH, RUNTIME, Runtime, build_web_app
from bot.config import Settings
from bot.ids import SHORTCUT
from cli.manifest import SHORTCUT_NAME
from cli.playground.watch import POLL_SECONDS, watch
from cli.playground.world import default_person, intro, populate
from domain.catalog import Catalog, CatalogError
from domain.catalog_keeper import CatalogKeeper
from slackstub import SlackClientSim, SlackStandIn
from slackstub.serving import serve
from slackstub.web import WebClient
from storage.engine import create_engine
from storage.migrate import upgrade

DATABASE_FILE = "selfserve.db"
LOCAL = "127.0.0.1"


@dataclass(frozen=True)
class PlaygroundOptions:
    catalog_path: str
    port: int
    host: str = LOCAL
    data_dir: Path = field(default_factory=lambda: Path(".playground"))
    """Holds the database; emptied at each start, because the stand-in's messages live only in memory."""
    log_level: str = "WARNING"
    watch_every: float = POLL_SECONDS
    """How often the catalog file is looked at (cli.playground.watch)."""


class Playground:
    def __init__(self, options: PlaygroundOptions, catalog: Catalog) -> None:
        self.options = options
        self._catalog = catalog
        token = f"xoxb-playground-{secrets.token_hex(8)}"
        self._secret = secrets.token_urlsafe(32)
        self.stub = SlackStandIn(bot_token=token, bot_name="selfserve", team_name="Playground", host=LOCAL)
        self._token = token
        self._bot: web.AppRunner | None = None
        self._watcher: asyncio.Task[None] | None = None
        self.page: WebClient | None = None
        self.url = ""

    @property
    def runtime(self) -> Runtime:
        assert self._bot is not None
        return self._bot.app[RUNTIME]

    async def start(self) -> str:
        """Start everything; returns the page's URL."""
        await self.stub.start()
        populate(self.stub, self._catalog)
        database_url = self._fresh_database()
        engine = create_engine(database_url)
        await upgrade(engine)
        settings = Settings(slack_bot_token=self._token, slack_signing_secret=self._secret, slack_app_token=None,
                            slack_api_url=self.stub.api_url, database_url=database_url,
                            catalog_path=self.options.catalog_path, port=0, host=LOCAL,
                            log_level=self.options.log_level)
        app = build_web_app(settings, CatalogKeeper(self._catalog, self.options.catalog_path), engine)

        async def dispose(_: web.Application) -> None:
            await engine.dispose()

        app.on_cleanup.append(dispose)
        self._bot, bot_url = await serve(app, LOCAL, 0)
        sim = SlackClientSim(bot_url.rstrip("/") + EVENTS_PATH, self._secret, self.stub)
        self.page = WebClient(self.stub, sim, shortcuts={SHORTCUT: SHORTCUT_NAME})
        self.page.default_user = default_person(self._catalog)
        self.page.notices.intro = intro(self._catalog, self.options.catalog_path)
        self.url = await self.page.start(self.options.host, self.options.port)
        self._sim = sim
        self._watcher = asyncio.create_task(watch(self.options.catalog_path, self.reload, self.options.watch_every))
        return self.url

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self.page is not None:
            await self.page.stop()
            await self._sim.close()
        if self._bot is not None:
            await self._bot.cleanup()
            self._bot = None
        await self.stub.stop()

    async def reload(self) -> None:
        """Put the catalog file in force, as SIGHUP does; its problems cover the page until it is fixed."""
        assert self.page is not None
        path = self.options.catalog_path
        try:
            change = await self.runtime.deps.admin.reload(None)
        except CatalogError as error:
            count = len(error.problems)
            self.page.notices.show_problems(f"{path} has {count} problem{'s' if count != 1 else ''}",
                                            [str(problem) for problem in error.problems])
            return
        catalog = self.runtime.catalog
        if catalog is not None:
            populate(self.stub, catalog())
            self.page.notices.intro = intro(catalog(), path)
        what = "nothing changed" if change.nothing else ", ".join(
            f"{key.replace('_', ' ')}: {', '.join(value)}" for key, value in vars(change).items()
            if value and key != "fingerprint")
        self.page.notices.clear_problems(f"Catalog reloaded ({what})")

    def _fresh_database(self) -> str:
        directory = self.options.data_dir
        directory.mkdir(parents=True, exist_ok=True)
        for leftover in directory.glob(f"{DATABASE_FILE}*"):  # the -wal and -shm files too
            leftover.unlink()
        return f"sqlite+aiosqlite:///{directory / DATABASE_FILE}"
