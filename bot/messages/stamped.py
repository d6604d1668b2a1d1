"""Block Kit JSON rendered by slack_sdk once, with slots for the strings that change per use.

slack_sdk validates every object on each ``to_dict``; a row of buttons with confirmation
dialogs cost more than the rest of an approval DM, and each text block about as much as a
database read. So each is rendered once with a placeholder in every slot, as long as the
longest value the slot takes, and each use copies that JSON with the slots filled in: every
length slack_sdk checked still holds. Identifier slots (a request's ref, a step number) take
short identifiers only, so a value reads the same in a button's value as in a text; text slots
take any text up to their width (the caller escapes it, as for any mrkdwn).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from slack_sdk.models.blocks import Block, HeaderBlock, SectionBlock

from bot.messages.summary import Rendered, md
from bot.mrkdwn import truncate

SLOT_WIDTH = 40
"""The longest text a slot takes (a request's ref is ``REQ-`` and a number)."""
HEADER_TEXT_LIMIT = 150  # Slack's limits, as slack_sdk checks them
SECTION_TEXT_LIMIT = 3000
_IDENTIFIER = re.compile(r"[A-Za-z0-9_.:-]+")  # not empty: slack_sdk drops an empty value


def _placeholder(name: str, width: int) -> str:
    return f"\x00{name}\x00".ljust(width, "\x01")


class Stamped:
    """A block built by ``build(**slots)`` and rendered once; ``fill(**values)`` gives it with
    each slot's placeholder replaced by the value of that name. ``identifiers`` are slots of
    ``SLOT_WIDTH``; ``texts`` maps each text slot to its width."""

    def __init__(self, build: Callable[..., Block], *identifiers: str, **texts: int) -> None:
        self._widths = {**dict.fromkeys(identifiers, SLOT_WIDTH), **texts}
        self._identifiers = frozenset(identifiers)
        # slack_sdk checks the block with every slot at its longest ...
        build(**{name: _placeholder(name, width) for name, width in self._widths.items()}).to_dict()
        # ... and it is kept as JSON text with short markers: a fill is one regex pass and one parse in C
        markers = {_json_string(f"\x00{name}\x00"): name for name in self._widths}
        self._json = json.dumps(build(**{name: f"\x00{name}\x00" for name in self._widths}).to_dict())
        self._markers = re.compile("|".join(map(re.escape, markers)))  # one pass: a value is never rescanned
        self._slot_of = markers

    def fill(self, **values: str) -> Rendered:
        if values.keys() != self._widths.keys():
            raise TypeError(f"slots {sorted(self._widths)}, given {sorted(values)}")
        for name, value in values.items():
            if len(value) > self._widths[name] or "\x00" in value:
                raise ValueError(f"{name} is longer than {self._widths[name]} characters or holds NUL")
            if name in self._identifiers and not _IDENTIFIER.fullmatch(value):
                raise ValueError(f"{name} must be an identifier: {value!r}")
        filled = self._markers.sub(lambda marker: _json_string(values[self._slot_of[marker.group()]]), self._json)
        return Rendered(json.loads(filled))


def _json_string(text: str) -> str:
    """``text`` as it appears inside a JSON string."""
    return json.dumps(text)[1:-1]


_HEADER = Stamped(lambda text: HeaderBlock(text=text), text=HEADER_TEXT_LIMIT)
_SECTION = Stamped(lambda text: SectionBlock(text=md(text)), text=SECTION_TEXT_LIMIT)


def header(text: str) -> Rendered:
    """A header block of ``text`` (plain text), cut to Slack's limit."""
    return _HEADER.fill(text=truncate(text.replace("\x00", ""), HEADER_TEXT_LIMIT))


def section(text: str) -> Rendered:
    """A section of mrkdwn ``text`` shown as written (``summary.md``), cut to Slack's limit."""
    return _SECTION.fill(text=truncate(text.replace("\x00", ""), SECTION_TEXT_LIMIT))
