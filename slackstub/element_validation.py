"""Slack's checks on the interactive elements of a view's blocks, and on the options an app serves an external select.

Known element types only; option lists within Slack's counts; option text, value and description, and
placeholders within their lengths; initial_option(s) exactly among the element's options.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slackstub.schema_errors import error, plain_text, text_object, too_long, too_many
from slackstub.view_state import STATEFUL_INPUTS, element_options

INPUT_ELEMENTS = frozenset({*STATEFUL_INPUTS, "file_input"})
"""What an input block's element may be."""
_CONTROLS = frozenset({*INPUT_ELEMENTS, "button", "overflow", "workflow_button"})
"""What an actions block's elements may be (leniently: any interactive element)."""
_ACCESSORIES = frozenset({*_CONTROLS, "image"})
"""What a section's accessory may be."""
MAX_SELECT_OPTIONS = 100
"""Options of a static select, groups of option_groups and options in each group; also an external select's answer."""
MAX_CHOICES = 10
"""Options of checkboxes and radio_buttons."""
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
PLACEHOLDER_LIMIT = 150
_STATIC_SELECTS = frozenset({"static_select", "multi_static_select"})
_CHOICES = frozenset({"checkboxes", "radio_buttons"})
_SINGLE_INITIAL = frozenset({"static_select", "radio_buttons"})
_MULTI_INITIAL = frozenset({"multi_static_select", "checkboxes"})


def block_element_problems(block: Mapping[str, Any], pointer: str) -> list[str]:
    """Findings for the elements of one block: an input's element, an actions block's elements, an accessory."""
    kind = block.get("type")
    if kind == "input":
        placed = [(block.get("element"), f"{pointer}/element", INPUT_ELEMENTS)]
    elif kind == "actions":
        placed = [(element, f"{pointer}/elements/{index}", _CONTROLS)
                  for index, element in enumerate(block.get("elements") or [])]
    elif kind == "section":
        placed = [(block.get("accessory"), f"{pointer}/accessory", _ACCESSORIES)]
    else:
        return []
    problems: list[str] = []
    for element, where, allowed in placed:
        if isinstance(element, dict) and isinstance(element.get("type"), str):
            problems += _element_problems(element, where, allowed)
    return problems


def suggestion_answer_problems(answer: Any) -> list[str]:
    """Findings for an app's answer to block_suggestion: `options` or `option_groups` that Slack can show."""
    if not isinstance(answer, dict) or ("options" in answer) == ("option_groups" in answer):
        return [error("must be an object with either options or option_groups", "")]
    if "options" in answer:
        return _option_list(answer["options"], "/options", MAX_SELECT_OPTIONS, mrkdwn=False)
    return _option_groups(answer["option_groups"], "/option_groups")


def _element_problems(element: dict[str, Any], pointer: str, allowed: frozenset[str]) -> list[str]:
    kind = element["type"]
    if kind not in allowed:
        return [error(f"must be a valid enum value (no {kind!r} element here)", f"{pointer}/type")]
    problems: list[str] = []
    if element.get("placeholder") is not None:
        problems += plain_text(element["placeholder"], f"{pointer}/placeholder", PLACEHOLDER_LIMIT)
    if kind in _STATIC_SELECTS:
        problems += _static_options(element, pointer)
    elif kind in _CHOICES:
        problems += _option_list(element.get("options"), f"{pointer}/options", MAX_CHOICES, mrkdwn=True)
    elif kind == "overflow":
        problems += _option_list(element.get("options"), f"{pointer}/options", MAX_SELECT_OPTIONS, mrkdwn=False)
    return problems or _initial_problems(element, pointer)


def _static_options(element: dict[str, Any], pointer: str) -> list[str]:
    if ("options" in element) == ("option_groups" in element):
        return [error("must provide exactly one of options or option_groups", pointer)]
    if "options" in element:
        return _option_list(element["options"], f"{pointer}/options", MAX_SELECT_OPTIONS, mrkdwn=False)
    return _option_groups(element["option_groups"], f"{pointer}/option_groups")


def _option_groups(groups: Any, pointer: str) -> list[str]:
    if not isinstance(groups, list) or not groups:
        return [error("must be a non-empty array of option groups", pointer)]
    problems = too_many(groups, MAX_SELECT_OPTIONS, pointer)
    for index, group in enumerate(groups):
        where = f"{pointer}/{index}"
        if not isinstance(group, dict):
            problems.append(error("must be an option group object", where))
            continue
        problems += plain_text(group.get("label"), f"{where}/label", OPTION_TEXT_LIMIT)
        problems += _option_list(group.get("options"), f"{where}/options", MAX_SELECT_OPTIONS, mrkdwn=False)
    return problems


def _option_list(options: Any, pointer: str, limit: int, *, mrkdwn: bool) -> list[str]:
    if not isinstance(options, list):
        return [error("must be an array of option objects", pointer)]
    problems = too_many(options, limit, pointer)
    for index, option in enumerate(options):
        problems += _option(option, f"{pointer}/{index}", mrkdwn=mrkdwn)
    return problems


def _option(option: Any, pointer: str, *, mrkdwn: bool) -> list[str]:
    if not isinstance(option, dict):
        return [error("must be an option object", pointer)]
    problems = text_object(option.get("text"), f"{pointer}/text", OPTION_TEXT_LIMIT, mrkdwn=mrkdwn)
    value = option.get("value")
    if value is None and "url" not in option:
        problems.append(error("missing required field: value", pointer))
    elif value is not None and not isinstance(value, str):
        problems.append(error("must be a string", f"{pointer}/value"))
    problems += too_long(value, OPTION_VALUE_LIMIT, f"{pointer}/value")
    if option.get("description") is not None:
        problems += text_object(option["description"], f"{pointer}/description", OPTION_TEXT_LIMIT, mrkdwn=mrkdwn)
    return problems


def _initial_problems(element: dict[str, Any], pointer: str) -> list[str]:
    """initial_option(s) of static elements must exactly match one of their options; external ones be options."""
    kind = element["type"]
    if kind in _MULTI_INITIAL or kind == "multi_external_select":
        initial = element.get("initial_options")
        chosen = [(option, f"{pointer}/initial_options/{index}") for index, option in enumerate(initial or [])]
    else:
        single = element.get("initial_option")
        chosen = [] if single is None else [(single, f"{pointer}/initial_option")]
    if kind in ("external_select", "multi_external_select"):
        return [problem for option, at in chosen for problem in _option(option, at, mrkdwn=False)]
    if kind not in _SINGLE_INITIAL and kind not in _MULTI_INITIAL:
        return []
    offered = element_options(element)
    return [error("must exactly match one of the options", at) for option, at in chosen
            if not any(_same_option(option, candidate) for candidate in offered)]


def _same_option(wanted: Any, option: Mapping[str, Any]) -> bool:
    if not isinstance(wanted, dict):
        return False
    text, offered_text = wanted.get("text") or {}, option.get("text") or {}
    same_text = (text.get("type"), text.get("text")) == (offered_text.get("type"), offered_text.get("text"))
    return same_text and wanted.get("value") == option.get("value")
