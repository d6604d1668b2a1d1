"""The ephemeral answer to ``/selfserve <words>``: the actions that match, or that none does."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, SectionBlock

from bot import ids
from bot.messages import Message
from bot.messages.summary import md
from bot.mrkdwn import escape, truncate
from domain.catalog import Action
from domain.matching import Suggestions

QUERY_SHOWN = 150  # characters of what was typed that the answer repeats
QUERY_CARRIED = 200  # ... and that the Get help button carries to its handler (and the audit log)
LISTED = 20  # requestable actions named when nothing matched (`/selfserve help` has them all)


def start_block(action: Action, action_id: str = ids.OPEN_FORM, proof: str | None = None) -> Block:
    """The action's title, id and description, with a Start button (``action_id``: what it does),
    and how it usually goes (``domain.social_proof``) when known."""
    text = f"*{escape(action.title)}*  `{ids.COMMAND} {escape(action.id)}`"
    if action.description:
        text += f"\n{escape(action.description)}"
    if proof:
        text += f"\n_{escape(proof)}_"
    return SectionBlock(
        text=md(truncate(text, 3000)),
        accessory=ButtonElement(text="Start", action_id=action_id, value=action.id, style="primary"),
    )


def also_block(actions: Sequence[Action]) -> Block:
    """The ids of actions a list had no room for."""
    names = ", ".join(f"`{escape(a.id)}`" for a in actions)
    return ContextBlock(elements=[md(truncate(f"Also, with `{ids.COMMAND} <id>`: {names}", 3000))])


def _help_button(query: str, label: str) -> Block:
    return ActionsBlock(elements=[ButtonElement(text=label, action_id=ids.GET_HELP,
                                                value=query[:QUERY_CARRIED] or "-")])


def _quoted(query: str) -> str:
    return f"“{escape(truncate(' '.join(query.split()), QUERY_SHOWN))}”"


def suggestions_message(found: Suggestions) -> Message:
    """Up to three matching actions, each with a Start button that opens its form, and a way
    to ask for help; or, when nothing matched, what the person can request instead."""
    if found.matches:
        blocks: list[Block] = [SectionBlock(text=md(f"Here is what I found for {_quoted(found.query)}:"))]
        blocks.extend(start_block(match.action) for match in found.matches)
        blocks.append(_help_button(found.query, "None of these? Get help"))
        blocks.append(ContextBlock(elements=[md(f"Type `{ids.COMMAND} help` to see everything you can request.")]))
        return Message(text="Actions that match what you typed", blocks=tuple(blocks))
    blocks = [SectionBlock(text=md(f"I couldn't find anything that matches {_quoted(found.query)}."))]
    if found.requestable:
        names = ", ".join(f"*{escape(a.title)}* (`{escape(a.id)}`)" for a in found.requestable[:LISTED])
        more = len(found.requestable) - LISTED
        names += f" and {more} more" if more > 0 else ""
        blocks.append(SectionBlock(text=md(truncate(f"What you can request: {names}.", 3000))))
        blocks.append(ContextBlock(elements=[md(
            f"Type `{ids.COMMAND} help` for the list with buttons, or describe what you need in other words.")]))
    else:
        blocks.append(SectionBlock(text=md("There is nothing you can request yet.")))
    blocks.append(_help_button(found.query, "Get help"))
    return Message(text="Nothing matched what you typed", blocks=tuple(blocks))


def help_requested_text() -> str:
    """What the Get help button answers when no support channel is set up (else: an escalation)."""
    return ("I can't pass this on to a person: no support channel is set up. "
            "Please ask your IT or HR team directly.")
