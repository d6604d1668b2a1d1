"""Block Kit JSON rendered by slack_sdk once, with slots for the few strings that change per use.

slack_sdk validates every object on each ``to_dict``; a row of buttons with confirmation
dialogs cost more than the rest of an approval DM. The same buttons differ only in the request
they name, so each row is rendered once with a placeholder of ``SLOT_WIDTH`` characters in every
slot, and each use copies that JSON with the slots filled in. Slots take identifiers only
(a request's ref, a step number), never someone's text: a value longer than its placeholder or
with a character mrkdwn treats specially is refused, so every length slack_sdk checked still
holds and the value reads the same in a button's value as in a text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.models.blocks import Block

from bot.messages.summary import Rendered

SLOT_WIDTH = 40
"""The longest text a slot takes (a request's ref is ``REQ-`` and a number)."""
_IDENTIFIER = re.compile(r"[A-Za-z0-9_.:-]+")  # not empty: slack_sdk drops an empty value


def _placeholder(name: str) -> str:
    return f"\x00{name}\x00".ljust(SLOT_WIDTH, "\x01")


class Stamped:
    """A block built by ``build(**slots)`` and rendered once; ``fill(**values)`` gives it with
    each slot's placeholder replaced by the value of that name."""

    def __init__(self, build: Callable[..., Block], *slots: str) -> None:
        self._placeholders = {name: _placeholder(name) for name in slots}
        self._rendered = build(**self._placeholders).to_dict()

    def fill(self, **values: str) -> Rendered:
        if set(values) != set(self._placeholders):
            raise TypeError(f"slots {sorted(self._placeholders)}, given {sorted(values)}")
        for name, value in values.items():
            if len(value) > SLOT_WIDTH or not _IDENTIFIER.fullmatch(value):
                raise ValueError(f"{name} must be an identifier of at most {SLOT_WIDTH} characters: {value!r}")
        return Rendered(_fill(self._rendered, {self._placeholders[name]: value for name, value in values.items()}))


def _fill(node: Any, values: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        if "\x00" in node:
            for placeholder, value in values.items():
                node = node.replace(placeholder, value)
        return node
    if isinstance(node, dict):
        return {key: _fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_fill(value, values) for value in node]
    return node
