"""How Slack's client treats a user's entries in a modal: which changes it tells the app about at once
(dispatch_action), and which answers to block_suggestion it can show."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from slackstub.element_validation import suggestion_answer_problems
from slackstub.sim_response import SimResponse
from slackstub.view_state import TEXT_INPUTS, is_empty

DEFAULT_MIN_QUERY_LENGTH = 3
"""Characters Slack waits for before asking the app for an external select's options (min_query_length)."""


def dispatches(block: Mapping[str, Any], before: Mapping[str, Any] | None, after: Mapping[str, Any],
               press_enter: bool) -> bool:
    """Whether Slack sends block_actions when a user enters `after` (was `before`) in an input of `block`.

    Only in a `dispatch_action: true` block. Selects, pickers, checkboxes and radio buttons send on every
    change. Text inputs send as their dispatch_action_config says (default on_enter_pressed): on Enter
    (`press_enter`) unless the field is empty, and with on_character_entered on every change.
    """
    if not block.get("dispatch_action"):
        return False
    element = block["element"]
    if element["type"] not in TEXT_INPUTS:
        return before != after
    config = element.get("dispatch_action_config") or {}
    triggers = config.get("trigger_actions_on") or ["on_enter_pressed"]
    if press_enter and "on_enter_pressed" in triggers and not is_empty(after):
        return True
    return "on_character_entered" in triggers and before != after


def suggested_options(response: SimResponse) -> list[dict[str, Any]]:
    """The options an app's block_suggestion answer shows (option_groups flattened, in order).

    AssertionError when Slack would show none: a late, failed or non-JSON ack, or an answer it refuses.
    """
    acted, answer = response.acted_on()
    if not acted:
        raise AssertionError(f"Slack would show no options: the app answered block_suggestion with HTTP "
                             f"{response.status} after {response.elapsed:.2f}s: {response.text[:200]!r}")
    problems = suggestion_answer_problems(answer)
    if problems:
        raise AssertionError(f"Slack would refuse the app's block_suggestion answer: {problems}")
    if "options" in answer:
        return copy.deepcopy(list(answer["options"]))
    return [copy.deepcopy(option) for group in answer["option_groups"] for option in group["options"]]
