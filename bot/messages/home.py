"""The App Home tab: approvals waiting on the person (with their buttons), their open requests
(with Cancel), their approved requests still being carried out (each fulfilment step and its last
attempt), and what they may request (with Start). A Home view holds at most 100 blocks, so each
section shows a bounded number of rows and names the command that lists the rest (``SHOWN``)."""

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
from domain.tracking import HOME_ESCALATIONS, HOME_LIMIT, IN_PROGRESS_LIMIT, Home

MAX_ACTIONS = 40
MAX_BLOCKS = 100
"""Slack's limit for a Home view: the catalog list gets what the sections above leave."""
SHOWN = {"escalations": 8, "waiting": 10, "open": 10, "in_progress": 3}
"""Rows each section shows at most. Full, they take 2+8x2+1, 1+10x3+1, 2+10x2+1 and 2+3x4+1 blocks
(header, rows at their largest, "and N more"): 89, which leaves the catalog part its 4 blocks at
least, under the 100 whatever a support person has waiting on them."""
FETCHED = {"escalations": HOME_ESCALATIONS, "waiting": HOME_LIMIT, "open": HOME_LIMIT,
           "in_progress": IN_PROGRESS_LIMIT}
"""How many rows ``domain.tracking`` reads per section: a full list may have more behind it."""
LISTS_REST = {"escalations": "queue", "waiting": "pending", "open": "mine", "in_progress": "mine"}


def home_view(home: Home) -> dict[str, Any]:
    """The Home tab as views.publish takes it."""
    blocks = [*_escalation_blocks(home), *_WAITING_HEADER]
    for request in home.waiting[:SHOWN["waiting"]]:
        blocks += _rows(request, "waiting", waiting_rows) + _dicts(*service_level_block(
            home.service_levels.get(request.id, [])))
    blocks += _more("waiting", len(home.waiting)) if home.waiting else _NOTHING_WAITING
    blocks += _OPEN_HEADER
    for request in home.open_requests[:SHOWN["open"]]:
        blocks += _rows(request, "open", lambda r: [request_row(r)]) + _dicts(*service_level_block(
            home.service_levels.get(request.id, [])))
    blocks += _more("open", len(home.open_requests)) if home.open_requests else _NO_OPEN_REQUESTS
    if home.in_progress:
        blocks += _IN_PROGRESS_HEADER
    for request in home.in_progress[:SHOWN["in_progress"]]:  # not cached: its steps move, its row stays the same
        blocks += _dicts(request_row(request), *progress_blocks(home.steps.get(request.id, []), None, detailed=True))
    blocks += _more("in_progress", len(home.in_progress))
    room = max(0, min(MAX_ACTIONS, MAX_BLOCKS - len(blocks) - 4))  # 4: the catalog part's own blocks
    return {"type": "home", "blocks": [*blocks, *_catalog_blocks(tuple(home.actions), room, home.proofs)]}


def _escalation_blocks(home: Home) -> list[dict[str, Any]]:
    """Support staff see the open escalations first, oldest first, with their buttons."""
    if not home.escalations:
        return []
    blocks: list[Block] = [HeaderBlock(text="Open escalations")]
    for escalation in home.escalations[:SHOWN["escalations"]]:
        blocks.extend(queue_rows(escalation))
    return [*(block.to_dict() for block in blocks), *_more("escalations", len(home.escalations)),
            DividerBlock().to_dict()]


def _more(section: str, count: int) -> tuple[dict[str, Any], ...]:
    """``and N more — /selfserve <command>`` under a section with rows left out (nothing otherwise);
    "at least N" when the list read was full, so more may be stored than were read."""
    hidden = count - SHOWN[section]
    if hidden <= 0:
        return ()
    many = f"at least {hidden}" if count >= FETCHED[section] else str(hidden)
    return _dicts(ContextBlock(elements=[md(f"and {many} more — `{ids.COMMAND} {LISTS_REST[section]}`")]))


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
