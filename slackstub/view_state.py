"""view.state.values as Slack's client builds them: initial values first, then what a user entered in a modal.

StateValues is Slack's shape, `{block_id: {action_id: {"type": ..., <Slack's key>: ...}}}`, for the modal's
input blocks only (as in view_submission payloads).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any

StateValues = dict[str, dict[str, dict[str, Any]]]

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
_OPTION_KEYS = {
    "static_select": "selected_option",
    "external_select": "selected_option",
    "radio_buttons": "selected_option",
    "overflow": "selected_option",
}
_OPTION_LIST_KEYS = {
    "multi_static_select": "selected_options",
    "multi_external_select": "selected_options",
    "checkboxes": "selected_options",
}
_INITIAL_KEYS = {
    "plain_text_input": "initial_value",
    "email_text_input": "initial_value",
    "url_text_input": "initial_value",
    "number_input": "initial_value",
    "rich_text_input": "initial_value",
    "datepicker": "initial_date",
    "timepicker": "initial_time",
    "datetimepicker": "initial_date_time",
    "users_select": "initial_user",
    "conversations_select": "initial_conversation",
    "channels_select": "initial_channel",
    "multi_users_select": "initial_users",
    "multi_conversations_select": "initial_conversations",
    "multi_channels_select": "initial_channels",
    "static_select": "initial_option",
    "external_select": "initial_option",
    "radio_buttons": "initial_option",
    "multi_static_select": "initial_options",
    "multi_external_select": "initial_options",
    "checkboxes": "initial_options",
}
EXTERNAL_SELECTS = frozenset({"external_select", "multi_external_select"})
TEXT_INPUTS = frozenset({"plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input"})
STATEFUL_INPUTS = frozenset({*_SCALAR_KEYS, *_LIST_KEYS, *_OPTION_KEYS, *_OPTION_LIST_KEYS} - {"overflow"})
"""Input block elements whose entry the simulator models (Slack's file_input is not one of them)."""


def input_blocks(view: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The view's input blocks that carry an element, in order."""
    return [block for block in view.get("blocks") or [] if block.get("type") == "input"
            and isinstance(block.get("element"), dict)]


def input_block(view: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The input block `key` names: its block_id first, else its element's action_id (LookupError if none)."""
    inputs = input_blocks(view)
    for block in inputs:
        if block.get("block_id") == key:
            return block
    for block in inputs:
        if block["element"].get("action_id") == key:
            return block
    known = [(block.get("block_id"), block["element"].get("action_id")) for block in inputs]
    raise LookupError(f"no input block with block_id or action_id {key!r} in the view; (block_id, action_id): {known}")


def initial_state(view: Mapping[str, Any]) -> StateValues:
    """What Slack's client shows in a freshly opened view: every input at its element's initial_* value."""
    return {block["block_id"]: {block["element"]["action_id"]: initial_entry(block["element"])}
            for block in input_blocks(view) if block["element"].get("type") in STATEFUL_INPUTS}


def initial_entry(element: Mapping[str, Any]) -> dict[str, Any]:
    """One element's state entry before the user touches it: its initial_* value, else empty."""
    kind = element["type"]
    initial = element.get(_INITIAL_KEYS.get(kind, ""))
    if kind in _OPTION_KEYS:
        return {"type": kind, _OPTION_KEYS[kind]: copy.deepcopy(initial) if initial else None}
    if kind in _OPTION_LIST_KEYS:
        return {"type": kind, _OPTION_LIST_KEYS[kind]: copy.deepcopy(list(initial or []))}
    return element_state(element, initial if initial != "" else None)


def carried_state(entered: Mapping[str, Mapping[str, Any]], view: Mapping[str, Any]) -> StateValues:
    """State after views.update: entries of inputs whose block_id, action_id and element type are unchanged
    stay as entered (Slack preserves them, ignoring new initial_* values); new inputs start at their initial
    value; removed inputs are forgotten. A kept selection that is no longer among a static element's
    options is dropped."""
    state = initial_state(view)
    elements = {block["block_id"]: block["element"] for block in input_blocks(view)}
    for block_id, entries in state.items():
        [(action_id, fresh)] = entries.items()
        kept = (entered.get(block_id) or {}).get(action_id)
        if kept is not None and kept.get("type") == fresh["type"] and _still_offered(elements[block_id], kept):
            entries[action_id] = copy.deepcopy(kept)
    return state


def build_state_values(
    view: Mapping[str, Any], values: Mapping[str, Any], entered: StateValues | None = None
) -> StateValues:
    """state.values for every input block: `entered` (default: the view's initial values) with `values` applied.

    Keys of `values` name a block_id, else an element's action_id; a value of None clears the input.
    """
    state = copy.deepcopy(entered) if entered is not None else initial_state(view)
    for key, value in values.items():
        block = input_block(view, key)
        element = block["element"]
        state[block["block_id"]] = {element["action_id"]: element_state(element, value)}
    return state


def element_state(element: Mapping[str, Any], value: Any, offered: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """One element's state entry (`{"type": ..., <Slack's key>: ...}`); `None` means left empty (or cleared).

    Options are picked by value, else by visible text, among the element's options and `offered` (what an
    external select's last suggestion showed).
    """
    kind = element["type"]
    if kind in _SCALAR_KEYS:
        return {"type": kind, _SCALAR_KEYS[kind]: None if value is None else _scalar(kind, value)}
    if kind in _LIST_KEYS:
        return {"type": kind, _LIST_KEYS[kind]: [str(item) for item in _as_list(value)]}
    if kind in _OPTION_KEYS:
        return {"type": kind, _OPTION_KEYS[kind]: None if value is None else _option(element, value, offered)}
    if kind in _OPTION_LIST_KEYS:
        chosen = [_option(element, item, offered) for item in _as_list(value)]
        return {"type": kind, _OPTION_LIST_KEYS[kind]: chosen}
    raise ValueError(f"element type {kind!r} ({element.get('action_id')}) is not supported by the simulator")


def entered_value(entry: Mapping[str, Any]) -> Any:
    """The value part of a state entry (what follows "type")."""
    return next((value for key, value in entry.items() if key != "type"), None)


def is_empty(entry: Mapping[str, Any]) -> bool:
    """Whether the entry holds nothing (no text, no selection)."""
    return entered_value(entry) in (None, "", [])


def selected_options(entry: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The option(s) a select, radio or checkbox entry holds."""
    if not entry:
        return []
    chosen = entry.get("selected_option")
    return list(entry.get("selected_options") or ([chosen] if chosen else []))


def element_options(element: Mapping[str, Any]) -> list[dict[str, Any]]:
    """An element's options, those inside option_groups included."""
    groups = element.get("option_groups") or []
    return [*(element.get("options") or []), *(option for group in groups for option in group.get("options") or [])]


def _still_offered(element: Mapping[str, Any], entry: Mapping[str, Any]) -> bool:
    if element["type"] in EXTERNAL_SELECTS or not selected_options(entry):
        return True
    values = {option.get("value") for option in element_options(element)}
    return all(option.get("value") in values for option in selected_options(entry))


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
    return [value] if isinstance(value, str | dict) else list(value)


def _option(element: Mapping[str, Any], wanted: Any, offered: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The option whose value, or else whose visible text, equals `wanted` (an option dict matches by value)."""
    options = [*element_options(element), *offered]
    if isinstance(wanted, Mapping):
        wanted = wanted.get("value")
    for describe in (_option_value, _option_text):
        for option in options:
            if describe(option) == wanted:
                return copy.deepcopy(dict(option))
    choices = [(_option_value(option), _option_text(option)) for option in options]
    name = repr(element.get("action_id"))
    if element["type"] in EXTERNAL_SELECTS:
        name = f"among the options the last suggestion offered for {name} (call suggest() first)"
    else:
        name = f"an option of {name}"
    raise ValueError(f"{wanted!r} is not {name}; (value, text): {choices}")


def _option_value(option: Mapping[str, Any]) -> Any:
    return option.get("value")


def _option_text(option: Mapping[str, Any]) -> Any:
    return option.get("text", {}).get("text")
