"""view.state.values as Slack's client builds them from what a user entered in a modal."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

_SCALAR_KEYS = {
    "plain_text_input": "value",
    "email_text_input": "value",
    "url_text_input": "value",
    "number_input": "value",
    "rich_text_input": "rich_text_value",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
}
_LIST_KEYS = {
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
}
_OPTION_KEYS = {"static_select": "selected_option", "radio_buttons": "selected_option", "overflow": "selected_option"}
_OPTION_LIST_KEYS = {"multi_static_select": "selected_options", "checkboxes": "selected_options"}


def build_state_values(view: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """state.values for every input block; keys of `values` name a block_id, else an element's action_id."""
    inputs = [block for block in view.get("blocks") or [] if block.get("type") == "input"]
    entered = {_input_for(inputs, key)["block_id"]: value for key, value in values.items()}
    state: dict[str, dict[str, Any]] = {}
    for block in inputs:
        element = block["element"]
        state[block["block_id"]] = {element["action_id"]: element_state(element, entered.get(block["block_id"]))}
    return state


def element_state(element: Mapping[str, Any], value: Any) -> dict[str, Any]:
    """One element's state entry (`{"type": ..., <Slack's key>: ...}`); `None` means left empty."""
    kind = element["type"]
    if kind in _SCALAR_KEYS:
        return {"type": kind, _SCALAR_KEYS[kind]: None if value is None else _scalar(kind, value)}
    if kind in _LIST_KEYS:
        return {"type": kind, _LIST_KEYS[kind]: [str(item) for item in _as_list(value)]}
    if kind in _OPTION_KEYS:
        return {"type": kind, _OPTION_KEYS[kind]: None if value is None else _option(element, value)}
    if kind in _OPTION_LIST_KEYS:
        return {"type": kind, _OPTION_LIST_KEYS[kind]: [_option(element, item) for item in _as_list(value)]}
    raise ValueError(f"element type {kind!r} ({element.get('action_id')}) is not supported by the simulator")


def _input_for(inputs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """Match on block_id first, then on the element's action_id."""
    for block in inputs:
        if block.get("block_id") == key:
            return block
    for block in inputs:
        if block["element"].get("action_id") == key:
            return block
    known = [(block.get("block_id"), block["element"].get("action_id")) for block in inputs]
    raise LookupError(f"no input block with block_id or action_id {key!r} in the view; (block_id, action_id): {known}")


def _scalar(kind: str, value: Any) -> Any:
    if kind == "datetimepicker":
        return int(value.timestamp()) if isinstance(value, datetime) else int(value)
    if isinstance(value, time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return value if isinstance(value, dict) else str(value)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _option(element: Mapping[str, Any], wanted: Any) -> dict[str, Any]:
    """The element's option whose value, or else whose visible text, equals `wanted`."""
    groups = element.get("option_groups", [])
    options = [*element.get("options", []), *(option for group in groups for option in group.get("options", []))]
    for describe in (_option_value, _option_text):
        for option in options:
            if describe(option) == wanted:
                return copy.deepcopy(option)
    choices = [(_option_value(option), _option_text(option)) for option in options]
    raise ValueError(f"{wanted!r} is not an option of {element.get('action_id')!r}; (value, text): {choices}")


def _option_value(option: Mapping[str, Any]) -> Any:
    return option.get("value")


def _option_text(option: Mapping[str, Any]) -> Any:
    return option.get("text", {}).get("text")
