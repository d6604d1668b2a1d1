"""``message`` events (Events API): a person's reply in an escalation's thread, in the support
channel or in the requester's DM with the app, is relayed to the other side (``domain.relay``).

Events are acked when the listener returns; the relay is one short transaction (the event id
remembered, the relay job queued), so Slack's retry of a slow answer finds it done. The bot's own
posts, other apps' and edits are ignored before the database is asked anything, and so is every
message that is not in a thread.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from bot.payloads import PostedMessage
from domain.relay import ThreadMessage

logger = logging.getLogger(__name__)


def register(app: AsyncApp, deps: Deps) -> None:
    async def on_message(body: dict[str, Any]) -> None:
        message = PostedMessage.parse(body)
        if not message.by_person or message.thread_ts is None:
            return
        outcome = await deps.relay.relay(ThreadMessage(message.event_id, message.channel, message.thread_ts,
                                                       message.ts, message.user, message.text))
        logger.debug("message %s in %s: %s", message.ts, message.channel, outcome)

    app.event("message")(on_message)
