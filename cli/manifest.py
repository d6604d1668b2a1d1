"""``selfserve manifest``: the Slack app manifest (YAML) for the catalog at $CATALOG_PATH.

Paste its output into https://api.slack.com/apps → Create New App → From an app manifest. It declares
what the bot uses and nothing more: the slash command, the "Self-service" global shortcut,
interactivity (and the options-load URL for long lists), App Home with its Home and Messages tabs,
the ``app_home_opened`` event, the ``message`` events of escalations' relayed conversations (only with
a support channel), and exactly the bot scopes its Web API calls and events need (``usergroups:read``
only when a role of the catalog names Slack user groups, ``channels:history`` and ``groups:history``
only with a support channel). With ``--url`` Slack sends everything to
``URL/slack/events``; with ``--socket-mode`` it sends it over the connection ``selfserve run`` opens
with SLACK_APP_TOKEN, and no URL is needed.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

import yaml

from bot import ids
from bot.app import EVENTS_PATH
from cli.common import EXIT_CONFIG, EXIT_OK, EXIT_PROBLEM
from domain.catalog import Catalog, CatalogError, load_catalog

DEFAULT_NAME = "Selfserve"
SHORTCUT_NAME = "Self-service"  # the global shortcut, as the composer's shortcuts menu lists it
MAX_NAME = 35  # Slack's limit for an app's name

# The scope each Web API method the bot calls needs (tests/test_manifest.py checks that every call in
# bot/ is listed here); None: no scope (views.* go by trigger or view id, auth.test by token).
METHOD_SCOPES: dict[str, str | None] = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.delete": "chat:write",
    "conversations.open": "im:write",
    "conversations.history": "im:history",
    "conversations.replies": "im:history",  # a retried reminder or relay looks for its earlier reply in the thread
    "usergroups.users.list": "usergroups:read",
    "users.info": "users:read",
    "views.open": None,
    "views.push": None,
    "views.update": None,
    "views.publish": None,
    "auth.test": None,
    "apps.connections.open": None,  # takes the app-level token, which has its own scope (connections:write)
}
# Why each scope is asked for; the manifest lists them in this order.
SCOPES: dict[str, str] = {
    "commands": "the /selfserve command and the Self-service shortcut",
    "chat:write": "DMs to requesters and approvers, kept in step with each request",
    "im:write": "opening those DMs (conversations.open)",
    "im:history": "a retried DM (or reminder in its thread) first looks for the one an earlier attempt posted, "
                  "so nobody gets it twice",
    "channels:history": "escalations: replies in the support channel's threads (message.channels) are relayed; "
                        "a retried notify step first looks for the post an earlier attempt made",
    "groups:history": "escalations: the same when the support channel is private (message.groups)",
    "usergroups:read": "roles whose holders come from Slack user groups (usergroups.users.list)",
    "users:read": "fulfilment templates name the requester (users.info)",
    "users:read.email": "... and give their email address to other systems (requester.email)",
    "chat:write.public": "fulfilment's notify steps post in public channels the bot was not invited to",
}
ESCALATION_SCOPES = {"channels:history", "groups:history"}
"""Asked for when the catalog sets a support channel; they serve the relay's events as much as any call."""
CATALOG_ONLY = {"usergroups:read", "users:read", "users:read.email", "chat:write.public", *ESCALATION_SCOPES}
"""Scopes asked for only when the catalog uses what needs them."""
ESCALATION_EVENTS = ["message.channels", "message.groups", "message.im"]
"""Messages in the support channel (public or private) and in DMs with the app: the relayed conversation
(``im:history``, asked for anyway, covers ``message.im``)."""


def uses_user_groups(catalog: Catalog) -> bool:
    """Whether a role names Slack user groups (``usergroups:`` on a role)."""
    return any(getattr(role, "usergroups", None) for role in catalog.roles.values())


def fulfilment_steps(catalog: Catalog) -> list[object]:
    """Every fulfilment step of the catalog (``on_approved`` and ``on_expired``)."""
    return [step for action in catalog.actions.values() for step in (*action.on_approved, *action.on_expired)]


def bot_scopes(catalog: Catalog) -> list[str]:
    steps = fulfilment_steps(catalog)
    escalating = catalog.settings.support_channel is not None
    wanted = {"usergroups:read": uses_user_groups(catalog), "users:read": bool(steps),
              "users:read.email": bool(steps),
              "chat:write.public": any(getattr(step, "notify", None) for step in steps),
              "channels:history": escalating or any(getattr(step, "notify", None) for step in steps),
              "groups:history": escalating}
    return [scope for scope in SCOPES if scope not in CATALOG_ONLY or wanted[scope]]


def events_url(url: str) -> str:
    """``https://host[/prefix]`` → ``https://host[/prefix]/slack/events`` (kept if it already ends so);
    ValueError unless it is an https URL without query or fragment."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"must be an https URL such as https://selfserve.example.com, got {url!r}")
    path = parts.path.rstrip("/")
    if not path.endswith(EVENTS_PATH):
        path += EVENTS_PATH
    return urlunsplit(("https", parts.netloc, path, "", ""))


def build(catalog: Catalog, *, name: str = DEFAULT_NAME, url: str | None = None) -> dict[str, Any]:
    """The manifest as a dict: Socket Mode when ``url`` is None, else every request to ``events_url(url)``."""
    endpoint = events_url(url) if url is not None else None
    at = {"url": endpoint} if endpoint else {}
    command: dict[str, Any] = {
        "command": ids.COMMAND,
        **at,
        "description": "Request something, or follow your requests and approvals",
        "usage_hint": "[action] [field=value …] | what you need | help",
        "should_escape": True,  # @someone and #channel arrive as ids
    }
    interactivity: dict[str, Any] = {"is_enabled": True}
    relayed = ESCALATION_EVENTS if catalog.settings.support_channel is not None else []
    events: dict[str, Any] = {"bot_events": ["app_home_opened", *relayed]}
    if endpoint:
        interactivity.update(request_url=endpoint, message_menu_options_url=endpoint)
        events = {"request_url": endpoint, **events}
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": f"Self-service requests and approvals in Slack ({len(catalog.actions)} actions)",
            "background_color": "#1d1c1d",
        },
        "features": {
            "app_home": {"home_tab_enabled": True, "messages_tab_enabled": True,
                         "messages_tab_read_only_enabled": True},
            "bot_user": {"display_name": _display_name(name), "always_online": True},
            "shortcuts": [{"name": SHORTCUT_NAME, "type": "global", "callback_id": ids.SHORTCUT,
                           "description": "Pick something to request from the catalog"}],
            "slash_commands": [command],
        },
        "oauth_config": {"scopes": {"bot": bot_scopes(catalog)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": endpoint is None,
            "token_rotation_enabled": False,
        },
    }


def render(catalog: Catalog, *, name: str = DEFAULT_NAME, url: str | None = None, source: str = "") -> str:
    """The manifest as YAML, with a comment saying where it came from and why each scope is there."""
    manifest = build(catalog, name=name, url=url)
    header = [f"# Slack app manifest for {name}, made by `selfserve manifest` from {source or 'the catalog'}",
              f"# ({len(catalog.actions)} actions; {'Socket Mode' if url is None else 'requests to ' + str(url)}).",
              "# Bot scopes:"]
    header += [f"#   {scope}: {SCOPES[scope]}" for scope in manifest["oauth_config"]["scopes"]["bot"]]
    body = str(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100))
    return "\n".join(header) + "\n" + body


def main(socket_mode: bool, url: str | None, name: str, out: TextIO = sys.stdout) -> int:
    path = os.environ.get("CATALOG_PATH") or "./catalog.yaml"
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        print(f"selfserve: --name: must be 1 to {MAX_NAME} characters, got {len(name)}", file=sys.stderr)
        return EXIT_CONFIG
    if url is not None:
        try:
            events_url(url)
        except ValueError as error:
            print(f"selfserve: --url: {error}", file=sys.stderr)
            return EXIT_CONFIG
    try:
        catalog = load_catalog(path)
    except CatalogError as error:
        print(error, file=sys.stderr)
        print(f"selfserve: {path} has {len(error.problems)} problem(s); run `selfserve check`", file=sys.stderr)
        return EXIT_PROBLEM
    out.write(render(catalog, name=name, url=None if socket_mode else url, source=path))
    return EXIT_OK


def _display_name(name: str) -> str:
    """The bot user's name: lower case, words joined by hyphens (what Slack allows there)."""
    words = "".join(c if c.isalnum() or c in "-_." else " " for c in name.lower()).split()
    return "-".join(words)[:80] or "selfserve"
