"""The Slack stand-in, exercised the way the bot uses it: through slack_sdk, and as signed HTTP to an app."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from slackstub import RecordedCall, SlackClientSim, SlackStandIn, signature_headers

TOKEN = "xoxb-test"
SECRET = "test-signing-secret"
HR = "U0HR1"
NEWBIE = "U0NEW"
TS_FORMAT = re.compile(r"^\d{10}\.\d{6}$")
TOO_MANY = "no more than %d items allowed [json-pointer"
GROUP = {"label": {"type": "plain_text", "text": "G"}, "options": [{"text": {"type": "plain_text", "text": "A"},
                                                                    "value": "a"}]}


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def modal(*blocks: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A valid modal with the given blocks."""
    return {"type": "modal", "title": plain("New starter"), "submit": plain("Send"), "blocks": list(blocks), **extra}


def text_input(block_id: str, action_id: str = "value") -> dict[str, Any]:
    element = {"type": "plain_text_input", "action_id": action_id}
    return {"type": "input", "block_id": block_id, "label": plain(block_id), "element": element}


def option(value: str, text: str | None = None) -> dict[str, Any]:
    return {"text": plain(text or value.title()), "value": value}


def options(count: int) -> list[dict[str, Any]]:
    return [option(f"v{index}") for index in range(count)]


def an_input(block_id: str, element: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """An input block whose element's action_id is the block_id unless the element names its own."""
    return {"type": "input", "block_id": block_id, "label": plain(block_id),
            "element": {"action_id": block_id, **element}, **extra}


def choice(block_id: str, choices: list[dict[str, Any]], kind: str = "static_select", **extra: Any) -> dict[str, Any]:
    """An input block with a select, checkboxes or radio buttons offering `choices`."""
    return an_input(block_id, {"type": kind, "options": choices, **extra})


def button(action_id: str, value: str) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": plain(action_id.title()), "value": value}


def actions(*elements: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements), **extra}


async def slack_error(call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
    """The response of a call that must fail with SlackApiError."""
    with pytest.raises(SlackApiError) as failure:
        await call
    response: AsyncSlackResponse = failure.value.response
    return response


async def error_of(call: Awaitable[AsyncSlackResponse]) -> str:
    """The Slack error code of a call that must fail."""
    return str((await slack_error(call))["error"])


@pytest.fixture
async def stub() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn(bot_token=TOKEN) as standin:
        standin.add_user(HR, name="hana", real_name="Hana Reyes", tz="America/New_York")
        standin.add_user(NEWBIE, name="ada", real_name="Ada Lovelace")
        standin.add_user("U0GONE", name="gone", deleted=True)
        yield standin


@pytest.fixture
def client(stub: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=stub.api_url, retry_handlers=[])


async def open_modal(stub: SlackStandIn, client: AsyncWebClient, view: dict[str, Any]) -> dict[str, Any]:
    """Open `view` for HR, as the bot would after HR's interaction."""
    response = await client.views_open(trigger_id=stub.new_trigger_id(HR), view=view)
    return dict(response["view"])


# --- the Web API stand-in, through slack_sdk -------------------------------------------------------


async def test_auth_test_reports_the_bot_identity(client: AsyncWebClient) -> None:
    response = await client.auth_test()
    assert response.data == {
        "ok": True,
        "url": "https://selfserve-test.slack.com/",
        "team": "Selfserve Test",
        "user": "selfserve",
        "team_id": "T0TEAM",
        "user_id": "U0BOT",
        "bot_id": "B0BOT",
        "is_enterprise_install": False,
    }


async def test_missing_or_wrong_token_is_rejected(stub: SlackStandIn) -> None:
    anonymous = AsyncWebClient(base_url=stub.api_url, retry_handlers=[])
    impostor = AsyncWebClient(token="xoxb-wrong", base_url=stub.api_url, retry_handlers=[])
    assert await error_of(anonymous.auth_test()) == "not_authed"
    assert await error_of(impostor.chat_postMessage(channel="C1", text="x")) == "invalid_auth"
    assert [(call.method, call.status, call.ok) for call in stub.calls] == [
        ("auth.test", 200, False),
        ("chat.postMessage", 200, False),
    ]
    assert stub.messages("C1") == []


async def test_token_form_body_and_get_query_are_accepted(stub: SlackStandIn) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{stub.api_url}conversations.open", data={"token": TOKEN, "users": HR}) as form:
            assert (await form.json())["channel"]["id"] == stub.dm_channel(HR)
        async with http.get(f"{stub.api_url}users.info", params={"token": TOKEN, "user": HR}) as query:
            assert (await query.json())["user"]["name"] == "hana"
        garbled = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        async with http.post(f"{stub.api_url}chat.postMessage", data=b"{nope", headers=garbled) as bad:
            assert await bad.json() == {"ok": False, "error": "invalid_json"}
    assert stub.calls[0].args == {"users": HR}, "the token is not part of the recorded args"


async def test_unknown_method(client: AsyncWebClient) -> None:
    assert await error_of(client.api_call("files.teleport")) == "unknown_method"


async def test_conversations_open_gives_one_stable_dm_per_user(stub: SlackStandIn, client: AsyncWebClient) -> None:
    first = await client.conversations_open(users=HR)
    again = await client.conversations_open(users=[HR])
    assert first["channel"]["id"] == again["channel"]["id"] == stub.dm_channel(HR)
    assert first["channel"]["id"].startswith("D")
    assert stub.dm_channel(NEWBIE) != stub.dm_channel(HR)
    assert await error_of(client.conversations_open(users="U0NOBODY")) == "user_not_found"
    assert await error_of(client.conversations_open(users="U0GONE")) == "user_disabled"


async def test_post_message_to_a_user_lands_in_their_dm(stub: SlackStandIn, client: AsyncWebClient) -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "Welcome"}}
    first = await client.chat_postMessage(channel=HR, text="Welcome", blocks=[section])
    second = await client.chat_postMessage(channel=stub.dm_channel(HR), text="Again")
    assert first["channel"] == second["channel"] == stub.dm_channel(HR)
    assert TS_FORMAT.match(first["ts"]) and TS_FORMAT.match(second["ts"])
    assert float(second["ts"]) > float(first["ts"])
    message = first["message"]
    assert (message["type"], message["user"], message["bot_id"]) == ("message", "U0BOT", "B0BOT")
    assert message["ts"] == first["ts"]
    assert message["blocks"][0]["block_id"], "Slack assigns block ids the app left out"
    stored = stub.messages(HR)
    assert [m["text"] for m in stored] == ["Welcome", "Again"]
    assert stored[0]["channel"] == stub.dm_channel(HR)


async def test_post_message_errors(client: AsyncWebClient) -> None:
    assert await error_of(client.api_call("chat.postMessage", json={"channel": "C0GENERAL"})) == "no_text"
    assert await error_of(client.chat_postMessage(channel="D0NOTOPEN", text="x")) == "channel_not_found"
    assert await error_of(client.chat_postMessage(channel="U0NOBODY", text="x")) == "channel_not_found"
    too_many = [{"type": "divider"}] * 51
    assert await error_of(client.chat_postMessage(channel="C0GENERAL", text="x", blocks=too_many)) == "invalid_blocks"


async def test_chat_update_edits_the_stored_message(stub: SlackStandIn, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C0GENERAL", text="Pending", blocks=[actions(button("ok", "r1"))])
    updated = await client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="Approved")
    assert (updated["channel"], updated["ts"], updated["text"]) == ("C0GENERAL", posted["ts"], "Approved")
    [stored] = stub.messages("C0GENERAL")
    assert stored["text"] == "Approved" and stored["blocks"] == posted["message"]["blocks"], "blocks left out stay"
    assert stored["edited"]["user"] == "U0BOT"
    divider = {"type": "divider", "block_id": "d"}
    await client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="Done", blocks=[divider])
    assert stub.message("C0GENERAL", posted["ts"])["blocks"] == [divider]


async def test_chat_update_errors(stub: SlackStandIn, client: AsyncWebClient) -> None:
    human = stub.post_user_message("C0GENERAL", HR, "hello")
    bot = await client.chat_postMessage(channel=HR, text="hi")
    assert await error_of(client.chat_update(channel="C0GENERAL", ts="1.000001", text="x")) == "message_not_found"
    assert await error_of(client.chat_update(channel="C0GENERAL", ts=human["ts"], text="x")) == "cant_update_message"
    assert await error_of(client.chat_update(channel=HR, ts=bot["ts"], text="x")) == "channel_not_found"
    emptied = client.api_call("chat.update", json={"channel": bot["channel"], "ts": bot["ts"]})
    assert await error_of(emptied) == "no_text"


async def test_post_ephemeral(stub: SlackStandIn, client: AsyncWebClient) -> None:
    response = await client.chat_postEphemeral(channel="C0GENERAL", user=HR, text="Only you")
    assert TS_FORMAT.match(response["message_ts"])
    assert stub.messages("C0GENERAL") == [], "ephemerals are not part of the history"
    assert [(m["text"], m["ts"]) for m in stub.ephemerals(HR)] == [("Only you", response["message_ts"])]
    assert await error_of(client.chat_postEphemeral(channel="C0GENERAL", user="U0NOBODY", text="x")) == "user_not_found"


async def test_views_open_returns_the_view_as_slack_stores_it(stub: SlackStandIn, client: AsyncWebClient) -> None:
    unnamed = {"type": "input", "label": plain("Name"), "element": {"type": "plain_text_input"}}
    view = await open_modal(stub, client, modal(unnamed, callback_id="new_employee", private_metadata="req-1"))
    assert view["id"].startswith("V") and view["root_view_id"] == view["id"] and view["previous_view_id"] is None
    assert (view["team_id"], view["app_id"], view["bot_id"]) == ("T0TEAM", "A0APP", "B0BOT")
    assert (view["callback_id"], view["private_metadata"], view["external_id"]) == ("new_employee", "req-1", "")
    assert view["state"] == {"values": {}} and re.match(r"^\d+\.\w+$", view["hash"])
    block = view["blocks"][0]
    assert block["block_id"] and block["element"]["action_id"], "Slack assigns ids the app left out"
    assert stub.views == {view["id"]: view}
    assert stub.view_user(view["id"]) == HR


async def test_views_open_trigger_ids_are_single_use_and_known(stub: SlackStandIn, client: AsyncWebClient) -> None:
    trigger = stub.new_trigger_id(HR)
    await client.views_open(trigger_id=trigger, view=modal(text_input("name")))
    assert await error_of(client.views_open(trigger_id=trigger, view=modal())) == "exchanged_trigger_id"
    assert await error_of(client.views_open(trigger_id="123.456.abc", view=modal())) == "invalid_trigger_id"


async def test_views_open_trigger_ids_expire() -> None:
    async with SlackStandIn(bot_token=TOKEN, trigger_ttl=0.05) as quick:
        client = AsyncWebClient(token=TOKEN, base_url=quick.api_url, retry_handlers=[])
        trigger = quick.new_trigger_id(HR)
        await asyncio.sleep(0.1)
        assert await error_of(client.views_open(trigger_id=trigger, view=modal())) == "expired_trigger_id"


@pytest.mark.parametrize(
    ("view", "pointer"),
    [
        (modal(title=plain("x" * 25)), "/view/title/text"),
        (modal(submit=plain("y" * 25)), "/view/submit/text"),
        (modal(text_input("same"), text_input("same")), "/view/blocks/1/block_id"),
        (modal(*[{"type": "divider"}] * 101), "/view/blocks"),
        (modal(callback_id="c" * 256), "/view/callback_id"),
        (modal(private_metadata="m" * 3001), "/view/private_metadata"),
        ({**modal(text_input("a")), "submit": None}, "/view/submit"),
        (modal(id="V123"), "invalid additional property: id"),
        (modal(type="home"), "/view/type"),
        (modal(choice("dept", options(101))), f"{TOO_MANY % 100}:/view/blocks/0/element/options]"),
        (modal(choice("teams", options(101), "multi_static_select")), f"{TOO_MANY % 100}:/view/blocks/0/element/"),
        (modal(choice("kit", options(11), "checkboxes")), f"{TOO_MANY % 10}:/view/blocks/0/element/options]"),
        (modal(choice("office", options(11), "radio_buttons")), f"{TOO_MANY % 10}:/view/blocks/0/element/options]"),
        (modal(an_input("dept", {"type": "static_select", "option_groups": [GROUP] * 101})),
         f"{TOO_MANY % 100}:/view/blocks/0/element/option_groups]"),
        (modal(choice("dept", [option("eng", "E" * 76)])), "/view/blocks/0/element/options/0/text/text"),
        (modal(choice("dept", [option("v" * 151)])), "/view/blocks/0/element/options/0/value"),
        (modal(choice("dept", [{"text": {"type": "mrkdwn", "text": "*E*"}, "value": "e"}])), "/element/options/0/text"),
        (modal(an_input("name", {"type": "plain_text_input"}, label=plain("L" * 2001))), "/view/blocks/0/label/text"),
        (modal(an_input("name", {"type": "plain_text_input"}, hint=plain("H" * 2001))), "/view/blocks/0/hint/text"),
        (modal(an_input("name", {"type": "plain_text_input", "placeholder": plain("P" * 151)})), "/placeholder/text"),
        (modal(choice("dept", [option("eng")], initial_option=option("fin"))),
         "must exactly match one of the options [json-pointer:/view/blocks/0/element/initial_option]"),
        (modal(choice("kit", [option("eng")], "checkboxes", initial_options=[option("eng"), option("fin")])),
         "/view/blocks/0/element/initial_options/1"),
        (modal(choice("dept", [option("eng")], initial_option=option("eng", "Renamed"))), "/element/initial_option"),
        (modal(an_input("color", {"type": "color_picker"})), "/view/blocks/0/element/type"),
        (modal(actions({"type": "slider", "action_id": "s"})), "/view/blocks/0/elements/0/type"),
    ],
)
async def test_views_open_validates_like_slack(
    stub: SlackStandIn, client: AsyncWebClient, view: dict[str, Any], pointer: str
) -> None:
    trigger = stub.new_trigger_id(HR)
    failure = await slack_error(client.views_open(trigger_id=trigger, view=view))
    assert failure["error"] == "invalid_arguments"
    assert any(pointer in message for message in failure["response_metadata"]["messages"]), failure.data
    assert await client.views_open(trigger_id=trigger, view=modal()), "a rejected view does not spend the trigger"


async def test_views_update_by_id_or_external_id_guarded_by_hash(stub: SlackStandIn, client: AsyncWebClient) -> None:
    opened = await open_modal(stub, client, modal(external_id="req-42"))
    step2 = modal(title=plain("Step 2"))
    updated = (await client.views_update(view_id=opened["id"], hash=opened["hash"], view=step2))["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert updated["title"]["text"] == "Step 2" and stub.views[opened["id"]]["title"]["text"] == "Step 2"
    stale = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal())
    assert await error_of(stale) == "hash_conflict"
    by_external = await client.views_update(external_id="req-42", view=modal(title=plain("Step 3")))
    assert by_external["view"]["id"] == opened["id"]
    assert await error_of(client.views_update(view_id="V0GONE", view=modal())) == "not_found"


async def test_views_push_builds_a_stack_of_at_most_three(stub: SlackStandIn, client: AsyncWebClient) -> None:
    root = await open_modal(stub, client, modal())
    second = (await client.views_push(trigger_id=stub.new_trigger_id(HR, root["id"]), view=modal()))["view"]
    assert (second["root_view_id"], second["previous_view_id"]) == (root["id"], root["id"])
    third = (await client.views_push(trigger_id=stub.new_trigger_id(HR), view=modal()))["view"]
    assert (third["root_view_id"], third["previous_view_id"]) == (root["id"], second["id"])
    fourth = client.views_push(trigger_id=stub.new_trigger_id(HR, third["id"]), view=modal())
    assert await error_of(fourth) == "push_limit_reached"
    nothing_open = client.views_push(trigger_id=stub.new_trigger_id(NEWBIE), view=modal())
    assert await error_of(nothing_open) == "invalid_arguments"


async def test_users_info_is_a_get_with_query_params(stub: SlackStandIn, client: AsyncWebClient) -> None:
    user = (await client.users_info(user=HR))["user"]
    assert (user["id"], user["name"], user["real_name"]) == (HR, "hana", "Hana Reyes")
    assert user["deleted"] is False and user["is_bot"] is False
    assert user["tz"] == "America/New_York" and user["tz_offset"] in (-18000, -14400)
    assert user["profile"]["display_name"] == "hana" and user["profile"]["real_name"] == "Hana Reyes"
    assert (await client.users_info(user="U0GONE"))["user"]["deleted"] is True
    assert await error_of(client.users_info(user="U0NOBODY")) == "user_not_found"
    call = stub.calls_to("users.info")[0]
    assert (call.args, call.path) == ({"user": HR}, "/api/users.info")


async def test_rate_limit_fault_surfaces_as_429_with_retry_after(stub: SlackStandIn, client: AsyncWebClient) -> None:
    stub.fail_next("chat.postMessage", retry_after=7)
    failure = await slack_error(client.chat_postMessage(channel="C0GENERAL", text="x"))
    assert failure.status_code == 429 and failure.headers["Retry-After"] == "7"
    assert failure.data == {"ok": False, "error": "ratelimited"}
    assert (await client.chat_postMessage(channel="C0GENERAL", text="x"))["ok"], "only the next call fails"
    assert [call.status for call in stub.calls_to("chat.postMessage")] == [429, 200]


async def test_generic_fault_is_ok_false_with_http_200(stub: SlackStandIn, client: AsyncWebClient) -> None:
    stub.fail_next("chat.postMessage", error="channel_not_found", times=2)
    for _ in range(2):
        failure = await slack_error(client.chat_postMessage(channel="C0GENERAL", text="x"))
        assert (failure.status_code, failure["error"]) == (200, "channel_not_found")
    assert (await client.chat_postMessage(channel="C0GENERAL", text="x"))["ok"]


async def test_latency_delays_the_answer(stub: SlackStandIn, client: AsyncWebClient) -> None:
    stub.set_latency("auth.test", 0.2)
    started = time.monotonic()
    await client.auth_test()
    assert time.monotonic() - started >= 0.2
    assert stub.calls[0].at <= started + 0.1, "calls are stamped on arrival"


async def test_clear_faults_ends_the_outage(stub: SlackStandIn, client: AsyncWebClient) -> None:
    stub.fail_next("auth.test", times=5)
    stub.set_latency("auth.test", 5)
    stub.clear_faults()
    assert (await asyncio.wait_for(client.auth_test(), 1))["ok"]


async def test_response_url_posts_are_recorded(stub: SlackStandIn) -> None:
    url = stub.new_response_url("C0GENERAL", None, HR)
    assert url.startswith(f"{stub.base_url}response/")
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"text": "Working on it"}) as response:
            assert (response.status, await response.json()) == (200, {"ok": True})
        async with http.post(f"{stub.base_url}response/forged", json={"text": "x"}) as unknown:
            assert unknown.status == 404
    assert [(call.method, call.args, call.status) for call in stub.calls] == [
        ("response_url", {"text": "Working on it"}, 200),
        ("response_url", {"text": "x"}, 404),
    ]
    assert stub.messages("C0GENERAL") == [], "ephemeral replies leave no history"
    assert [m["text"] for m in stub.ephemerals(HR)] == ["Working on it"] and stub.ephemerals(NEWBIE) == []


async def test_response_url_replaces_deletes_or_posts_in_channel(stub: SlackStandIn, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C0GENERAL", text="Approve?", blocks=[actions(button("ok", "r1"))])
    on_message = stub.new_response_url("C0GENERAL", posted["ts"])
    async with aiohttp.ClientSession() as http:
        await http.post(on_message, json={"replace_original": True, "text": "Approved"})
        [replaced] = stub.messages("C0GENERAL")
        assert (replaced["ts"], replaced["text"], "blocks" in replaced) == (posted["ts"], "Approved", False)
        await http.post(stub.new_response_url("C0GENERAL"), json={"response_type": "in_channel", "text": "FYI"})
        await http.post(on_message, json={"delete_original": True})
    assert [message["text"] for message in stub.messages("C0GENERAL")] == ["FYI"]


async def test_wait_for_wakes_on_the_matching_call(stub: SlackStandIn, client: AsyncWebClient) -> None:
    waiter = asyncio.create_task(stub.wait_for("chat.postMessage", lambda call: call.args["text"] == "second"))
    await client.chat_postMessage(channel="C0GENERAL", text="first")
    await asyncio.sleep(0)
    assert not waiter.done()
    await client.chat_postMessage(channel="C0GENERAL", text="second")
    [call] = await asyncio.wait_for(waiter, 1)
    assert isinstance(call, RecordedCall) and call.response["ok"]
    assert len(await stub.wait_for("chat.postMessage", count=2, timeout=0.1)) == 2, "earlier calls count"
    with pytest.raises(TimeoutError, match="chat.update"):
        await stub.wait_for("chat.update", timeout=0.05)
    stub.clear_calls()
    assert stub.calls == [] and len(stub.messages("C0GENERAL")) == 2


# --- conversations.history, message metadata and faults after the effect --------------------------


def job_metadata(key: str) -> dict[str, Any]:
    """The metadata the bot puts on its posts to find them again after a retry."""
    return {"event_type": "selfserve_job", "event_payload": {"job": key}}


async def post_texts(client: AsyncWebClient, channel: str, *texts: str) -> list[str]:
    """Post each text as the bot; returns their ts, oldest first."""
    return [str((await client.chat_postMessage(channel=channel, text=text))["ts"]) for text in texts]


async def test_history_lists_newest_first_in_cursor_pages(stub: SlackStandIn, client: AsyncWebClient) -> None:
    dm = stub.dm_channel(HR)
    await post_texts(client, HR, "one", "two", "three")
    stub.post_user_message(dm, HR, "four (from hana)")
    await post_texts(client, dm, "five")
    first = await client.conversations_history(channel=dm, limit=2)
    assert [m["text"] for m in first["messages"]] == ["five", "four (from hana)"]
    assert first["has_more"] is True and first["response_metadata"]["next_cursor"]
    second = await client.conversations_history(channel=dm, limit=2, cursor=first["response_metadata"]["next_cursor"])
    assert [m["text"] for m in second["messages"]] == ["three", "two"]
    last = await client.conversations_history(channel=dm, limit=2, cursor=second["response_metadata"]["next_cursor"])
    assert [m["text"] for m in last["messages"]] == ["one"]
    assert last["has_more"] is False and "response_metadata" not in last, "the last page has no cursor"
    pager = await client.conversations_history(channel=dm, limit=2)
    paged = [[m["text"] for m in page["messages"]] async for page in pager]
    assert paged == [["five", "four (from hana)"], ["three", "two"], ["one"]], "slack_sdk's own paging follows along"
    whole = await client.conversations_history(channel=dm)
    assert len(whole["messages"]) == 5 and whole["has_more"] is False
    assert [call.args.get("limit") for call in stub.calls_to("conversations.history")] == ["2"] * 6 + [None]


async def test_history_time_range(stub: SlackStandIn, client: AsyncWebClient) -> None:
    one, two, three, four = await post_texts(client, HR, "one", "two", "three", "four")
    dm = stub.dm_channel(HR)

    async def texts(**bounds: Any) -> list[str]:
        return [m["text"] for m in (await client.conversations_history(channel=dm, **bounds))["messages"]]

    assert await texts(oldest=two) == ["four", "three"], "oldest itself is left out"
    assert await texts(oldest=two, inclusive=True) == ["four", "three", "two"]
    assert await texts(latest=three) == ["two", "one"]
    assert await texts(oldest=one, latest=four, inclusive=True) == ["four", "three", "two", "one"]
    assert await texts(oldest=str(float(four) + 1)) == []
    assert await texts(oldest=str(int(float(one)) - 1)) == ["four", "three", "two", "one"], "whole seconds work too"
    await client.chat_postMessage(channel=dm, text="a reply", thread_ts=one)
    assert "a reply" not in await texts(), "thread replies are not part of the channel's history"


async def test_history_shows_metadata_only_when_asked(stub: SlackStandIn, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel=HR, text="Approve REQ-1?", metadata=job_metadata("REQ-1:dm:U0HR1"))
    assert posted["message"]["metadata"] == job_metadata("REQ-1:dm:U0HR1"), "the answer's message carries it"
    form = await client.api_call(
        "chat.postMessage",
        data={"channel": posted["channel"], "text": "Approve REQ-2?", "metadata": json.dumps(job_metadata("REQ-2"))},
    )
    assert form["message"]["metadata"] == job_metadata("REQ-2"), "a JSON string (form or GET) is accepted too"
    stub.post_user_message(posted["channel"], HR, "ok")
    plain_history = await client.conversations_history(channel=posted["channel"])
    assert [("metadata" in m) for m in plain_history["messages"]] == [False, False, False]
    full = await client.conversations_history(channel=posted["channel"], include_all_metadata=True)
    listed = [m.get("metadata") for m in full["messages"]]
    assert listed == [None, job_metadata("REQ-2"), job_metadata("REQ-1:dm:U0HR1")]
    assert full["messages"][2]["ts"] == posted["ts"] and full["messages"][2]["bot_id"] == "B0BOT"
    assert stub.message(posted["channel"], posted["ts"])["metadata"] == job_metadata("REQ-1:dm:U0HR1")


async def test_post_message_checks_metadata_like_slack(stub: SlackStandIn, client: AsyncWebClient) -> None:
    def post(metadata: Any) -> Awaitable[AsyncSlackResponse]:
        return client.api_call("chat.postMessage", json={"channel": HR, "text": "x", "metadata": metadata})

    assert await error_of(post("{not json")) == "invalid_metadata_format"
    assert await error_of(post(["selfserve_job"])) == "invalid_metadata_format"
    assert await error_of(post({"event_payload": {"job": "k"}})) == "invalid_metadata_schema"
    assert await error_of(post({"event_type": "", "event_payload": {"job": "k"}})) == "invalid_metadata_schema"
    assert await error_of(post({"event_type": 7, "event_payload": {"job": "k"}})) == "invalid_metadata_schema"
    assert await error_of(post({"event_type": "selfserve_job", "event_payload": "k"})) == "invalid_metadata_schema"
    assert await error_of(post({"event_type": "selfserve_job"})) == "invalid_metadata_schema"
    assert stub.messages(HR) == []
    assert "metadata" not in (await post({}))["message"], "an empty object means no metadata"


async def test_chat_update_keeps_replaces_or_removes_metadata(stub: SlackStandIn, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel=HR, text="Pending", metadata=job_metadata("k1"))
    kept = await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="Still pending")
    assert kept["message"]["metadata"] == job_metadata("k1"), "left out, the old metadata stays"
    await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="Moved", metadata=job_metadata("k2"))
    assert stub.message(posted["channel"], posted["ts"])["metadata"] == job_metadata("k2")
    bad = client.chat_update(channel=posted["channel"], ts=posted["ts"], text="x", metadata={"event_type": "t"})
    assert await error_of(bad) == "invalid_metadata_schema"
    await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="Done", metadata={})
    assert "metadata" not in stub.message(posted["channel"], posted["ts"]), "an empty object removes it"


async def test_history_errors(stub: SlackStandIn, client: AsyncWebClient) -> None:
    dm = stub.dm_channel(HR)
    assert await error_of(client.conversations_history(channel="D0NOTOPEN")) == "channel_not_found"
    assert await error_of(client.conversations_history(channel=HR)) == "channel_not_found", "a user id is no channel"
    assert await error_of(client.api_call("conversations.history", params={})) == "channel_not_found"
    assert await error_of(client.conversations_history(channel="C0ELSEWHERE")) == "not_in_channel"
    stub.add_bot_to_channel("C0ELSEWHERE")
    assert (await client.conversations_history(channel="C0ELSEWHERE"))["messages"] == []
    await client.chat_postMessage(channel="C0GENERAL", text="posting there means the bot is in it")
    assert len((await client.conversations_history(channel="C0GENERAL"))["messages"]) == 1
    group = (await client.conversations_open(users=[HR, NEWBIE]))["channel"]["id"]
    assert (await client.conversations_history(channel=group))["messages"] == []
    assert await error_of(client.conversations_history(channel=dm, cursor="garbage!")) == "invalid_cursor"
    forged = base64.b64encode(b"next_page:2").decode()
    assert await error_of(client.conversations_history(channel=dm, cursor=forged)) == "invalid_cursor"
    for limit in ("many", "0", "-5", "2.5"):
        bad_limit = client.api_call("conversations.history", http_verb="GET", params={"channel": dm, "limit": limit})
        assert await error_of(bad_limit) == "invalid_limit", limit
    assert await error_of(client.conversations_history(channel=dm, oldest="yesterday")) == "invalid_ts_oldest"
    assert await error_of(client.conversations_history(channel=dm, latest="soon")) == "invalid_ts_latest"
    assert (await client.conversations_history(channel=dm, limit=5000))["ok"], "over 999 is served as 999"


async def test_applied_fault_stores_the_post_once_and_answers_the_error(
    stub: SlackStandIn, client: AsyncWebClient
) -> None:
    stub.fail_next("chat.postMessage", "internal_error", 500, applied=True)
    failure = await slack_error(client.chat_postMessage(channel=HR, text="Approve?", metadata=job_metadata("k1")))
    assert (failure.status_code, failure.data) == (500, {"ok": False, "error": "internal_error"})
    [stored] = stub.messages(HR)
    [call] = stub.calls_to("chat.postMessage")
    assert (call.status, call.response, call.ok) == (500, {"ok": False, "error": "internal_error"}, False)
    assert call.applied_response is not None and call.applied_response["ts"] == stored["ts"]
    # What the bot does on retry: find its post by the job key and update it instead of posting again.
    history = await client.conversations_history(channel=stored["channel"], limit=20, include_all_metadata=True)
    [found] = [m for m in history["messages"] if m.get("metadata", {}).get("event_payload", {}).get("job") == "k1"]
    await client.chat_update(channel=stored["channel"], ts=found["ts"], text="Approve? (retried)")
    assert [m["text"] for m in stub.messages(HR)] == ["Approve? (retried)"]
    assert (await client.chat_postMessage(channel=HR, text="next"))["ok"], "only the next call fails"


async def test_applied_fault_on_a_call_that_fails_anyway(stub: SlackStandIn, client: AsyncWebClient) -> None:
    stub.fail_next("chat.postMessage", "internal_error", 500, times=1, applied=True)
    assert await error_of(client.chat_postMessage(channel="D0NOTOPEN", text="x")) == "channel_not_found"
    assert stub.calls_to("chat.postMessage")[0].applied_response is None
    assert (await client.chat_postMessage(channel=HR, text="x"))["ok"], "the fault was spent all the same"
    stub.fail_next("chat.update", "ratelimited", applied=True)
    posted = await client.chat_postMessage(channel=HR, text="Pending")
    limited = await slack_error(client.chat_update(channel=posted["channel"], ts=posted["ts"], text="Approved"))
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "1")
    assert stub.message(posted["channel"], posted["ts"])["text"] == "Approved", "the update took effect"


async def test_dropped_connection_with_and_without_the_effect(stub: SlackStandIn, client: AsyncWebClient) -> None:
    stub.drop_next("chat.postMessage")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client.chat_postMessage(channel=HR, text="lost")
    assert stub.messages(HR) == []
    stub.drop_next("chat.postMessage", applied=True)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client.chat_postMessage(channel=HR, text="stored, answer lost")
    assert [m["text"] for m in stub.messages(HR)] == ["stored, answer lost"]
    assert [(call.status, call.response) for call in stub.calls_to("chat.postMessage")] == [(0, {}), (0, {})]
    assert stub.calls_to("chat.postMessage")[1].applied_response is not None
    # slack_sdk's default retry handler (without its back-off): one blind retry on a disconnect
    retry_at_once = AsyncConnectionErrorRetryHandler(interval_calculator=FixedValueRetryIntervalCalculator(0.0))
    retrying = AsyncWebClient(token=TOKEN, base_url=stub.api_url, retry_handlers=[retry_at_once])
    stub.drop_next("chat.postMessage", applied=True)
    assert (await retrying.chat_postMessage(channel=HR, text="twice"))["ok"]
    assert [m["text"] for m in stub.messages(HR)][-2:] == ["twice", "twice"], "the blind retry posted a duplicate"


async def test_calls_record_arrival_on_both_clocks(stub: SlackStandIn, client: AsyncWebClient) -> None:
    stub.set_latency("chat.postMessage", 0.2)
    before_mono, before_wall = time.monotonic(), time.time()
    await client.chat_postMessage(channel=HR, text="x")
    [call] = stub.calls
    assert before_mono <= call.at <= before_mono + 0.1, "stamped on arrival, before the added latency"
    assert before_wall <= call.wall <= before_wall + 0.1
    assert abs((call.wall - call.at) - (before_wall - before_mono)) < 0.05, "the same instant on both clocks"


# --- the Slack side: signed requests to an app ----------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: str
    signature_ok: bool

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body, keep_blank_values=True))

    @property
    def payload(self) -> dict[str, Any]:
        return dict(json.loads(self.form["payload"]))


@dataclass
class FakeApp:
    """The bot's request URL, reduced to what Bolt does first: verify Slack's signature, then ack."""

    url: str = ""
    ack: Any = None
    received: list[Received] = field(default_factory=list)
    react: Callable[[dict[str, Any]], Awaitable[None]] | None = None
    """Run on each interaction payload before the ack, as a handler calling the Web API first would."""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        valid = SignatureVerifier(SECRET).is_valid_request(body, dict(request.headers))
        received = Received(dict(request.headers), body, valid)
        self.received.append(received)
        if not valid:
            return web.Response(status=401)
        if self.react is not None and "payload" in received.form:
            await self.react(received.payload)
        return web.Response() if self.ack is None else web.json_response(self.ack)


@dataclass
class Rig:
    """Everything a Slack-side test touches: the stand-in, the bot's Web API client, Slack, and the app."""

    stub: SlackStandIn
    client: AsyncWebClient
    slack: SlackClientSim
    app: FakeApp

    async def open_modal(self, view: dict[str, Any]) -> dict[str, Any]:
        return await open_modal(self.stub, self.client, view)


@pytest.fixture
async def rig(stub: SlackStandIn, client: AsyncWebClient) -> AsyncIterator[Rig]:
    fake = FakeApp()
    application = web.Application()
    application.router.add_post("/slack/events", fake.handle)
    runner = web.AppRunner(application)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    fake.url = f"http://{host}:{port}/slack/events"
    async with SlackClientSim(app_url=fake.url, signing_secret=SECRET, stub=stub) as sim:
        yield Rig(stub, client, sim, fake)
    await runner.cleanup()


async def test_slash_command_is_a_signed_form(rig: Rig) -> None:
    response = await rig.slack.slash_command(user_id=HR, command="/selfserve", text="new-employee")
    assert response.status == 200 and response.text == "" and response.json() is None and response.elapsed > 0
    [request] = rig.app.received
    assert request.signature_ok and request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = request.form
    assert set(form) == {
        "token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name", "command",
        "text", "api_app_id", "is_enterprise_install", "response_url", "trigger_id",
    }
    assert (form["user_id"], form["user_name"], form["command"]) == (HR, "hana", "/selfserve")
    assert (form["text"], form["team_id"], form["api_app_id"]) == ("new-employee", "T0TEAM", "A0APP")
    assert form["channel_id"] == "C0GENERAL"
    view = (await rig.client.views_open(trigger_id=form["trigger_id"], view=modal()))["view"]
    assert rig.stub.view_user(view["id"]) == HR, "the trigger belongs to the user who typed the command"
    async with rig.slack.session.post(form["response_url"], json={"response_type": "in_channel", "text": "On it"}) as r:
        assert r.status == 200
    assert rig.stub.messages("C0GENERAL")[0]["text"] == "On it"


async def test_slash_command_ack_is_shown_and_its_buttons_clickable(rig: Rig) -> None:
    picker = {"type": "section", "text": plain("Forms"), "accessory": button("open_form", "new-employee")}
    rig.app.ack = {"response_type": "ephemeral", "text": "Pick a form", "blocks": [picker]}
    response = await rig.slack.slash_command(user_id=HR, command="/selfserve", text="help")
    [shown] = rig.stub.ephemerals(HR)
    assert (shown["channel"], shown["text"]) == ("C0GENERAL", "Pick a form") and rig.stub.messages("C0GENERAL") == []
    held = {**response.json(), "channel": "C0GENERAL", "ts": "1700000000.000001"}
    with pytest.raises(LookupError, match="showed to"):
        await rig.slack.click(held, "open_form", NEWBIE)
    await rig.slack.click(held, "open_form", HR)
    payload = rig.app.received[-1].payload
    container = {"type": "message", "message_ts": shown["ts"], "channel_id": "C0GENERAL", "is_ephemeral": True}
    assert payload["container"] == container and "message" not in payload
    assert payload["actions"][0]["value"] == "new-employee"
    rig.app.ack = {"response_type": "in_channel", "text": "Everyone sees this"}
    await rig.slack.slash_command(user_id=HR, command="/selfserve", text="announce")
    assert [m["text"] for m in rig.stub.messages("C0GENERAL")] == ["Everyone sees this"]


async def test_send_raw_for_adversarial_requests(rig: Rig) -> None:
    slack = rig.slack
    assert (await slack.send_raw("command=%2Fselfserve")).status == 200
    assert (await slack.send_raw("command=%2Fselfserve", headers={"X-Slack-Signature": "v0=deadbeef"})).status == 401
    assert (await slack.send_raw("command=%2Fselfserve", timestamp=int(time.time()) - 600)).status == 401
    assert (await slack.send_raw(b"\x00garbage", sign=False)).status == 401
    assert "X-Slack-Signature" not in rig.app.received[-1].headers
    assert [request.signature_ok for request in rig.app.received] == [True, False, False, False]


def test_signature_headers_match_slacks_scheme() -> None:
    stamp = str(int(time.time()))
    headers = signature_headers(SECRET, "payload=%7B%7D", stamp)
    assert headers["X-Slack-Request-Timestamp"] == stamp
    assert SignatureVerifier(SECRET).is_valid("payload=%7B%7D", stamp, headers["X-Slack-Signature"])
    raw = b"payload=\xff\xfe"
    expected = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + raw, hashlib.sha256).hexdigest()
    assert signature_headers(SECRET, raw, stamp)["X-Slack-Signature"] == f"v0={expected}", "non-UTF-8 signed as-is"


def every_input_modal() -> dict[str, Any]:
    options = [{"text": plain("Engineering"), "value": "eng"}, {"text": plain("Finance"), "value": "fin"}]
    elements = {
        "full_name": {"type": "plain_text_input", "action_id": "name_input"},
        "email": {"type": "email_text_input", "action_id": "email"},
        "site": {"type": "url_text_input", "action_id": "site"},
        "salary": {"type": "number_input", "action_id": "salary", "is_decimal_allowed": False},
        "start_date": {"type": "datepicker", "action_id": "start"},
        "start_time": {"type": "timepicker", "action_id": "time"},
        "department": {"type": "static_select", "action_id": "dept", "options": options},
        "office": {"type": "radio_buttons", "action_id": "office", "options": options},
        "laptop": {"type": "checkboxes", "action_id": "kit", "options": options},
        "teams": {"type": "multi_static_select", "action_id": "teams", "options": options},
        "manager": {"type": "users_select", "action_id": "manager"},
        "buddies": {"type": "multi_users_select", "action_id": "buddies"},
        "notes": {"type": "plain_text_input", "action_id": "notes"},
        "backup_dept": {"type": "static_select", "action_id": "backup", "options": options},
    }
    blocks = [{"type": "input", "block_id": key, "label": plain(key), "element": e} for key, e in elements.items()]
    return modal(*blocks, callback_id="new_employee", private_metadata='{"request": 7}')


async def test_submit_view_builds_state_values_for_every_element(rig: Rig) -> None:
    view = await rig.open_modal(every_input_modal())
    values = {
        "name_input": "Ada", "email": "ada@example.com", "site": "https://example.com", "salary": 50000,
        "start_date": dt.date(2026, 12, 1), "start_time": dt.time(9, 30), "department": "Engineering",
        "office": "fin", "laptop": ["eng"], "teams": ["Engineering", "fin"], "manager": HR, "buddies": [NEWBIE],
    }
    await rig.slack.submit_view(view, user_id=HR, values=values)
    eng, fin = every_input_modal()["blocks"][6]["element"]["options"]
    assert rig.app.received[0].payload["view"]["state"]["values"] == {
        "full_name": {"name_input": {"type": "plain_text_input", "value": "Ada"}},
        "email": {"email": {"type": "email_text_input", "value": "ada@example.com"}},
        "site": {"site": {"type": "url_text_input", "value": "https://example.com"}},
        "salary": {"salary": {"type": "number_input", "value": "50000"}},
        "start_date": {"start": {"type": "datepicker", "selected_date": "2026-12-01"}},
        "start_time": {"time": {"type": "timepicker", "selected_time": "09:30"}},
        "department": {"dept": {"type": "static_select", "selected_option": eng}},
        "office": {"office": {"type": "radio_buttons", "selected_option": fin}},
        "laptop": {"kit": {"type": "checkboxes", "selected_options": [eng]}},
        "teams": {"teams": {"type": "multi_static_select", "selected_options": [eng, fin]}},
        "manager": {"manager": {"type": "users_select", "selected_user": HR}},
        "buddies": {"buddies": {"type": "multi_users_select", "selected_users": [NEWBIE]}},
        "notes": {"notes": {"type": "plain_text_input", "value": None}},
        "backup_dept": {"backup": {"type": "static_select", "selected_option": None}},
    }


async def test_submit_view_payload_matches_slacks(rig: Rig) -> None:
    view = await rig.open_modal(modal(text_input("full_name"), callback_id="new_employee", private_metadata="req-7"))
    response = await rig.slack.submit_view(view, user_id=HR, values={"full_name": "Ada"})
    assert response.status == 200 and rig.app.received[0].signature_ok
    payload = rig.app.received[0].payload
    assert set(payload) == {
        "type", "team", "user", "api_app_id", "token", "trigger_id", "view", "response_urls",
        "is_enterprise_install", "enterprise",
    }
    assert (payload["type"], payload["response_urls"], payload["api_app_id"]) == ("view_submission", [], "A0APP")
    assert payload["user"] == {"id": HR, "username": "hana", "name": "hana", "team_id": "T0TEAM"}
    kept = ("id", "hash", "callback_id", "private_metadata", "blocks")
    assert {key: payload["view"][key] for key in kept} == {key: view[key] for key in kept}
    assert rig.stub.views == {}, "an empty ack closes the modal"


async def test_submit_view_only_fills_what_the_modal_has(rig: Rig) -> None:
    view = await rig.open_modal(every_input_modal())
    with pytest.raises(LookupError, match="nickname"):
        await rig.slack.submit_view(view, user_id=HR, values={"nickname": "Ada"})
    with pytest.raises(ValueError, match="Marketing"):
        await rig.slack.submit_view(view, user_id=HR, values={"department": "Marketing"})
    with pytest.raises(LookupError, match="opened for"):
        await rig.slack.submit_view(view, user_id=NEWBIE, values={})
    with pytest.raises(LookupError, match="never opened"):
        await rig.slack.submit_view({**view, "id": "V0FORGED"}, user_id=HR, values={})
    assert rig.app.received == []


async def test_submission_ack_drives_the_modal(rig: Rig) -> None:
    view = await rig.open_modal(modal(text_input("start_date")))
    rig.app.ack = {"response_action": "errors", "errors": {"start_date": "Must be in the future"}}
    assert (await rig.slack.submit_view(view, HR, {"start_date": "2020-01-01"})).json() == rig.app.ack
    assert view["id"] in rig.stub.views, "errors keep the modal open"
    rig.app.ack = {"response_action": "update", "view": modal(text_input("start_date"), title=plain("Check again"))}
    await rig.slack.submit_view(view, HR, {"start_date": "2026-12-01"})
    assert rig.stub.views[view["id"]]["title"]["text"] == "Check again"
    rig.app.ack = {"response_action": "errors", "errors": {"no_such_block": "x"}}
    with pytest.raises(AssertionError, match="reject"):
        await rig.slack.submit_view(view, HR, {"start_date": "2026-12-01"})
    rig.app.ack = {"response_action": "clear"}
    await rig.slack.submit_view(view, HR, {"start_date": "2026-12-01"})
    assert rig.stub.views == {}


async def test_a_closed_modal_can_still_be_submitted_twice(rig: Rig) -> None:
    view = await rig.open_modal(modal(text_input("full_name")))
    first = await rig.slack.submit_view(view, HR, {"full_name": "Ada"})
    assert rig.stub.views == {}
    second = await rig.slack.submit_view(view, HR, {"full_name": "Ada"})
    assert first.status == second.status == 200, "a double-clicked Submit reaches the app twice"
    assert [request.payload["view"]["id"] for request in rig.app.received] == [view["id"], view["id"]]


async def test_click_sends_block_actions_for_the_posted_button(rig: Rig) -> None:
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Request 1"}, "accessory": button("approve", "r1")},
        actions(button("approve", "r2"), button("reject", "r2"), block_id="r2"),
    ]
    posted = await rig.client.chat_postMessage(channel=HR, text="Two requests", blocks=blocks)
    assert (await rig.slack.click(rig.stub.calls_to("chat.postMessage")[0], "approve", HR, value="r2")).status == 200
    payload = rig.app.received[0].payload
    assert {"type", "user", "api_app_id", "token", "container", "trigger_id", "team", "channel", "message",
            "state", "response_url", "actions"} <= set(payload)
    container = {"type": "message", "message_ts": posted["ts"], "channel_id": posted["channel"], "is_ephemeral": False}
    assert payload["container"] == container and payload["state"] == {"values": {}}
    assert payload["channel"]["id"] == posted["channel"] and payload["message"] == posted["message"]
    [action] = payload["actions"]
    assert {key: action[key] for key in ("action_id", "block_id", "value", "type", "text")} == {
        "action_id": "approve", "block_id": "r2", "value": "r2", "type": "button", "text": plain("Approve"),
    }
    assert TS_FORMAT.match(action["action_ts"])
    async with rig.slack.session.post(payload["response_url"], json={"replace_original": True, "text": "Approved r2"}):
        pass
    assert rig.stub.message(posted["channel"], posted["ts"])["text"] == "Approved r2"
    await rig.client.views_open(trigger_id=payload["trigger_id"], view=modal())


async def test_click_only_what_the_bot_shows(rig: Rig) -> None:
    blocks = [
        {"type": "section", "text": plain("Request 1"), "accessory": button("approve", "r1")},
        actions(button("approve", "r2")),
    ]
    posted = await rig.client.chat_postMessage(channel="C0GENERAL", text="Requests", blocks=blocks)
    message = rig.stub.messages("C0GENERAL")[0]
    with pytest.raises(LookupError, match="no element"):
        await rig.slack.click(message, "delete_everything", HR)
    with pytest.raises(LookupError, match="pass the value"):
        await rig.slack.click(message, "approve", HR)
    await rig.client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="Done", blocks=[])
    with pytest.raises(LookupError, match="no element"):
        await rig.slack.click(message, "approve", HR, value="r2")
    rig.stub.fail_next("chat.postMessage", error="channel_not_found")
    await slack_error(rig.client.chat_postMessage(channel="C0GENERAL", text="y", blocks=blocks))
    with pytest.raises(LookupError, match="channel_not_found"):
        await rig.slack.click(rig.stub.calls_to("chat.postMessage")[-1], "approve", HR, value="r1")
    assert rig.app.received == []


async def test_click_with_a_tampered_value(rig: Rig) -> None:
    await rig.client.chat_postMessage(channel=HR, text="Approve?", blocks=[actions(button("approve", "REQ-1"))])
    await rig.slack.click(rig.stub.messages(HR)[0], "approve", HR, value="REQ-999")
    assert rig.app.received[-1].payload["actions"][0]["value"] == "REQ-999", "a forged value on the only button"


async def test_click_in_a_modal(rig: Rig) -> None:
    options = [{"text": plain("Laptop"), "value": "laptop"}]
    select = {"type": "static_select", "action_id": "pick", "options": options}
    view = await rig.open_modal(modal(actions(button("add_item", "more"), select, block_id="kit")))
    await rig.slack.click(view, "add_item", HR)
    await rig.slack.click(rig.stub.calls_to("views.open")[0], "pick", HR, value="Laptop")
    clicked, picked = (request.payload for request in rig.app.received)
    assert clicked["container"] == {"type": "view", "view_id": view["id"]} and clicked["view"]["id"] == view["id"]
    assert "response_url" not in clicked and "message" not in clicked
    assert picked["actions"][0]["selected_option"] == options[0] and picked["actions"][0]["type"] == "static_select"
    pushed = await rig.client.views_push(trigger_id=clicked["trigger_id"], view=modal())
    assert pushed["view"]["root_view_id"] == view["id"]


async def test_click_an_ephemeral(rig: Rig) -> None:
    undo = [actions(button("u", "1"))]
    await rig.client.chat_postEphemeral(channel="C0GENERAL", user=HR, text="Only you", blocks=undo)
    call = rig.stub.calls_to("chat.postEphemeral")[0]
    with pytest.raises(LookupError, match="showed to"):
        await rig.slack.click(call, "u", NEWBIE)
    await rig.slack.click(call, "u", HR)
    payload = rig.app.received[0].payload
    assert payload["container"]["is_ephemeral"] is True
    assert payload["container"]["message_ts"] == call.response["message_ts"]
    assert "message" not in payload and payload["actions"][0]["value"] == "1"


async def test_close_view(rig: Rig) -> None:
    quiet = await rig.open_modal(modal())
    assert await rig.slack.close_view(quiet, HR) is None and rig.app.received == [], "Slack only tells apps that ask"
    noisy = await rig.open_modal(modal(notify_on_close=True, callback_id="new_employee"))
    response = await rig.slack.close_view(noisy, HR)
    assert response is not None and response.status == 200
    payload = rig.app.received[0].payload
    assert (payload["type"], payload["is_cleared"], payload["view"]["id"]) == ("view_closed", False, noisy["id"])
    assert rig.stub.views == {}
    with pytest.raises(LookupError, match="not open"):
        await rig.slack.close_view(noisy, HR)


# --- what a person enters in a modal: initial values, fill() and dispatch_action, views.update, suggest() --------

ENG, FIN = option("eng", "Engineering"), option("fin", "Finance")


def defaults_modal() -> dict[str, Any]:
    """Every input type the simulator models, each with its initial_* value, and one input without."""
    return modal(
        an_input("name", {"type": "plain_text_input", "initial_value": "Ada"}),
        an_input("email", {"type": "email_text_input", "initial_value": "ada@example.com"}),
        an_input("site", {"type": "url_text_input", "initial_value": "https://example.com"}),
        an_input("salary", {"type": "number_input", "is_decimal_allowed": False, "initial_value": "50000"}),
        an_input("start", {"type": "datepicker", "initial_date": "2026-12-01"}),
        an_input("slot", {"type": "timepicker", "initial_time": "09:30"}),
        an_input("meeting", {"type": "datetimepicker", "initial_date_time": 1797500000}),
        choice("dept", [ENG, FIN], initial_option=FIN),
        choice("teams", [ENG, FIN], "multi_static_select", initial_options=[ENG, FIN]),
        choice("kit", [ENG, FIN], "checkboxes", initial_options=[ENG]),
        choice("office", [ENG, FIN], "radio_buttons", initial_option=ENG),
        an_input("manager", {"type": "users_select", "initial_user": HR}),
        an_input("buddies", {"type": "multi_users_select", "initial_users": [NEWBIE, HR]}),
        an_input("room", {"type": "conversations_select", "initial_conversation": "C0GENERAL"}),
        an_input("rooms", {"type": "multi_conversations_select", "initial_conversations": ["C0GENERAL"]}),
        an_input("chan", {"type": "channels_select", "initial_channel": "C0GENERAL"}),
        an_input("chans", {"type": "multi_channels_select", "initial_channels": ["C0GENERAL", "C0RANDOM"]}),
        an_input("vendor", {"type": "external_select", "initial_option": option("acme")}),
        an_input("vendors", {"type": "multi_external_select", "initial_options": [option("acme")]}),
        an_input("notes", {"type": "plain_text_input"}),
    )


DEFAULTS = {
    "name": {"name": {"type": "plain_text_input", "value": "Ada"}},
    "email": {"email": {"type": "email_text_input", "value": "ada@example.com"}},
    "site": {"site": {"type": "url_text_input", "value": "https://example.com"}},
    "salary": {"salary": {"type": "number_input", "value": "50000"}},
    "start": {"start": {"type": "datepicker", "selected_date": "2026-12-01"}},
    "slot": {"slot": {"type": "timepicker", "selected_time": "09:30"}},
    "meeting": {"meeting": {"type": "datetimepicker", "selected_date_time": 1797500000}},
    "dept": {"dept": {"type": "static_select", "selected_option": FIN}},
    "teams": {"teams": {"type": "multi_static_select", "selected_options": [ENG, FIN]}},
    "kit": {"kit": {"type": "checkboxes", "selected_options": [ENG]}},
    "office": {"office": {"type": "radio_buttons", "selected_option": ENG}},
    "manager": {"manager": {"type": "users_select", "selected_user": HR}},
    "buddies": {"buddies": {"type": "multi_users_select", "selected_users": [NEWBIE, HR]}},
    "room": {"room": {"type": "conversations_select", "selected_conversation": "C0GENERAL"}},
    "rooms": {"rooms": {"type": "multi_conversations_select", "selected_conversations": ["C0GENERAL"]}},
    "chan": {"chan": {"type": "channels_select", "selected_channel": "C0GENERAL"}},
    "chans": {"chans": {"type": "multi_channels_select", "selected_channels": ["C0GENERAL", "C0RANDOM"]}},
    "vendor": {"vendor": {"type": "external_select", "selected_option": option("acme")}},
    "vendors": {"vendors": {"type": "multi_external_select", "selected_options": [option("acme")]}},
    "notes": {"notes": {"type": "plain_text_input", "value": None}},
}


def submitted_values(rig: Rig) -> dict[str, Any]:
    """state.values of the last payload the app received."""
    return dict(rig.app.received[-1].payload["view"]["state"]["values"])


async def test_inputs_start_at_their_initial_values_and_are_submitted_as_such(rig: Rig) -> None:
    view = await rig.open_modal(defaults_modal())
    assert rig.stub.view_values(view["id"]) == DEFAULTS
    await rig.slack.submit_view(view, HR)
    assert submitted_values(rig) == DEFAULTS, "inputs not named send what Slack's client shows: the initial values"
    view = await rig.open_modal(defaults_modal())
    changes: dict[str, Any] = {"name": None, "dept": None, "teams": [], "buddies": None, "vendors": [],
                               "start": dt.date(2027, 1, 4)}
    await rig.slack.submit_view(view, HR, changes)
    sent = submitted_values(rig)
    assert sent["name"]["name"]["value"] is None and sent["dept"]["dept"]["selected_option"] is None, "None clears"
    assert sent["teams"]["teams"]["selected_options"] == [] and sent["buddies"]["buddies"]["selected_users"] == []
    assert sent["vendors"]["vendors"]["selected_options"] == []
    assert sent["start"]["start"]["selected_date"] == "2027-01-04"
    assert {key: sent[key] for key in DEFAULTS if key not in changes} == {
        key: value for key, value in DEFAULTS.items() if key not in changes}


async def test_a_submission_answered_with_errors_keeps_what_was_entered(rig: Rig) -> None:
    view = await rig.open_modal(modal(an_input("start", {"type": "datepicker"}), text_input("name")))
    rig.app.ack = {"response_action": "errors", "errors": {"start": "Must be in the future"}}
    await rig.slack.submit_view(view, HR, {"start": "2020-01-01", "name": "Ada"})
    rig.app.ack = None
    await rig.slack.submit_view(view, HR, {"start": "2027-01-04"})
    assert submitted_values(rig) == {"start": {"start": {"type": "datepicker", "selected_date": "2027-01-04"}},
                                     "name": {"value": {"type": "plain_text_input", "value": "Ada"}}}


def dispatching(block: dict[str, Any]) -> dict[str, Any]:
    return {**block, "dispatch_action": True}


def kit_modal(*more: dict[str, Any]) -> dict[str, Any]:
    on_each_character = {"trigger_actions_on": ["on_character_entered"]}
    return modal(
        dispatching(choice("kind", [option("laptop"), option("phone")])),
        dispatching(an_input("cost_center", {"type": "plain_text_input"})),
        dispatching(an_input("search", {"type": "plain_text_input", "dispatch_action_config": on_each_character})),
        dispatching(choice("extras", [option("dock"), option("mouse")], "checkboxes")),
        text_input("notes"),
        actions(button("add_item", "more"), block_id="more"),
        *more,
    )


async def test_fill_sends_block_actions_for_inputs_that_dispatch(rig: Rig) -> None:
    view = await rig.open_modal(kit_modal())
    assert await rig.slack.fill(view, HR, {"notes": "hello"}) == [], "without dispatch_action Slack only keeps it"
    [picked] = await rig.slack.fill(view, HR, {"kind": "phone"})
    assert picked.status == 200
    payload = rig.app.received[-1].payload
    assert set(payload) == {"type", "team", "user", "api_app_id", "token", "is_enterprise_install", "enterprise",
                            "container", "trigger_id", "view", "actions"}
    assert payload["type"] == "block_actions" and payload["container"] == {"type": "view", "view_id": view["id"]}
    assert (payload["view"]["id"], payload["view"]["hash"]) == (view["id"], view["hash"])
    state = payload["view"]["state"]["values"]
    assert state["notes"] == {"value": {"type": "plain_text_input", "value": "hello"}}
    assert state["kind"] == {"kind": {"type": "static_select", "selected_option": option("phone")}}
    [action] = payload["actions"]
    assert {key: action[key] for key in ("type", "action_id", "block_id", "selected_option")} == {
        "type": "static_select", "action_id": "kind", "block_id": "kind", "selected_option": option("phone")}
    assert TS_FORMAT.match(action["action_ts"])
    await rig.client.views_push(trigger_id=payload["trigger_id"], view=modal())
    assert await rig.slack.fill(view, HR, {"kind": "Phone"}) == [], "picking what is picked already sends nothing"
    [ticked] = await rig.slack.fill(view, HR, {"extras": ["dock", "mouse"]})
    assert rig.app.received[-1].payload["actions"][0]["selected_options"] == [option("dock"), option("mouse")]


async def test_fill_of_text_inputs_follows_their_dispatch_action_config(rig: Rig) -> None:
    view = await rig.open_modal(kit_modal())
    assert await rig.slack.fill(view, HR, {"cost_center": "CC-1"}, press_enter=False) == [], "typed, no Enter yet"
    assert len(await rig.slack.fill(view, HR, {"cost_center": "CC-1"})) == 1, "Enter sends what is typed"
    action = rig.app.received[-1].payload["actions"][0]
    assert (action["type"], action["action_id"], action["value"]) == ("plain_text_input", "cost_center", "CC-1")
    assert len(await rig.slack.fill(view, HR, {"search": "lap"}, press_enter=False)) == 1, "on_character_entered"
    assert await rig.slack.fill(view, HR, {"cost_center": None}) == [], "Enter in an empty field sends nothing"
    assert rig.app.received[-1].payload["actions"][0]["value"] == "lap"
    await rig.slack.click(view, "add_item", HR)
    clicked = rig.app.received[-1].payload["view"]["state"]["values"]
    assert clicked["search"]["search"]["value"] == "lap", "a button in the modal carries what is entered, too"
    await rig.slack.submit_view(view, HR, {"notes": "bye"})
    submitted = submitted_values(rig)
    assert submitted["search"]["search"]["value"] == "lap" and submitted["notes"]["value"]["value"] == "bye"
    assert submitted["cost_center"]["cost_center"]["value"] is None
    with pytest.raises(LookupError, match="not open"):
        await rig.slack.fill(view, HR, {"notes": "after the modal closed"})


async def test_fill_only_what_the_modal_has(rig: Rig) -> None:
    view = await rig.open_modal(kit_modal())
    with pytest.raises(LookupError, match="nickname"):
        await rig.slack.fill(view, HR, {"nickname": "Ada"})
    with pytest.raises(ValueError, match="tablet"):
        await rig.slack.fill(view, HR, {"kind": "tablet"})
    with pytest.raises(LookupError, match="opened for"):
        await rig.slack.fill(view, NEWBIE, {"notes": "x"})
    assert rig.app.received == []


async def test_a_field_appears_when_the_dispatching_input_has_a_value(rig: Rig) -> None:
    def form(kind: str | None) -> dict[str, Any]:
        number = an_input("number", {"type": "plain_text_input", "initial_value": "+44"})
        return kit_modal(*([number] if kind == "phone" else []))

    async def redraw(payload: dict[str, Any]) -> None:
        if payload["type"] == "block_actions" and payload["actions"][0]["action_id"] == "kind":
            kind = payload["actions"][0]["selected_option"]["value"]
            shown = payload["view"]
            await rig.client.views_update(view_id=shown["id"], hash=shown["hash"], view=form(kind))

    rig.app.react = redraw
    view = await rig.open_modal(form(None))
    await rig.slack.fill(view, HR, {"notes": "Ada"})
    with pytest.raises(LookupError, match="number"):
        await rig.slack.fill(view, HR, {"number": "+44 20 7946 0000"})
    await rig.slack.fill(view, HR, {"kind": "phone", "number": "+44 20 7946 0000"})
    assert rig.stub.view_values(view["id"])["number"]["number"]["value"] == "+44 20 7946 0000"
    await rig.slack.fill(view, HR, {"kind": "laptop"})
    assert "number" not in rig.stub.view_values(view["id"]), "a removed input's entry is forgotten"
    await rig.slack.fill(view, HR, {"kind": "phone"})
    await rig.slack.submit_view(view, HR)
    submitted = submitted_values(rig)
    assert submitted["number"]["number"]["value"] == "+44", "shown again, it starts from its initial value"
    assert submitted["notes"]["value"]["value"] == "Ada", "the redraws kept what was typed"


async def test_views_update_keeps_entries_of_inputs_it_keeps(rig: Rig) -> None:
    kinds = [option("laptop"), option("phone")]
    view = await rig.open_modal(modal(text_input("name"), choice("kind", kinds), text_input("notes"),
                                      an_input("start", {"type": "datepicker"})))
    await rig.slack.fill(view, HR, {"name": "Ada", "kind": "phone", "notes": "old", "start": "2026-12-01"})
    step2 = modal(
        an_input("name", {"type": "plain_text_input", "action_id": "value", "initial_value": "ignored"}),
        choice("kind", kinds),
        text_input("notes", action_id="notes_v2"),
        an_input("start", {"type": "timepicker", "initial_time": "10:00"}),
        an_input("model", {"type": "plain_text_input", "initial_value": "Pixel"}),
    )
    await rig.client.views_update(view_id=view["id"], hash=view["hash"], view=step2)
    assert rig.stub.view_values(view["id"]) == {
        "name": {"value": {"type": "plain_text_input", "value": "Ada"}},
        "kind": {"kind": {"type": "static_select", "selected_option": option("phone")}},
        "notes": {"notes_v2": {"type": "plain_text_input", "value": None}},
        "start": {"start": {"type": "timepicker", "selected_time": "10:00"}},
        "model": {"model": {"type": "plain_text_input", "value": "Pixel"}},
    }
    stale = rig.client.views_update(view_id=view["id"], hash=view["hash"], view=modal(choice("kind", kinds)))
    assert await error_of(stale) == "hash_conflict"
    assert "model" in rig.stub.view_values(view["id"]), "a refused update changes nothing"
    await rig.client.views_update(view_id=view["id"], view=modal(choice("kind", [option("laptop")])))
    assert rig.stub.view_values(view["id"]) == {"kind": {"kind": {"type": "static_select", "selected_option": None}}}
    await rig.slack.fill(view, HR, {"kind": "laptop"})
    rig.app.ack = {"response_action": "update", "view": modal(choice("kind", kinds), text_input("why"))}
    await rig.slack.submit_view(view, HR)
    assert rig.stub.view_values(view["id"])["kind"]["kind"]["selected_option"] == option("laptop")


def vendor_modal() -> dict[str, Any]:
    return modal(
        an_input("name", {"type": "plain_text_input", "initial_value": "Ada"}),
        an_input("vendor", {"type": "external_select", "min_query_length": 2}),
        an_input("vendors", {"type": "multi_external_select"}),
    )


async def test_external_selects_offer_what_block_suggestion_answered(rig: Rig) -> None:
    view = await rig.open_modal(vendor_modal())
    acme, acorn = option("acme", "Acme Ltd"), option("acorn", "Acorn plc")
    rig.app.ack = {"options": [acme, acorn]}
    assert await rig.slack.suggest(view, "vendor", HR, "ac") == [acme, acorn]
    payload = rig.app.received[-1].payload
    assert set(payload) == {"type", "team", "user", "api_app_id", "token", "is_enterprise_install", "enterprise",
                            "container", "action_id", "block_id", "value", "view"}
    assert (payload["type"], payload["action_id"], payload["block_id"], payload["value"]) == (
        "block_suggestion", "vendor", "vendor", "ac")
    assert payload["container"] == {"type": "view", "view_id": view["id"]} and payload["user"]["id"] == HR
    assert payload["view"]["state"]["values"]["name"]["name"]["value"] == "Ada"
    with pytest.raises(ValueError, match="Globex"):
        await rig.slack.fill(view, HR, {"vendor": "Globex"})
    await rig.slack.fill(view, HR, {"vendor": "Acorn plc"})
    with pytest.raises(ValueError, match="min_query_length"):
        await rig.slack.suggest(view, "vendor", HR, "a")
    with pytest.raises(ValueError, match="min_query_length"):
        await rig.slack.suggest(view, "vendors", HR, "ac")  # 3 characters unless the element says otherwise
    with pytest.raises(ValueError, match="suggest"):
        await rig.slack.fill(view, HR, {"vendors": ["acme"]})
    with pytest.raises(LookupError, match="not an external select"):
        await rig.slack.suggest(view, "name", HR, "abc")
    await rig.slack.suggest(view, "vendors", HR, "acm")
    await rig.slack.fill(view, HR, {"vendors": ["acme"]})
    rig.app.ack = {"option_groups": [{"label": plain("UK"), "options": [option("globex")]}]}
    assert await rig.slack.suggest(view, "vendors", HR, "glo") == [option("globex")], "groups are flattened"
    await rig.slack.fill(view, HR, {"vendors": ["acme", "globex"]})  # what is selected stays selectable
    rig.app.ack = None
    await rig.slack.submit_view(view, HR)
    submitted = submitted_values(rig)
    assert submitted["vendor"] == {"vendor": {"type": "external_select", "selected_option": acorn}}
    assert submitted["vendors"]["vendors"]["selected_options"] == [acme, option("globex")]


@pytest.mark.parametrize(
    ("answer", "refusal"),
    [
        ({"options": options(101)}, f"{TOO_MANY % 100}:/options]"),
        ({"options": [option("acme", "A" * 76)]}, "/options/0/text/text"),
        ({"options": [option("v" * 151)]}, "/options/0/value"),
        ({"options": [{"text": {"type": "mrkdwn", "text": "*Acme*"}, "value": "acme"}]}, "/options/0/text"),
        ({"option_groups": [{"label": plain("UK"), "options": options(101)}]}, "/option_groups/0/options"),
        ({"option_groups": [GROUP] * 101}, f"{TOO_MANY % 100}:/option_groups]"),
        ({"options": [], "option_groups": []}, "either options or option_groups"),
        ({"choices": []}, "either options or option_groups"),
    ],
)
async def test_suggest_refuses_answers_slack_would_not_show(rig: Rig, answer: dict[str, Any], refusal: str) -> None:
    view = await rig.open_modal(vendor_modal())
    rig.app.ack = answer
    with pytest.raises(AssertionError, match=re.escape(refusal)):
        await rig.slack.suggest(view, "vendor", HR, "acme")
    rig.app.ack = None
    with pytest.raises(AssertionError, match="refuse"):
        await rig.slack.suggest(view, "vendor", HR, "acme")  # an empty ack shows nothing
