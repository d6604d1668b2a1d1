"""Escalations end to end through the Slack stand-in: Get help, the support channel's buttons, the
relayed conversation, ``/selfserve escalate | help-me | queue``, a stuck request, and the Events API's
retries, bot posts and strangers' threads."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.catalog import parse_catalog
from tests.clock import TestClock
from tests.conftest import E2E_CATALOG
from tests.harness import Harness
from tests.test_e2e_approval_flow import GOOD, approval_dm
from tests.test_e2e_service_levels import MONDAY_9, SLA_CATALOG, move, submit
from tests.test_e2e_tracking import command, told

SUPPORT = "C0SUPPORT"


def support_post(harness: Harness, n: int = 0) -> dict[str, Any]:
    """The n-th escalation message in the support channel, as it looks now (thread replies left out)."""
    return [m for m in harness.stub.messages(SUPPORT) if m.get("thread_ts") in (None, m["ts"])][n]


def thread(harness: Harness, channel: str, ts: str) -> list[dict[str, Any]]:
    return [m for m in harness.stub.messages(channel) if m.get("thread_ts") == ts and m["ts"] != ts]


def requester_root(harness: Harness, user_id: str) -> dict[str, Any]:
    return next(m for m in harness.dms(user_id) if ":sos:" in m.get("text", ""))


def shown(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False) + str(message.get("text", ""))


async def get_help(harness: Harness) -> dict[str, Any]:
    """U0HR1 submits a request and clicks Get help on its receipt; the support channel's message."""
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    receipt = harness.dms("U0HR1")[0]
    assert (await harness.slack.click(receipt, "selfserve.escalate", user_id="U0HR1")).status == 200
    await harness.settle()
    assert "Support has it now: *ESC-1*" in await told(harness, "U0HR1")
    return support_post(harness)


async def test_get_help_to_resolved_with_the_conversation_relayed_both_ways(harness: Harness) -> None:
    posted = await get_help(harness)
    text = shown(posted)
    assert "*ESC-1* · <@U0HR1> needs help with *REQ-1* · Onboard a new employee" in text
    assert "Why: asked for help" in text and "waiting" in text and "Ada Lovelace" in text  # the form's answers
    assert ":rotating_light: *Open*" in text
    assert [e["action_id"] for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"]] == [
        "selfserve.escalation.claim", "selfserve.escalation.resolve", "selfserve.escalation.reassign"]
    root = requester_root(harness, "U0HR1")
    assert "Reply in this thread" in root["text"]

    await harness.slack.click(posted, "selfserve.escalation.claim", user_id="U0SUP1")
    await harness.settle()
    assert ":raising_hand: *Claimed* by <@U0SUP1>" in shown(support_post(harness))
    assert "picked it up" in thread(harness, root["channel"], root["ts"])[-1]["text"]

    await harness.slack.post_message("U0SUP1", SUPPORT, "Which laptop model?", thread_ts=posted["ts"])
    await harness.settle()
    reply = thread(harness, root["channel"], root["ts"])[-1]
    assert reply["text"] == "<@U0SUP1> (support) wrote:\n>Which laptop model?"
    await harness.slack.post_message("U0HR1", root["channel"], "The 14 inch one", thread_ts=root["ts"])
    await harness.settle()
    assert thread(harness, SUPPORT, posted["ts"])[-1]["text"] == "<@U0HR1> (requester) wrote:\n>The 14 inch one"

    await harness.slack.click(support_post(harness), "selfserve.escalation.resolve", user_id="U0SUP1")
    form = (await harness.stub.wait_for("views.open"))[-1].response["view"]
    await harness.slack.submit_view(form, user_id="U0SUP1", values={"note": "Ordered the *14\"* <!here>"})
    await harness.settle()
    resolved = shown(support_post(harness))
    assert ":white_check_mark: *Resolved* by <@U0SUP1>" in resolved and "&lt;!here&gt;" in resolved
    assert "<!here>" not in resolved
    told_resolved = thread(harness, root["channel"], root["ts"])[-1]["text"]
    assert "marked it resolved" in told_resolved and "Ordered the" in told_resolved
    assert [e["action_id"] for b in support_post(harness)["blocks"] if b["type"] == "actions"
            for e in b["elements"]] == ["selfserve.escalation.reopen"]

    await harness.slack.click(support_post(harness), "selfserve.escalation.reopen", user_id="U0SUP2")
    await harness.settle()
    assert ":rotating_light: *Open*" in shown(support_post(harness))
    kinds = await harness.kinds()
    for kind in ("escalated", "escalation_claimed", "relayed", "escalation_resolved", "escalation_reopened"):
        assert kind in kinds, kind
    assert kinds.count("relayed") == 2


async def test_the_channel_message_follows_the_request_and_reassign_goes_to_support_only(harness: Harness) -> None:
    posted = await get_help(harness)
    await harness.slack.click(posted, "selfserve.escalation.reassign", user_id="U0SUP1", value="U0HR2")
    await harness.settle()
    assert "Choose someone in the support role" in await told(harness, "U0SUP1")
    await harness.slack.click(posted, "selfserve.escalation.reassign", user_id="U0SUP1", value="U0SUP2")
    await harness.settle()
    assert "*Claimed* by <@U0SUP2>" in shown(support_post(harness))
    await harness.slack.click(await approval_dm(harness, "U0HR2"), "selfserve.approve", user_id="U0HR2")
    await harness.settle()
    await harness.slack.click(await approval_dm(harness, "U0IT1"), "selfserve.approve", user_id="U0IT1")
    await harness.settle()
    assert ":white_check_mark: *Approved*" in shown(support_post(harness))


async def test_two_claims_at_once_one_wins_and_the_other_is_told_who(harness: Harness) -> None:
    posted = await get_help(harness)
    first, second = await asyncio.gather(
        harness.slack.click(posted, "selfserve.escalation.claim", user_id="U0SUP1"),
        harness.slack.click(posted, "selfserve.escalation.claim", user_id="U0SUP2"))
    assert first.status == second.status == 200
    await harness.settle()
    claimed = [e for e in await harness.audit_events() if e.kind == "escalation_claimed"]
    refused = [e for e in await harness.audit_events() if e.kind == "escalation" and e.outcome == "refused"]
    assert len(claimed) == 1 and len(refused) == 1
    winner, loser = claimed[0].actor, refused[0].actor
    assert {winner, loser} == {"U0SUP1", "U0SUP2"}
    assert f"already claimed by <@{winner}>" in await told(harness, str(loser))
    assert f"*Claimed* by <@{winner}>" in shown(support_post(harness))


async def test_someone_without_the_support_role_is_refused_and_audited(harness: Harness) -> None:
    posted = await get_help(harness)
    await harness.slack.click(posted, "selfserve.escalation.claim", user_id="U0HR2")
    await harness.slack.click(posted, "selfserve.escalation.resolve", user_id="U0HR2")
    await harness.settle()
    assert "Only members of the *support* role" in await told(harness, "U0HR2")
    refused = [e for e in await harness.audit_events() if e.outcome == "refused" and e.kind == "escalation"]
    assert [(e.actor, json.loads(e.details)["refused"], json.loads(e.details)["do"]) for e in refused] == [
        ("U0HR2", "not_authorized", "claimed"), ("U0HR2", "not_authorized", "resolved")]
    assert ":rotating_light: *Open*" in shown(support_post(harness)) and not harness.stub.calls_to("views.open")[1:]
    answer = await command(harness, "U0HR2", "queue")
    assert "Only members of the *support* role" in answer["text"]


async def test_relay_once_per_event_never_the_bots_own_and_never_a_stranger_thread(harness: Harness) -> None:
    posted = await get_help(harness)
    root = requester_root(harness, "U0HR1")
    _, answers = await harness.slack.post_message("U0SUP1", SUPPORT, "hello", thread_ts=posted["ts"], retries=2)
    assert [a.status for a in answers] == [200, 200, 200]
    await harness.settle()
    assert [m["text"] for m in thread(harness, root["channel"], root["ts"])].count(
        "<@U0SUP1> (support) wrote:\n>hello") == 1
    bot_posts = [m for m in [*thread(harness, SUPPORT, posted["ts"]), *harness.dms("U0HR1")] if m.get("bot_id")]
    assert any(m.get("thread_ts") == root["ts"] for m in bot_posts)  # its relay into the requester's thread
    for bot_post in bot_posts:
        await harness.slack.message_events(bot_post)  # Slack sends the bot's own posts too
    other = harness.stub.post_user_message(SUPPORT, "U0SUP2", "lunch?")
    await harness.slack.post_message("U0SUP1", SUPPORT, "sure", thread_ts=other["ts"])
    await harness.slack.post_message("U0SUP1", SUPPORT, "not in a thread")
    await harness.settle()
    assert (await harness.kinds()).count("relayed") == 1
    assert len(thread(harness, root["channel"], root["ts"])) == 1


async def test_odd_text_is_relayed_as_typed_and_inert(harness: Harness) -> None:
    posted = await get_help(harness)
    root = requester_root(harness, "U0HR1")
    odd = "<!channel> *bold* _it_ ~s~ `code` <https://evil.example|bank> &amp; @here\n> quote\n" + "x" * 40_000
    await harness.slack.post_message("U0SUP1", SUPPORT, odd, thread_ts=posted["ts"])
    await harness.settle()
    [relayed] = thread(harness, root["channel"], root["ts"])[-1:]
    assert relayed["text"].startswith("<@U0SUP1> (support) wrote:\n>&lt;!channel&gt; *bold*")
    assert "<!channel>" not in relayed["text"] and "<https://evil" not in relayed["text"]
    assert len(relayed["text"]) <= 39_000 and relayed["text"].endswith("…")


async def test_commands_escalate_help_me_and_queue(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.settle()
    answer = await command(harness, "U0HR1", "escalate REQ-1 nobody answers <!here>")
    assert "*ESC-1*" in answer["text"]
    stranger = await command(harness, "U0EMPLOYEE", "escalate REQ-1 let me in")
    assert "ESC" not in stranger["text"]  # may not see it: answered as for an id that does not exist
    again = await command(harness, "U0HR1", "escalate REQ-1 still nothing")
    assert "*ESC-1*" in again["text"]  # added to the open one
    question = await command(harness, "U0EMPLOYEE", "help-me where is the VPN guide?")
    assert "*ESC-2*" in question["text"]
    await harness.settle()
    assert "still nothing" in shown(support_post(harness)) and "&lt;!here&gt;" in shown(support_post(harness))
    queue = await command(harness, "U0SUP1", "queue")
    assert [b["block_id"] for b in queue["blocks"] if b["type"] == "actions"] == [
        "selfserve.escalation.1", "selfserve.escalation.2"]  # oldest first
    await harness.slack.click(queue, "selfserve.escalation.claim", user_id="U0SUP1", value="ESC-2")
    await harness.settle()
    assert "*Claimed* by <@U0SUP1>" in shown(support_post(harness, 1))
    await harness.slack.app_home_opened("U0SUP2")
    await harness.settle()
    home = harness.stub.home("U0SUP2")
    assert home is not None and "Open escalations" in json.dumps(home["blocks"])


async def test_a_request_nobody_may_decide_escalates_by_itself(harness: Harness) -> None:
    harness.catalog = parse_catalog(E2E_CATALOG.read_text().replace("allow_self_approval: true",
                                                                    "allow_self_approval: false"))
    await harness.submit("U0SOLO", "self-service", {"what": "thing"})
    await harness.settle()
    text = shown(support_post(harness))
    assert "Why: nobody may decide a step" in text and "escalated by the bot" in text
    assert "I passed your request" in requester_root(harness, "U0SOLO")["text"]


async def test_url_verification_is_answered(harness: Harness) -> None:
    body = {"token": "t", "challenge": "c-123", "type": "url_verification"}
    response = await harness.slack.send_raw(json.dumps(body), content_type="application/json")
    assert response.status == 200 and "c-123" in response.text


async def test_an_overdue_approval_escalates_once_with_its_reason(engine: AsyncEngine, tmp_path: Path) -> None:
    """The service levels' breach timer calls ``domain.escalations.escalate``: one escalation, posted with
    the reason, and a second breach of the same request (its whole-request clock) adds to its history."""
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(SLA_CATALOG.read_text().replace(
        "settings:\n", "settings:\n  support_channel: C0SUPPORT\n").replace(
        "  admins: {members: [U0ADMIN]}\n", "  admins: {members: [U0ADMIN]}\n  support: {members: [U0SUP1]}\n"))
    clock = TestClock(MONDAY_9)
    async with Harness(engine, catalog, clock=clock) as sla:
        await submit(sla)
        await move(sla, clock, MONDAY_9 + timedelta(hours=8))
        text = shown(support_post(sla))
        assert "Why: approval overdue" in text and "escalated by the bot" in text
        await move(sla, clock, MONDAY_9 + timedelta(days=10))
        assert len([m for m in sla.stub.messages(SUPPORT) if m.get("thread_ts") in (None, m["ts"])]) == 1
        assert "escalated again (request overdue)" in shown(support_post(sla))
        assert "I passed your request" in requester_root(sla, "U0EMPLOYEE")["text"]
