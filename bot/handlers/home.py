"""The App Home tab, published when someone opens it (Events API ``app_home_opened``); the
``home.refresh`` jobs of ``bot.home_tab`` publish it again when something of theirs changes."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.payloads import HomeOpened

HOME_TAB = "home"


def register(app: AsyncApp, deps: Deps) -> None:
    async def on_home_opened(body: dict[str, Any], client: AsyncWebClient) -> None:
        """Events are acked as the listener returns: the Home is read and published after that."""
        opened = HomeOpened.parse(body)
        if opened.tab == HOME_TAB:  # the Messages tab needs nothing
            deps.tasks.spawn(deps.homes.opened(opened.user_id, deps.tracker.open_home, client), "home")

    app.event("app_home_opened")(on_home_opened)

