"""The App Home tab: approvals waiting on the person (with their buttons), their open requests
(with Cancel), and what they may request (with Start). A Home view holds at most 100 blocks."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, SectionBlock

from bot import ids
from bot.messages.suggestions import also_block, start_block
from bot.messages.summary import md
from bot.messages.tracking import request_row, waiting_rows
from domain.catalog import Action
from domain.tracking import Home

MAX_ACTIONS = 40  # with 15 waiting (2 blocks each) and 15 open requests, under the 100 blocks


def home_view(home: Home) -> dict[str, Any]:
    """The Home tab as views.publish takes it."""
    blocks: list[Block] = [HeaderBlock(text="Waiting on your decision")]
    if home.waiting:
        for request in home.waiting:
            blocks.extend(waiting_rows(request))
    else:
        blocks.append(SectionBlock(text=md("Nothing is waiting on you.")))
    blocks += [DividerBlock(), HeaderBlock(text="Your open requests")]
    if home.open_requests:
        blocks.extend(request_row(request) for request in home.open_requests)
    else:
        blocks.append(SectionBlock(text=md("You have no open requests.")))
    catalog = _catalog_blocks(tuple(home.actions))
    return {"type": "home", "blocks": [*(block.to_dict() for block in blocks), *catalog]}


@lru_cache(maxsize=256)
def _catalog_blocks(actions: tuple[Action, ...]) -> tuple[dict[str, Any], ...]:
    """The part about requesting, the same for everyone who may request the same actions, so it is
    built once per catalog and set of actions (Block Kit validation costs a millisecond a Home)."""
    blocks: list[Block] = [
        ContextBlock(elements=[md(f"`{ids.COMMAND} mine` lists your recent requests, "
                                  f"`{ids.COMMAND} status REQ-n` shows one in full.")]),
        DividerBlock(),
        HeaderBlock(text="Start a request"),
    ]
    if actions:
        blocks.extend(start_block(action) for action in actions[:MAX_ACTIONS])
        if actions[MAX_ACTIONS:]:
            blocks.append(also_block(actions[MAX_ACTIONS:]))
    else:
        blocks.append(SectionBlock(text=md(
            "There is nothing you can request yet. Ask an admin to add you to a role in the catalog.")))
    return tuple(block.to_dict() for block in blocks)
