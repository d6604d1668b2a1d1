"""Bare Bolt: the floor the real app is compared with, run as its own process.

Same framework, same listeners (command, approve/reject/open-form buttons, request form),
default settings, served by Bolt's own aiohttp server; every listener only acks. Whatever
the real app costs above this is the app's own work.

    SLACK_SIGNING_SECRET=... SLACK_BOT_TOKEN=... SLACK_API_URL=... PORT=... python -m bench.baseline_app
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

Ack = Callable[..., Awaitable[Any]]


def build(signing_secret: str, token: str, api_url: str) -> AsyncApp:
    """An AsyncApp whose listeners do nothing but ack (auth.test goes to the stand-in)."""
    app = AsyncApp(signing_secret=signing_secret, client=AsyncWebClient(token=token, base_url=api_url))

    async def only_ack(ack: Ack) -> None:
        await ack()

    app.command(re.compile(r"^/.+"))(only_ack)
    for action_id in ("selfserve.approve", "selfserve.reject", "selfserve.open_form"):
        app.action(action_id)(only_ack)
    for callback_id in ("selfserve.request_form", "selfserve.reject_reason"):
        app.view(callback_id)(only_ack)
    return app


def main() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING").upper())
    app = build(os.environ["SLACK_SIGNING_SECRET"], os.environ["SLACK_BOT_TOKEN"], os.environ["SLACK_API_URL"])
    app.start(port=int(os.environ["PORT"]), path="/slack/events", host=os.environ.get("HOST", "127.0.0.1"))


if __name__ == "__main__":
    main()
