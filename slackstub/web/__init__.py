"""A Slack client in the browser over the stand-in: people, DMs, channels, App Home and modals.

The page (static/) renders what the bot really sent, and everything a person does on it reaches the
bot through SlackClientSim, as Slack would send it. The server is plain aiohttp: JSON for the page's
state and actions, server-sent events when anything changes.
"""

from __future__ import annotations

from slackstub.web.notices import Notices
from slackstub.web.server import WebClient

__all__ = ["Notices", "WebClient"]
