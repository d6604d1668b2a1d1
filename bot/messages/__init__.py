"""Block Kit messages the bot posts. Every piece of user-typed text goes through
``bot.mrkdwn.escape`` and every mrkdwn object carrying it is ``verbatim``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import Block


@dataclass(frozen=True)
class Message:
    """A message as Slack takes it: ``text`` is the notification fallback, also escaped."""

    text: str
    blocks: tuple[Block, ...]

    def blocks_json(self) -> list[dict[str, Any]]:
        return [block.to_dict() for block in self.blocks]
