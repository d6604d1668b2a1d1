"""The real bot for the playground, built exactly as ``selfserve run`` builds it (``bot.app.build_web_app``).

Only its settings differ: the Web API is the stand-in's, the database a fresh SQLite file, and the signing
secret one made up here and shared with the stand-in's client side (the returned SlackClientSim), which signs
what the page does as Slack would. The bot has no idea. It is started only once the catalog has no problems:
a bot cannot run without a catalog, while the page can (it shows the problems).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.app import EVENTS_PATH, RUNTIME, Runtime, build_web_app
from bot.config import Settings
from bot.fulfilment.wiring import FulfilmentOptions
from cli.playground.sink import MadeUpEnviron
from domain.catalog import Catalog
from domain.catalog_keeper import CatalogKeeper
from slackstub import SlackClientSim, SlackStandIn
from slackstub.serving import serve
from storage.engine import create_engine
from storage.migrate import upgrade

DATABASE_FILE = "selfserve.db"
LOCAL = "127.0.0.1"


@dataclass
class RunningBot:
    """The bot's HTTP server, and the client side that sends it what people do (as Slack would)."""

    runner: web.AppRunner
    sim: SlackClientSim

    @property
    def runtime(self) -> Runtime:
        return self.runner.app[RUNTIME]

    async def stop(self) -> None:
        await self.sim.close()
        await self.runner.cleanup()


async def start_bot(stub: SlackStandIn, catalog: Catalog, catalog_path: str, data_dir: Path,
                    log_level: str, webhooks: str) -> RunningBot:
    """Migrate a fresh database in `data_dir` and serve the bot on a free local port, talking to `stub`; every
    webhook goes to `webhooks` (the playground's sink), with made-up values for its ``${VAR}``s."""
    database_url = fresh_database(data_dir)
    engine = create_engine(database_url)
    await upgrade(engine)
    secret = secrets.token_urlsafe(32)
    settings = Settings(slack_bot_token=stub.identity.bot_token, slack_signing_secret=secret, slack_app_token=None,
                        slack_api_url=stub.api_url, database_url=database_url, catalog_path=catalog_path, port=0,
                        host=LOCAL, log_level=log_level)
    fulfilment = FulfilmentOptions(redirect=webhooks, environ=MadeUpEnviron())
    app = build_web_app(settings, CatalogKeeper(catalog, catalog_path), engine, fulfilment=fulfilment)

    async def dispose(_: web.Application) -> None:
        await engine.dispose()

    app.on_cleanup.append(dispose)
    runner, url = await serve(app, LOCAL, 0)
    return RunningBot(runner, SlackClientSim(url.rstrip("/") + EVENTS_PATH, secret, stub))


def fresh_database(directory: Path) -> str:
    """An empty SQLite file each start, because the stand-in's messages live only in memory."""
    directory.mkdir(parents=True, exist_ok=True)
    for leftover in directory.glob(f"{DATABASE_FILE}*"):  # the -wal and -shm files too
        leftover.unlink()
    return f"sqlite+aiosqlite:///{directory / DATABASE_FILE}"
