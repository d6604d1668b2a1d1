"""The ephemeral answer to ``/selfserve`` and ``/selfserve help``."""

from __future__ import annotations

from functools import lru_cache

from slack_sdk.models.blocks import Block, ButtonElement, ContextBlock, SectionBlock

from bot import ids
from bot.messages import Message
from bot.messages.summary import md
from bot.mrkdwn import escape, truncate
from domain.catalog import Action

MAX_ACTION_BLOCKS = 45  # a message holds 50 blocks; keep room for the intro and the footer


def _action_block(action: Action, proof: str | None) -> Block:
    text = f"*{escape(action.title)}*  `{ids.COMMAND} {escape(action.id)}`"
    if action.description:
        text += f"\n{escape(action.description)}"
    if proof:
        text += f"\n_{escape(proof)}_"
    return SectionBlock(
        text=md(truncate(text, 3000)),
        accessory=ButtonElement(text="Request", action_id=ids.OPEN_FORM, value=action.id),
    )


@lru_cache(maxsize=256)
def help_message(actions: tuple[Action, ...], proofs: tuple[str | None, ...] = ()) -> Message:
    """One line and a Request button per action the user may request, with how it usually goes
    (``proofs``, one per action, when known).

    Cached per set of actions and proofs (catalog actions are immutable and hashable; the proofs
    change every quarter of an hour at most): everyone with the same roles gets the same list, and
    Block Kit validation cost a millisecond per help.
    """
    if not actions:
        text = "There is nothing you can request yet. Ask an admin to add you to a role in the catalog."
        return Message(text=text, blocks=(SectionBlock(text=md(text)),))
    blocks: list[Block] = [SectionBlock(text=md("Here is what you can request:"))]
    shown = proofs or (None,) * len(actions)
    blocks.extend(_action_block(action, proof) for action, proof in zip(actions[:MAX_ACTION_BLOCKS], shown,
                                                                         strict=False))
    rest = actions[MAX_ACTION_BLOCKS:]
    if rest:
        names = ", ".join(f"`{escape(a.id)}`" for a in rest)
        blocks.append(SectionBlock(text=md(truncate(f"Also: {names}", 3000))))
    blocks.append(ContextBlock(elements=[md(f"Type `{ids.COMMAND} <action>` to open a form directly.")]))
    return Message(text="What you can request with /selfserve", blocks=tuple(blocks))
