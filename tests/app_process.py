"""The whole app as its own process, for the fulfilment tests that kill one or run two:
``python -m tests.app_process DATABASE_URL CATALOG SLACK_API_URL``; prints ``ready <port>``.

It serves ``/slack/events`` on 127.0.0.1 (a free port) and runs the job engine, as ``selfserve
run`` does, against the test's Slack stand-in.
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web

from bot.app import build_web_app
from bot.config import Settings
from domain.catalog import load_catalog
from storage.engine import create_engine
from tests.harness import BOT_TOKEN, SIGNING_SECRET


async def main(database_url: str, catalog_path: str, api_url: str) -> None:
    settings = Settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=api_url,
                        database_url=database_url, catalog_path=catalog_path, port=0, host="127.0.0.1")
    catalog = load_catalog(catalog_path)
    engine = create_engine(database_url)
    runner = web.AppRunner(build_web_app(settings, lambda: catalog, engine))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"ready {runner.addresses[0][1]}", flush=True)
    try:
        await asyncio.Event().wait()  # until killed
    finally:
        await runner.cleanup()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
