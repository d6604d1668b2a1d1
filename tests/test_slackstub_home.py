"""The stand-in's App Home and shortcut support: views.publish as Slack checks it, the
app_home_opened event and the global shortcut as Slack sends them, and clicks in a Home tab."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slackstub import SlackStandIn
from tests import test_slackstub
from tests.test_slackstub import HR, NEWBIE, Rig, actions, button, modal, plain

stub, client, rig = test_slackstub.stub, test_slackstub.client, test_slackstub.rig  # the same fixtures


def home_view(*blocks: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "home", "blocks": list(blocks) or [{"type": "section", "text": plain("Hello")}], **extra}


async def publish_error(client: AsyncWebClient, **args: Any) -> str:
    with pytest.raises(SlackApiError) as failure:
        await client.views_publish(**args)
    return str(failure.value.response["error"])


async def test_views_publish_keeps_one_home_view_per_member(stub: SlackStandIn, client: AsyncWebClient) -> None:
    first = (await client.views_publish(user_id=HR, view=home_view()))["view"]
    assert (first["type"], first["root_view_id"], first["app_id"]) == ("home", first["id"], "A0APP")
    second = (await client.views_publish(user_id=HR, view=home_view(), hash=first["hash"]))["view"]
    assert second["id"] == first["id"] and second["hash"] != first["hash"]
    assert await publish_error(client, user_id=HR, view=home_view(), hash=first["hash"]) == "hash_conflict"
    assert stub.home(HR) == second and stub.home(NEWBIE) is None
    other = (await client.views_publish(user_id=NEWBIE, view=home_view()))["view"]
    assert other["id"] != first["id"] and stub.home_by_id(other["id"]) == (NEWBIE, other)


async def test_views_publish_is_checked_like_slack_does(client: AsyncWebClient) -> None:
    assert await publish_error(client, user_id="U0NOBODY", view=home_view()) == "user_not_found"
    for wrong in (modal(), home_view(title=plain("Home")), {**home_view(), "blocks": [{"type": "section"}] * 101}):
        assert await publish_error(client, user_id=HR, view=wrong) == "invalid_arguments"


async def test_app_home_opened_is_a_signed_event_carrying_the_published_view(rig: Rig) -> None:
    response = await rig.slack.app_home_opened(HR)
    assert response.status == 200
    [request] = rig.app.received
    assert request.signature_ok and request.headers["Content-Type"] == "application/json"
    body = json.loads(request.body)
    assert (body["type"], body["team_id"], body["api_app_id"]) == ("event_callback", "T0TEAM", "A0APP")
    event = body["event"]
    assert (event["type"], event["user"], event["tab"]) == ("app_home_opened", HR, "home")
    assert event["channel"] == rig.stub.dm_channel(HR) and "view" not in event
    published = (await rig.client.views_publish(user_id=HR, view=home_view()))["view"]
    await rig.slack.app_home_opened(HR, tab="messages")
    event = json.loads(rig.app.received[-1].body)["event"]
    assert event["tab"] == "messages" and event["view"]["id"] == published["id"]


async def test_home_tab_buttons_are_clicked_like_modal_ones_and_only_by_their_member(rig: Rig) -> None:
    await rig.client.views_publish(user_id=HR, view=home_view(actions(button("go", "REQ-1"))))
    home = rig.stub.home(HR)
    assert home is not None
    with pytest.raises(LookupError, match="Home tab"):
        await rig.slack.click(home, "go", NEWBIE)
    await rig.slack.click(home, "go", HR)
    payload = rig.app.received[-1].payload
    assert payload["container"] == {"type": "view", "view_id": home["id"]} and payload["view"]["type"] == "home"
    assert "response_url" not in payload and payload["actions"][0]["value"] == "REQ-1"
    opened = (await rig.client.views_open(trigger_id=payload["trigger_id"], view=modal()))["view"]
    assert rig.stub.view_user(opened["id"]) == HR


async def test_a_global_shortcut_carries_a_trigger_for_its_user(rig: Rig) -> None:
    await rig.slack.shortcut("selfserve.shortcut", HR)
    payload = rig.app.received[-1].payload
    assert (payload["type"], payload["callback_id"], payload["user"]["id"]) == ("shortcut", "selfserve.shortcut", HR)
    assert "response_url" not in payload and "channel" not in payload
    opened = (await rig.client.views_open(trigger_id=payload["trigger_id"], view=modal()))["view"]
    assert rig.stub.view_user(opened["id"]) == HR
