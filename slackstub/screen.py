"""What a simulated user can see right now: the bot's open views, its messages, ephemerals shown to them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slackstub.blocks import assign_ids
from slackstub.standin import SlackStandIn
from slackstub.targets import Target


class Screen:
    """Resolves what a user refers to against the stand-in, so they only act on what the bot really showed."""

    def __init__(self, stub: SlackStandIn) -> None:
        self._stub = stub

    def view(self, view: Mapping[str, Any], user_id: str, allow_closed: bool) -> dict[str, Any]:
        """The latest version of a view the bot opened (or published as their Home tab) for `user_id`;
        LookupError otherwise."""
        view_id = str(view.get("id"))
        home = self._stub.home_by_id(view_id)
        if home is not None:  # an App Home tab: always "open", only to its member
            if home[0] != user_id:
                raise LookupError(f"view {view_id} is {home[0]}'s Home tab, not {user_id}'s")
            return home[1]
        current = self._stub.known_view(view_id)
        if current is None:
            raise LookupError(f"view {view_id!r} was never opened by the bot")
        if not allow_closed and view_id not in self._stub.views:
            raise LookupError(f"view {view_id} is not open any more")
        owner = self._stub.view_user(view_id)
        if owner != user_id:
            raise LookupError(f"view {view_id} was opened for {owner}, not {user_id}")
        return current

    def surface(self, target: Target, user_id: str) -> tuple[dict[str, Any], bool]:
        """The view or message as `user_id` sees it now, and whether it is an ephemeral message."""
        if target.kind == "view":
            return self.view({"id": target.view_id}, user_id, allow_closed=False), False
        try:
            return self._stub.message(target.channel_id, target.ts), False
        except LookupError:
            return self._ephemeral(target, user_id), True

    def _ephemeral(self, target: Target, user_id: str) -> dict[str, Any]:
        """The ephemeral shown to `user_id` that `target` is: same ts, or same channel and blocks."""
        for message in reversed(self._stub.ephemerals(user_id)):
            same_place = message["channel"] == target.channel_id
            if message["ts"] == target.ts or (same_place and message.get("blocks") == target.shown.get("blocks")):
                return {**message, "blocks": assign_ids(message.get("blocks") or [])}
        raise LookupError(f"no message {target.ts} in {target.channel_id} that the bot posted, or showed to {user_id}")
