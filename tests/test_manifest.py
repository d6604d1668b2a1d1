"""``selfserve manifest``: the Slack app manifest parses as YAML, has what the app uses, and asks for exactly the
scopes the bot's Web API calls need."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from bot import ids
from cli import manifest
from domain.catalog import Catalog, load_catalog, parse_catalog
from tests.test_cli import BROKEN_CATALOG, acli

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "catalog.yaml"
E2E = Path(__file__).parent / "catalog_e2e.yaml"
BASE_SCOPES = ["commands", "chat:write", "im:write", "im:history", "channels:history", "groups:history"]
"""The E2E catalog's: it sets a support channel (escalations' relayed threads)."""
RELAY_EVENTS = ["message.channels", "message.groups", "message.im"]
FULFILMENT_SCOPES = ["users:read", "users:read.email", "chat:write.public"]
"""What the shipped catalog's fulfilment steps add: it names the requester and posts in channels (the
history of channels it asks for anyway, for escalations)."""
# A Web API call in bot/: client.chat_postMessage(...), client.usergroups_users_list(...), api_call("x.y", ...)
_SDK_CALL = re.compile(r"\.((?:chat|conversations|views|users|usergroups|auth|apps|reactions|team|bots|files|pins|"
                       r"reminders|dnd|emoji|bookmarks)_[A-Za-z_]+)\(")
_API_CALL = re.compile(r"api_call\(\s*[\"']([a-z]+(?:\.[A-Za-z]+)+)[\"']")


def parsed(text: str) -> dict[str, Any]:
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    return document


def with_user_groups(catalog: Catalog) -> Catalog:
    """The catalog with one role whose holders come from a Slack user group (the ``usergroups`` key)."""
    roles: dict[str, Any] = dict(catalog.roles)
    roles["it"] = SimpleNamespace(name="it", members=("U0IT1",), usergroups=("S0ITOPS",))
    return catalog.model_copy(update={"roles": roles})


def with_fulfilment(catalog: Catalog) -> Catalog:
    """The catalog with an action whose fulfilment names the requester and posts in a channel."""
    extra = parse_catalog("""
roles: {it: {members: [U0IT1]}}
actions:
  install:
    title: Install
    fields: [{id: what, label: What, type: text}]
    on_approved:
      - notify: {channel: C0OPS, message: "{{ requester.name }} got {{ form.what }}"}
""")
    return catalog.model_copy(update={"actions": {**catalog.actions, **extra.actions}})


def urls(document: Any) -> list[str]:
    """Every URL anywhere in the manifest."""
    if isinstance(document, dict):
        return [url for key, value in document.items()
                for url in ([value] if key.endswith("url") and isinstance(value, str) else urls(value))]
    if isinstance(document, list):
        return [url for item in document for url in urls(item)]
    return []


def methods_called_by_the_bot() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        found |= {name.replace("_", ".") for name in _SDK_CALL.findall(source)}
        found |= set(_API_CALL.findall(source))
    return found


def test_an_http_manifest_sends_everything_to_the_events_url() -> None:
    catalog = load_catalog(SHIPPED)
    document = parsed(manifest.render(catalog, url="https://selfserve.example.com/", source="catalog.yaml"))
    endpoint = "https://selfserve.example.com/slack/events"
    assert document["_metadata"] == {"major_version": 1, "minor_version": 1}
    assert document["display_information"]["name"] == "Selfserve"
    features = document["features"]
    assert features["app_home"] == {"home_tab_enabled": True, "messages_tab_enabled": True,
                                    "messages_tab_read_only_enabled": True}
    assert features["bot_user"] == {"display_name": "selfserve", "always_online": True}
    assert features["shortcuts"] == [{"name": "Self-service", "type": "global", "callback_id": ids.SHORTCUT,
                                      "description": "Pick something to request from the catalog"}]
    [command] = features["slash_commands"]
    assert (command["command"], command["url"], command["should_escape"]) == (ids.COMMAND, endpoint, True)
    assert document["oauth_config"] == {"scopes": {"bot": [*BASE_SCOPES, *FULFILMENT_SCOPES]}}
    settings = document["settings"]
    assert settings["event_subscriptions"] == {"request_url": endpoint, "bot_events": ["app_home_opened",
                                                                                     *RELAY_EVENTS]}
    assert settings["interactivity"] == {"is_enabled": True, "request_url": endpoint,
                                         "message_menu_options_url": endpoint}
    assert (settings["socket_mode_enabled"], settings["org_deploy_enabled"], settings["token_rotation_enabled"]) == \
        (False, False, False)
    assert set(urls(document)) == {endpoint}


def test_a_socket_mode_manifest_has_no_urls() -> None:
    document = parsed(manifest.render(load_catalog(E2E), name="Selfserve (staging)"))
    assert document["settings"]["socket_mode_enabled"] is True
    assert urls(document) == []
    assert document["settings"]["interactivity"] == {"is_enabled": True}
    assert document["settings"]["event_subscriptions"] == {"bot_events": ["app_home_opened", "message.channels",
                                                                          "message.groups", "message.im"]}
    assert document["display_information"]["name"] == "Selfserve (staging)"
    assert document["features"]["bot_user"]["display_name"] == "selfserve-staging"
    assert [c["command"] for c in document["features"]["slash_commands"]] == [ids.COMMAND]


@pytest.mark.parametrize("url, expected", [
    ("https://h.example", "https://h.example/slack/events"),
    ("https://h.example/bots/", "https://h.example/bots/slack/events"),
    ("https://h.example:8443/slack/events", "https://h.example:8443/slack/events"),
])
def test_the_url_becomes_the_events_endpoint(url: str, expected: str) -> None:
    assert manifest.events_url(url) == expected


def test_escalation_scopes_and_message_events_only_with_a_support_channel() -> None:
    catalog = load_catalog(E2E)
    quiet = catalog.model_copy(update={"settings": catalog.settings.model_copy(update={"support_channel": None})})
    assert manifest.bot_scopes(quiet) == ["commands", "chat:write", "im:write", "im:history"]
    assert parsed(manifest.render(quiet))["settings"]["event_subscriptions"] == {"bot_events": ["app_home_opened"]}


def test_user_group_scope_only_when_a_role_uses_user_groups() -> None:
    catalog = load_catalog(E2E)
    assert "usergroups:read" not in manifest.bot_scopes(catalog)
    assert manifest.bot_scopes(with_user_groups(catalog)) == [*BASE_SCOPES, "usergroups:read"]
    document = parsed(manifest.render(with_user_groups(catalog)))
    assert document["oauth_config"]["scopes"]["bot"][-1] == "usergroups:read"


def test_every_web_api_call_of_the_bot_has_its_scope_in_the_manifest() -> None:
    """A new call in bot/ must be listed in cli/manifest.py's METHOD_SCOPES, and its scope asked for."""
    called = methods_called_by_the_bot()
    assert {"views.open", "chat.postMessage", "conversations.history"} <= called  # the scan finds calls
    unknown = called - set(manifest.METHOD_SCOPES)
    assert not unknown, f"add these to cli/manifest.py METHOD_SCOPES: {sorted(unknown)}"
    needed = {scope for method in called if (scope := manifest.METHOD_SCOPES[method]) is not None}
    scopes = set(manifest.bot_scopes(with_user_groups(with_fulfilment(load_catalog(E2E)))))
    assert needed <= scopes, f"the manifest lacks {sorted(needed - scopes)}"
    without_groups = set(manifest.bot_scopes(load_catalog(E2E)))
    assert needed - manifest.CATALOG_ONLY <= without_groups
    assert without_groups <= needed | {"commands"} | manifest.ESCALATION_SCOPES, "a scope nothing uses is asked for"


async def test_the_command_prints_the_manifest_for_catalog_path(tmp_path: Path) -> None:
    env = {"CATALOG_PATH": str(E2E)}
    printed, socket = await asyncio.gather(
        acli("manifest", "--url", "https://selfserve.example.com", "--name", "Requests", env=env),
        acli("manifest", "--socket-mode", env=env))
    assert printed.returncode == 0, printed
    document = parsed(printed.stdout)
    assert document["display_information"]["name"] == "Requests"
    assert document["oauth_config"]["scopes"]["bot"] == BASE_SCOPES
    assert printed.stdout.startswith("# Slack app manifest for Requests")
    assert socket.returncode == 0 and parsed(socket.stdout)["settings"]["socket_mode_enabled"] is True, socket


async def test_the_command_refuses_what_would_make_a_broken_app(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN_CATALOG, encoding="utf-8")
    env = {"CATALOG_PATH": str(E2E)}
    cases = {
        "neither": ((), env, 2, "one of the arguments --socket-mode --url is required"),
        "both": (("--socket-mode", "--url", "https://h.example"), env, 2, "not allowed with argument"),
        "http": (("--url", "http://h.example"), env, 2, "selfserve: --url: must be an https URL"),
        "long name": (("--socket-mode", "--name", "x" * 36), env, 2, "selfserve: --name: must be 1 to 35"),
        "broken catalog": (("--socket-mode",), {"CATALOG_PATH": str(broken)}, 1, "has 4 problem(s)"),
    }
    results = await asyncio.gather(*(acli("manifest", *args, env=case_env) for args, case_env, _, _ in cases.values()))
    for (case, (_, _, code, message)), result in zip(cases.items(), results, strict=True):
        assert result.returncode == code and message in result.stderr and result.stdout == "", f"{case}: {result}"
