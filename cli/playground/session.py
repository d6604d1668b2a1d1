"""One playground: the Slack stand-in, the page, and the real bot talking to the stand-in, started and stopped
together.

The page comes first and stays up whatever the catalog holds: a catalog author who starts the playground on a
broken catalog gets the page with its ``file:line`` problems, and the bot (cli.playground.bot) starts the
moment the file is saved without them. After that, saves are reloads, as SIGHUP and ``/selfserve admin reload``
are: problems cover the page and the old catalog stays in force until they are fixed.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from bot.app import Runtime
from bot.ids import SHORTCUT
from cli.manifest import SHORTCUT_NAME
from cli.playground.bot import LOCAL, RunningBot, start_bot
from cli.playground.sink import WebhookSink
from cli.playground.watch import POLL_SECONDS, watch
from cli.playground.world import default_person, intro, populate, shown_path
from domain.catalog import Catalog, CatalogError, load_catalog
from slackstub import SlackStandIn
from slackstub.web import WebClient

__all__ = ["LOCAL", "Playground", "PlaygroundOptions"]


@dataclass(frozen=True)
class PlaygroundOptions:
    catalog_path: str
    port: int
    host: str = LOCAL
    data_dir: Path = field(default_factory=lambda: Path(".playground"))
    """Holds the database; emptied each time the bot starts, because the stand-in's messages live in memory."""
    log_level: str = "WARNING"
    watch_every: float = POLL_SECONDS
    """How often the catalog file is looked at (cli.playground.watch)."""


class Playground:
    def __init__(self, options: PlaygroundOptions, catalog: Catalog | None = None) -> None:
        """`catalog`: already loaded from `options.catalog_path`; None reads the file at start()."""
        self.options = options
        self._catalog = catalog
        token = f"xoxb-playground-{secrets.token_hex(8)}"
        self.stub = SlackStandIn(bot_token=token, bot_name="selfserve", team_name="Playground", host=LOCAL)
        self.page = WebClient(self.stub, shortcuts={SHORTCUT: SHORTCUT_NAME})
        self.sink = WebhookSink()
        """Where the catalog's webhooks go (printed as they come: the playground never calls real systems)."""
        self._bot: RunningBot | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._reloads: set[asyncio.Task[None]] = set()
        self._reloading = asyncio.Lock()
        """One reload at a time: a save and a SIGHUP together must not start two bots."""
        self.url = ""

    @property
    def running(self) -> bool:
        """Whether the bot runs (False while the catalog it would start with has problems)."""
        return self._bot is not None

    @property
    def runtime(self) -> Runtime:
        assert self._bot is not None, "the bot is not running: the catalog has problems"
        return self._bot.runtime

    @property
    def problems(self) -> tuple[str, ...]:
        """The catalog's problems covering the page now (empty when none)."""
        return self.page.notices.problems

    async def start(self) -> str:
        """Start the stand-in and the page, and the bot if the catalog has no problems; returns the page's URL."""
        await self.stub.start()
        await self.sink.start()
        self.url = await self.page.start(self.options.host, self.options.port)
        if self._catalog is not None:
            await self._start_bot(self._catalog)
        else:
            await self.reload()
        self._watcher = asyncio.create_task(watch(self.options.catalog_path, self.reload, self.options.watch_every))
        return self.url

    async def stop(self) -> None:
        for task in (self._watcher, *self._reloads):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.page.stop()
        if self._bot is not None:
            await self._bot.stop()
            self._bot = None
        await self.sink.stop()
        await self.stub.stop()

    def reload_soon(self) -> None:
        """For SIGHUP: reload in the background (a signal handler cannot await)."""
        task = asyncio.create_task(self.reload())
        self._reloads.add(task)
        task.add_done_callback(self._reloads.discard)

    async def reload(self) -> None:
        """Put the catalog file in force (start the bot with it, if it is not running yet); its problems cover
        the page until it is fixed."""
        async with self._reloading:
            await self._reload()

    async def _reload(self) -> None:
        try:
            if self._bot is None:
                await self._start_bot(load_catalog(self.options.catalog_path))
                self.page.notices.clear_problems("Catalog loaded: the app is running" if self.problems else "")
                return
            change = await self.runtime.deps.admin.reload(None)
        except CatalogError as error:
            count = len(error.problems)
            self.page.notices.show_problems(
                f"{shown_path(self.options.catalog_path)} has {count} problem{'s' if count != 1 else ''}",
                [str(problem) for problem in error.problems])
            return
        catalog = self.runtime.catalog
        if catalog is not None:
            self._show(catalog())
        what = "nothing changed" if change.nothing else ", ".join(
            f"{key.replace('_', ' ')}: {', '.join(value)}" for key, value in vars(change).items()
            if value and key != "fingerprint")
        self.page.notices.clear_problems(f"Catalog reloaded ({what})")

    async def _start_bot(self, catalog: Catalog) -> None:
        options = self.options
        self._show(catalog)  # first: the bot looks up its roles' user groups as it starts
        self._bot = await start_bot(self.stub, catalog, options.catalog_path, options.data_dir, options.log_level,
                                    self.sink.url)
        self.page.default_user = default_person(catalog)
        self.page.attach(self._bot.sim)

    def _show(self, catalog: Catalog) -> None:
        """The catalog's people join the workspace; the intro names its file."""
        populate(self.stub, catalog)
        self.page.notices.intro = intro(catalog, shown_path(self.options.catalog_path))
