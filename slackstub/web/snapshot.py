"""What one person sees in the workspace now, as the page's JSON: people, conversations, Home, modals."""

from __future__ import annotations

from typing import Any

from slackstub.standin import SlackStandIn
from slackstub.web.notices import Notices


def snapshot(stub: SlackStandIn, user_id: str, notices: Notices, default_user: str = "") -> dict[str, Any]:
    """Everything the page draws for `user_id` (the page starts as `default_user`); it asks nothing else."""
    members = [user for user in stub.members() if not user.deleted]
    people = [{"id": user.id, "name": user.real_name} for user in members if not user.is_bot]
    known = {user.id for user in members}
    channels = [{"id": channel, "name": stub.channel_name(channel), "kind": "channel",
                 "messages": stub.messages(channel), "ephemerals": _ephemerals(stub, user_id, channel)}
                for channel in stub.public_channels()]
    conversations = channels
    if user_id in known:
        dm = stub.dm_channel(user_id)
        conversations = [{"id": dm, "name": stub.identity.bot_name, "kind": "app", "messages": stub.messages(dm),
                          "ephemerals": _ephemerals(stub, user_id, dm)}, *channels]
    return {
        "me": user_id if user_id in known else None,
        "default_user": default_user,
        "bot": {"id": stub.identity.bot_user_id, "name": stub.identity.bot_name},
        "people": people,
        "names": {user.id: user.real_name for user in members},
        "channel_names": {channel["id"]: channel["name"] for channel in channels},
        "conversations": conversations,
        "home": stub.home(user_id) if user_id in known else None,
        "modals": _modals(stub, user_id),
        "notices": notices.as_json(),
    }


def _ephemerals(stub: SlackStandIn, user_id: str, channel: str) -> list[dict[str, Any]]:
    return [message for message in stub.ephemerals(user_id) if message.get("channel") == channel]


def _modals(stub: SlackStandIn, user_id: str) -> list[dict[str, Any]]:
    """The stack on screen (Slack shows one: the latest), bottom first, each with what is entered and its errors."""
    stacks = stub.modal_stacks(user_id)
    if not stacks:
        return []
    return [{**view, "entered": stub.view_values(view["id"]), "errors": stub.view_errors(view["id"])}
            for view in stacks[-1]]
