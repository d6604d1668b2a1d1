"""Block Kit walking shared by the stand-in (assigning ids) and the Slack side (finding what to click)."""

from __future__ import annotations

from typing import Any

from slackstub.ids import short_id


def interactive_elements(block: dict[str, Any]) -> list[dict[str, Any]]:
    """Elements a user can act on: a section's accessory, an actions block's elements, an input's element."""
    kind = block.get("type")
    if kind == "actions":
        found = list(block.get("elements") or [])
    elif kind == "input":
        found = [block.get("element")]
    else:
        found = [block.get("accessory")]
    return [element for element in found if isinstance(element, dict) and "type" in element]


def assign_ids(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill in the block_id / action_id Slack invents when the app leaves them out (mutates `blocks`)."""
    taken = {block.get("block_id") for block in blocks}
    for block in blocks:
        if block.get("block_id") is None:
            block["block_id"] = _fresh(taken)
        for element in interactive_elements(block):
            element.setdefault("action_id", short_id())
    return blocks


def _fresh(taken: set[Any]) -> str:
    """A short id not used by any other block in the same surface."""
    candidate = short_id()
    while candidate in taken:
        candidate = short_id()
    taken.add(candidate)
    return candidate
