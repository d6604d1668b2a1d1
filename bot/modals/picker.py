"""The modal the "Self-service" shortcut opens: what the person may request, each with a Start
button that pushes the action's form on top of it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import Block, SectionBlock
from slack_sdk.models.views import View

from bot import ids
from bot.messages.suggestions import also_block, start_block
from bot.messages.summary import md
from domain.catalog import Action

MAX_ACTIONS = 95  # a modal holds 100 blocks: keep room for the intro and the rest's names


@lru_cache(maxsize=256)
def picker(actions: tuple[Action, ...]) -> dict[str, Any]:
    """One section and Start button per action, in catalog order (cached per set of actions, as
    everyone with the same roles sees the same list)."""
    if not actions:
        blocks: list[Block] = [SectionBlock(text=md(
            "There is nothing you can request yet. Ask an admin to add you to a role in the catalog."))]
    else:
        blocks = [SectionBlock(text=md("What do you need? Start one to fill in its form."))]
        blocks.extend(start_block(action, ids.PICK_ACTION) for action in actions[:MAX_ACTIONS])
        rest = actions[MAX_ACTIONS:]
        if rest:
            blocks.append(also_block(rest))
    return View(type="modal", callback_id=ids.PICKER, title="Self-service", close="Close", blocks=blocks).to_dict()
