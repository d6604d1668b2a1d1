"""The playground's pretend workspace, made from the catalog: its people, channels, and how to begin."""

from __future__ import annotations

import os

from bot.mrkdwn import escape
from domain.catalog import Catalog
from slackstub import SlackStandIn

SUPPORT_CHANNEL_NAME = "support"
GENERAL = ("C0GENERAL", "general")
"""Every workspace has one; channel pickers offer it even when the catalog names no channel."""


def populate(stub: SlackStandIn, catalog: Catalog) -> None:
    """Everyone the catalog names becomes a member (named by ``people:``, else by their id); #general and the
    support channel get names; user groups exist (with no members: only Slack knows them)."""
    for user_id in catalog.named_people():
        name = catalog.people.get(user_id, user_id)
        stub.add_user(user_id, name=user_id.lower(), real_name=name, display_name=name)
    stub.add_channel(*GENERAL)
    if catalog.settings.support_channel and catalog.settings.support_channel.startswith("C"):
        stub.add_channel(catalog.settings.support_channel, SUPPORT_CHANNEL_NAME)
    for role in catalog.roles.values():
        for group in role.usergroups:
            stub.set_usergroup(group, [])


def default_person(catalog: Catalog) -> str:
    """Who the page acts as at first: someone who may request the first action (so the first command works)."""
    people = catalog.named_people()
    first = next(iter(catalog.actions.values()))
    for role in first.requesters or ():
        members = sorted(catalog.members_of(role), key=people.index)
        if members:
            return members[0]
    return people[0] if people else ""


def shown_path(path: str) -> str:
    """The catalog's path as the page shows it: relative to the working directory when the file is under it,
    else its file name (an absolute path says where someone's home or temporary files are, and is long)."""
    absolute = os.path.abspath(path)
    here = os.getcwd()
    if os.path.commonpath([absolute, here]) == here:
        return os.path.relpath(absolute, here)
    return os.path.basename(absolute)


def intro(catalog: Catalog, path: str) -> str:
    """The first thing the page says (mrkdwn; catalog text escaped); `path` as shown (shown_path)."""
    first = next(iter(catalog.actions))
    return (f"*This is the selfserve playground*: a pretend Slack workspace on your computer, with the people of "
            f"`{escape(path)}`. Type `/selfserve` below to see what the person picked at the top left may request, "
            f"or `/selfserve {escape(first)}` to start a request. Approvers get a DM here: switch person to see it "
            f"and decide. Edit the catalog file and this page picks it up when you save.")
