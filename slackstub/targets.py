"""What a simulated user clicks on: a message or view the bot really produced, and an element in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slackstub.blocks import interactive_elements
from slackstub.recorder import RecordedCall

_MESSAGE_METHODS = ("chat.postMessage", "chat.update")
_VIEW_METHODS = ("views.open", "views.push", "views.update", "views.publish")


@dataclass(frozen=True)
class Target:
    """A surface: a message (channel, ts, and the content the caller holds) or a view (id)."""

    kind: str
    channel_id: str = ""
    ts: str = ""
    view_id: str = ""
    shown: dict[str, Any] = field(default_factory=dict)


def target_of(surface: dict[str, Any] | RecordedCall) -> Target:
    """Accepts a RecordedCall of a chat.*/views.* call, a message dict with channel and ts, or a view dict."""
    if isinstance(surface, RecordedCall):
        return _target_of_call(surface)
    if surface.get("channel") and surface.get("ts"):
        return Target("message", channel_id=str(surface["channel"]), ts=str(surface["ts"]), shown=surface)
    if str(surface.get("id", "")).startswith("V"):
        return Target("view", view_id=surface["id"])
    raise LookupError("not a message (needs channel and ts) or a view (needs its id)")


def _target_of_call(call: RecordedCall) -> Target:
    if not call.ok:
        raise LookupError(f"{call.method} failed with {call.response.get('error')!r}: nothing was shown to click")
    if call.method in _MESSAGE_METHODS:
        response = call.response
        return Target("message", channel_id=response["channel"], ts=response["ts"], shown=response["message"])
    if call.method == "chat.postEphemeral":
        return Target("message", channel_id=str(call.args.get("channel")), ts=call.response["message_ts"],
                      shown=call.args)
    if call.method in _VIEW_METHODS:
        return Target("view", view_id=call.response["view"]["id"])
    raise LookupError(f"a {call.method} call shows nothing to click")


def find_element(
    blocks: list[dict[str, Any]], action_id: str, value: Any = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(block, element) for the element with `action_id`; a button `value` picks among same-action_id buttons."""
    candidates = [
        (block, element)
        for block in blocks
        for element in interactive_elements(block)
        if element.get("action_id") == action_id
    ]
    chosen = [pair for pair in candidates if pair[1]["type"] == "button" and pair[1].get("value") == value]
    chosen = chosen or candidates
    if len(chosen) == 1:
        return chosen[0]
    present = [(e.get("action_id"), e.get("value")) for block in blocks for e in interactive_elements(block)]
    problem = "no element" if not chosen else f"{len(chosen)} elements (pass the value of the one to click)"
    raise LookupError(f"{problem} with action_id {action_id!r}; (action_id, value) present: {present}")
