"""Trigger ids as Slack hands them out: tied to a user (and maybe a view), valid briefly, usable once."""

from __future__ import annotations

import time
from dataclasses import dataclass

from slackstub.ids import trigger_id
from slackstub.replies import SlackMethodError


@dataclass
class Trigger:
    """What Slack knows about a trigger id: who acted, in which view (if any), when."""

    user_id: str
    view_id: str | None
    minted_at: float
    used: bool = False


class TriggerBook:
    """Mints trigger ids for interactions and enforces Slack's expiry and single use."""

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._triggers: dict[str, Trigger] = {}

    def mint(self, user_id: str, view_id: str | None = None) -> str:
        """A fresh trigger id for an interaction by `user_id` (inside view `view_id`, if given)."""
        minted = trigger_id()
        self._triggers[minted] = Trigger(user_id, view_id, time.monotonic())
        return minted

    def redeem(self, minted: str) -> Trigger:
        """Spend a trigger id, or fail with invalid_, exchanged_ or expired_trigger_id as Slack does."""
        trigger = self._triggers.get(minted)
        if trigger is None:
            raise SlackMethodError("invalid_trigger_id")
        if trigger.used:
            raise SlackMethodError("exchanged_trigger_id")
        if time.monotonic() - trigger.minted_at > self._ttl:
            raise SlackMethodError("expired_trigger_id")
        trigger.used = True
        return trigger
