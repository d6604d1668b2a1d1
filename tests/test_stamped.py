"""Stamped Block Kit: the JSON slack_sdk renders for the real values, refused for anything else."""

from __future__ import annotations

import pytest
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot import ids
from bot.messages.escalation import get_help_button
from bot.messages.stamped import SLOT_WIDTH, Stamped
from bot.messages.tracking import cancel_button


def _row(ref: str) -> Block:
    return ActionsBlock(block_id=ids.CANCEL, elements=[
        cancel_button(ref), get_help_button(ref),
        ButtonElement(text="Approve", action_id=ids.APPROVE, value=f"{ref}:1", style="primary")])


@pytest.mark.parametrize("ref", ["REQ-1", "REQ-2147483647", "R" * SLOT_WIDTH])
def test_filled_is_what_slack_sdk_renders(ref: str) -> None:
    assert Stamped(_row, "ref").fill(ref=ref).to_dict() == _row(ref).to_dict()


@pytest.mark.parametrize("value", ["R" * (SLOT_WIDTH + 1), "<!channel>", "a&b", "REQ 1", "*bold*", "x\x00y", ""])
def test_only_short_identifiers_fill_a_slot(value: str) -> None:
    with pytest.raises(ValueError):
        Stamped(_row, "ref").fill(ref=value)


def test_every_slot_is_filled_and_no_other() -> None:
    stamped = Stamped(_row, "ref")
    with pytest.raises(TypeError):
        stamped.fill()
    with pytest.raises(TypeError):
        stamped.fill(ref="REQ-1", other="x")


def test_uses_do_not_share_json() -> None:
    stamped = Stamped(_row, "ref")
    first = stamped.fill(ref="REQ-1").to_dict()
    first["elements"][0]["value"] = "changed"
    assert stamped.fill(ref="REQ-1").to_dict() == _row("REQ-1").to_dict()
