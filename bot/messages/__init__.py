"""Block Kit messages the bot posts. Every piece of user-typed text goes through
``bot.mrkdwn.escape`` and every mrkdwn object carrying it is ``verbatim``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from slack_sdk.models.blocks import Block


@dataclass(frozen=True)
class Message:
    """A message as Slack takes it: ``text`` is the notification fallback, also escaped."""

    text: str
    blocks: tuple[Block, ...]

    def blocks_json(self) -> list[dict[str, Any]]:
        return self._blocks_json

    @cached_property
    def _blocks_json(self) -> list[dict[str, Any]]:
        """Serialised once: slack_sdk validates every object on each ``to_dict``."""
        return [block.to_dict() for block in self.blocks]
