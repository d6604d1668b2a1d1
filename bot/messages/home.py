"""The App Home tab: approvals waiting on the person (with their buttons), their open requests
(with Cancel), their approved requests still being carried out (each fulfilment step and its last
attempt), and what they may request (with Start). A Home view holds at most 100 blocks."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, SectionBlock

from bot import ids
from bot.messages.escalation import queue_rows
from bot.messages.fulfilment import progress_blocks
from bot.messages.service_levels import service_level_block
from bot.messages.suggestions import also_block, start_block
from bot.messages.summary import md
from bot.messages.tracking import request_row, waiting_rows
from domain.catalog import Action
from domain.records import RequestRecord
from domain.tracking import Home

MAX_ACTIONS = 40  # with 15 waiting (2 blocks each) and 15 open requests, under the 100 blocks
MAX_BLOCKS = 100
"""Slack's limit for a Home view: requests being carried out take their room from the catalog list."""


def home_view(home: Home) -> dict[str, Any]:
    """The Home tab as views.publish takes it."""
    blocks = [*_escalation_blocks(home), *_WAITING_HEADER]
    for request in home.waiting:
        blocks += _rows(request, "waiting", waiting_rows) + _dicts(*service_level_block(
            home.service_levels.get(request.id, [])))
    if not home.waiting:
        blocks += _NOTHING_WAITING
    blocks += _OPEN_HEADER
    for request in home.open_requests:
        blocks += _rows(request, "open", lambda r: [request_row(r)]) + _dicts(*service_level_block(
            home.service_levels.get(request.id, [])))
    if not home.open_requests:
        blocks += _NO_OPEN_REQUESTS
    if home.in_progress:
        blocks += _IN_PROGRESS_HEADER
    for request in home.in_progress:  # not cached: its steps move while the request row stays the same
        blocks += _dicts(request_row(request), *progress_blocks(home.steps.get(request.id, []), None, detailed=True))
    room = max(0, min(MAX_ACTIONS, MAX_BLOCKS - len(blocks) - 4))  # 4: the catalog part's own blocks
    return {"type": "home", "blocks": [*blocks, *_catalog_blocks(tuple(home.actions), room, home.proofs)]}


def _escalation_blocks(home: Home) -> list[dict[str, Any]]:
    """Support staff see the open escalations first, oldest first, with their buttons."""
    if not home.escalations:
        return []
    blocks: list[Block] = [HeaderBlock(text="Open escalations")]
    for escalation in home.escalations:
        blocks.extend(queue_rows(escalation))
    blocks.append(DividerBlock())
    return [block.to_dict() for block in blocks]


def _dicts(*blocks: Block) -> tuple[dict[str, Any], ...]:
    return tuple(block.to_dict() for block in blocks)


_WAITING_HEADER = _dicts(HeaderBlock(text="Waiting on your decision"))
_NOTHING_WAITING = _dicts(SectionBlock(text=md("Nothing is waiting on you.")))
_OPEN_HEADER = _dicts(DividerBlock(), HeaderBlock(text="Your open requests"))
_NO_OPEN_REQUESTS = _dicts(SectionBlock(text=md("You have no open requests.")))
_IN_PROGRESS_HEADER = _dicts(DividerBlock(), HeaderBlock(text="Being carried out"))
_RENDERED: OrderedDict[tuple[object, ...], tuple[dict[str, Any], ...]] = OrderedDict()
RENDERED_ROWS = 2000  # requests' rows kept rendered (a waiting request shows in each approver's Home)


def _rows(request: RequestRecord, kind: str,
          render: Callable[[RequestRecord], list[Block]]) -> tuple[dict[str, Any], ...]:
    """A request's rows, rendered once per state of the request: every change to a request moves
    its updated_at, and what else a row shows was fixed when it was made."""
    key = (kind, request.id, request.updated_at, request.status, request.current_step)
    rows = _RENDERED.get(key)
    if rows is None:
        rows = _RENDERED[key] = _dicts(*render(request))
        if len(_RENDERED) > RENDERED_ROWS:
            _RENDERED.popitem(last=False)
    return rows


@lru_cache(maxsize=256)
def _catalog_blocks(actions: tuple[Action, ...], room: int = MAX_ACTIONS,
                    proofs: tuple[str | None, ...] = ()) -> tuple[dict[str, Any], ...]:
    """The part about requesting, the same for everyone who may request the same actions, so it is
    built once per catalog and set of actions (Block Kit validation costs a millisecond a Home)."""
    blocks: list[Block] = [
        ContextBlock(elements=[md(f"`{ids.COMMAND} mine` lists your recent requests, "
                                  f"`{ids.COMMAND} status REQ-n` shows one in full.")]),
        DividerBlock(),
        HeaderBlock(text="Start a request"),
    ]
    if actions:
        shown = proofs or (None,) * len(actions)
        blocks.extend(start_block(action, proof=proof) for action, proof in zip(actions[:room], shown, strict=False))
        if actions[room:]:
            blocks.append(also_block(actions[room:]))
    else:
        blocks.append(SectionBlock(text=md(
            "There is nothing you can request yet. Ask an admin to add you to a role in the catalog.")))
    return tuple(block.to_dict() for block in blocks)
