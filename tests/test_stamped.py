"""Stamped Block Kit: the JSON slack_sdk renders for the real values, refused for anything else."""

from __future__ import annotations

import pytest
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, HeaderBlock, SectionBlock

from bot import ids
from bot.messages.escalation import get_help_button
from bot.messages.stamped import HEADER_TEXT_LIMIT, SECTION_TEXT_LIMIT, SLOT_WIDTH, Stamped, header, section
from bot.messages.summary import md
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


TEXTS = ['plain', 'quotes " and \\ backslashes \\u0000ref\\u0000', "ünïcødé ✅ \n new line", "\x01" * 5, "x" * 3000]


@pytest.mark.parametrize("text", TEXTS)
def test_text_blocks_are_what_slack_sdk_renders(text: str) -> None:
    assert section(text).to_dict() == SectionBlock(text=md(text)).to_dict()
    assert header(text).to_dict() == HeaderBlock(text=text[:HEADER_TEXT_LIMIT - 1] + "…" if len(text) > 150
                                                 else text).to_dict()


def test_long_texts_are_cut_to_slacks_limits() -> None:
    assert len(section("y" * 5000).to_dict()["text"]["text"]) == SECTION_TEXT_LIMIT
    assert len(header("y" * 500).to_dict()["text"]["text"]) == HEADER_TEXT_LIMIT


def test_a_value_that_looks_like_another_slots_marker_stays_as_given() -> None:
    two = Stamped(lambda a, b: SectionBlock(text=md(f"{a} | {b}")), a=100, b=100)
    tricky = "\\u0000b\\u0000"  # backslash-u0000 as typed, not NUL
    assert two.fill(a=tricky, b="B").to_dict()["text"]["text"] == f"{tricky} | B"
    with pytest.raises(ValueError):
        two.fill(a="x" * 101, b="B")
