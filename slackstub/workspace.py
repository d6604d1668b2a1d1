"""The workspace's people, conversations and message history, which the Web API methods read and change."""

from __future__ import annotations

from typing import Any

from slackstub.ids import TsClock, stable_id
from slackstub.replies import SlackMethodError
from slackstub.users import SlackUser

Message = dict[str, Any]


class Workspace:
    """Users, DMs, per-channel history and ephemerals. Public channels ("C...") exist implicitly; DMs once opened."""

    def __init__(self) -> None:
        self.clock = TsClock()
        self._users: dict[str, SlackUser] = {}
        self._dms: dict[str, str] = {}
        self._group_dms: set[str] = set()
        self._joined: set[str] = set()
        self._history: dict[str, list[Message]] = {}
        self._ephemerals: dict[str, list[Message]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.channel_names: dict[str, str] = {}

    def add_user(self, user: SlackUser) -> None:
        """Add or replace a member."""
        self._users[user.id] = user

    def user(self, user_id: str) -> SlackUser:
        """A member, or Slack's user_not_found."""
        try:
            return self._users[user_id]
        except KeyError:
            raise SlackMethodError("user_not_found") from None

    def dm_channel(self, user_id: str) -> str:
        """The member's DM with the bot: one stable "D..." id per user."""
        self.user(user_id)
        channel = stable_id("D", user_id)
        self._dms[channel] = user_id
        return channel

    def open_conversation(self, user_ids: list[str]) -> str:
        """conversations.open: one user gets their DM, several get a group DM ("G...")."""
        for user_id in user_ids:
            if self.user(user_id).deleted:
                raise SlackMethodError("user_disabled")
        if len(user_ids) == 1:
            return self.dm_channel(user_ids[0])
        channel = stable_id("G", ",".join(sorted(user_ids)))
        self._group_dms.add(channel)
        return channel

    def resolve_channel(self, channel: str, allow_user: bool) -> str:
        """The conversation id a `channel` argument names; a user id means their DM where Slack allows it."""
        member = self._users.get(channel)
        if allow_user and member is not None and not member.deleted:
            return self.dm_channel(channel)
        if channel.startswith("C") or channel in self._dms or channel in self._group_dms:
            return channel
        raise SlackMethodError("channel_not_found")

    def members(self) -> list[SlackUser]:
        """Every member, in the order they were added."""
        return list(self._users.values())

    def public_channels(self) -> list[str]:
        """Public channels that have a name or a message, named ones first."""
        with_history = [channel for channel in self._history if channel.startswith("C")]
        return list(dict.fromkeys([*self.channel_names, *with_history]))

    def join(self, channel: str) -> None:
        """The bot is now a member of public channel `channel`."""
        self._joined.add(channel)

    def readable_channel(self, channel: str) -> str:
        """A conversation whose history the bot may read: its DMs and group DMs, and channels it is in.

        A public channel it is not in is Slack's not_in_channel; anything else (user ids included) channel_not_found.
        """
        if channel in self._dms or channel in self._group_dms or channel in self._joined:
            return channel
        raise SlackMethodError("not_in_channel" if channel.startswith("C") else "channel_not_found")

    def append(self, channel: str, message: Message) -> None:
        """Add a message to a channel's history."""
        self._history.setdefault(channel, []).append(message)

    def message(self, channel: str, ts: str) -> Message:
        """The stored (live) message, or Slack's message_not_found."""
        for message in self._history.get(channel, []):
            if message["ts"] == ts:
                return message
        raise SlackMethodError("message_not_found")

    def remove(self, channel: str, ts: str) -> None:
        """Delete a message from a channel's history."""
        self._history[channel].remove(self.message(channel, ts))

    def history(self, channel: str) -> list[Message]:
        """The channel's live messages, oldest first."""
        return self._history.get(channel, [])

    def show_ephemeral(self, user_id: str, message: Message) -> None:
        """Remember a message only `user_id` saw (it carries its `channel`); Slack keeps no history of these."""
        self._ephemerals.setdefault(user_id, []).append(message)

    def ephemerals(self, user_id: str) -> list[Message]:
        """Ephemeral messages shown to `user_id`, oldest first."""
        return self._ephemerals.get(user_id, [])
