"""Slack's checks on a modal view for the limits that bite in practice, with Slack-style messages."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from slackstub.blocks import assign_ids
from slackstub.element_validation import block_element_problems
from slackstub.replies import invalid_arguments
from slackstub.schema_errors import error, plain_text, too_long, too_many

_MODAL_KEYS = frozenset({
    "type", "title", "blocks", "close", "submit", "private_metadata", "callback_id",
    "clear_on_close", "notify_on_close", "external_id", "submit_disabled",
})
_HOME_KEYS = frozenset({"type", "blocks", "private_metadata", "callback_id", "external_id"})
_BUTTON_TEXT_LIMIT = 24
_LIMITS = {"callback_id": 255, "private_metadata": 3000, "external_id": 255}
MAX_VIEW_BLOCKS = 100
_LABEL_LIMIT = 2000
"""An input block's label and hint."""


def validate_view(view: Any) -> dict[str, Any]:
    """A copy of modal `view` with Slack's auto-assigned ids, or invalid_arguments listing every problem."""
    return _validated(view, lambda checked: [*_shape_problems(checked, _MODAL_KEYS, "modal"),
                                             *_text_problems(checked)])


def validate_home_view(view: Any) -> dict[str, Any]:
    """validate_view for an App Home tab (views.publish): type "home", and no title, submit or close."""
    return _validated(view, lambda checked: _shape_problems(checked, _HOME_KEYS, "home"))


def _validated(view: Any, kind_problems: Callable[[dict[str, Any]], list[str]]) -> dict[str, Any]:
    if not isinstance(view, dict):
        raise invalid_arguments([error("must be an object", "/view")])
    problems = [*kind_problems(view), *_length_problems(view), *_block_problems(view)]
    if problems:
        raise invalid_arguments(problems)
    valid = copy.deepcopy(view)
    assign_ids(valid["blocks"])
    return valid


def _shape_problems(view: dict[str, Any], keys: frozenset[str], kind: str) -> list[str]:
    problems = [error(f"invalid additional property: {key}", "/view") for key in view if key not in keys]
    if view.get("type") != kind:
        problems.append(error("must be a valid enum value", "/view/type"))
    return problems


def _text_problems(view: dict[str, Any]) -> list[str]:
    problems = [] if view.get("title") is not None else [error("missing required field: title", "/view")]
    for key in ("title", "submit", "close"):
        if view.get(key) is not None:
            problems += plain_text(view[key], f"/view/{key}", _BUTTON_TEXT_LIMIT)
    return problems


def _length_problems(view: dict[str, Any]) -> list[str]:
    return [problem for key, limit in _LIMITS.items() for problem in too_long(view.get(key), limit, f"/view/{key}")]


def _block_problems(view: dict[str, Any]) -> list[str]:
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return [error("missing required field: blocks", "/view")]
    problems: list[str] = []
    problems += too_many(blocks, MAX_VIEW_BLOCKS, "/view/blocks")
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        problems += _one_block(block, f"/view/blocks/{index}", seen)
    has_input = any(isinstance(block, dict) and block.get("type") == "input" for block in blocks)
    if has_input and view.get("submit") is None:
        problems.append(error("must provide a submit property when using input blocks", "/view/submit"))
    return problems


def _one_block(block: Any, pointer: str, seen: set[str]) -> list[str]:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return [error("must be a block object with a type", pointer)]
    problems = _block_id_problems(block.get("block_id"), pointer + "/block_id", seen)
    if block["type"] == "input":
        problems += plain_text(block.get("label"), pointer + "/label", _LABEL_LIMIT)
        if block.get("hint") is not None:
            problems += plain_text(block["hint"], pointer + "/hint", _LABEL_LIMIT)
        element = block.get("element")
        if not isinstance(element, dict) or not isinstance(element.get("type"), str):
            problems.append(error("missing required field: element", pointer))
    return problems + block_element_problems(block, pointer)


def _block_id_problems(block_id: Any, pointer: str, seen: set[str]) -> list[str]:
    if block_id is None:
        return []
    if not isinstance(block_id, str):
        return [error("must be a string", pointer)]
    if block_id in seen:
        return [error(f"duplicate block_id: {block_id}", pointer)]
    seen.add(block_id)
    return too_long(block_id, 255, pointer)
