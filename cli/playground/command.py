"""``selfserve playground`` (and ``selfserve run`` with no Slack settings): serve the playground until stopped."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from bot.config import DEFAULT_CATALOG_PATH, DEFAULT_PORT
from bot.logging_setup import configure_logging
from cli.common import EXIT_CONFIG, EXIT_OK
from cli.playground.session import LOCAL, Playground, PlaygroundOptions
from cli.run import START_ERRORS


def options_from(catalog: str | None, port: int | None, host: str | None) -> PlaygroundOptions:
    """Command-line values first, then CATALOG_PATH, PORT and LOG_LEVEL; HOST is not read (a deployment's
    0.0.0.0 must not expose the playground): ``--host`` is the only way off 127.0.0.1."""
    env_port = os.environ.get("PORT", "").strip()
    if port is None:
        port = int(env_port) if env_port.isdecimal() else DEFAULT_PORT
    level = (os.environ.get("LOG_LEVEL") or "WARNING").strip().upper()
    return PlaygroundOptions(catalog or os.environ.get("CATALOG_PATH") or DEFAULT_CATALOG_PATH, port,
                             host or LOCAL, log_level=level)


def main(options: PlaygroundOptions) -> int:
    """Serve until SIGINT or SIGTERM. A catalog with problems does not stop the start (unlike ``selfserve run``
    for Slack): its author gets the page, which shows them, and the app the moment the file is fixed."""
    configure_logging(options.log_level)
    try:
        asyncio.run(_serve(Playground(options)))
    except START_ERRORS as error:
        print(f"selfserve playground: cannot start: {type(error).__name__}: {error}".splitlines()[0], file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        pass
    return EXIT_OK


async def _serve(playground: Playground) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    try:
        url = await playground.start()
        loop.add_signal_handler(signal.SIGHUP, playground.reload_soon)
        where = "this computer only" if playground.options.host == LOCAL else f"{playground.options.host}: anyone " \
            "who can reach it can act as anyone"
        print(f"selfserve playground: {url} (listening on {where}; Slack is played by a local stand-in, "
              f"nothing is sent to Slack; Ctrl-C stops)", flush=True)
        if playground.problems:
            print(f"selfserve playground: {playground.page.notices.problems_title}; the page shows them, and the "
                  f"app starts when the file is saved without them:", *playground.problems, sep="\n",
                  file=sys.stderr, flush=True)
        await stopping.wait()
    finally:
        await playground.stop()
