"""Fulfilment end to end: approval → message, webhook, channel post; retries; failure and retry."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import surfaces
from storage.database import Database
from tests.fulfilment_support import SECRET, eventually, receipt, request_and_approve, write_catalog
from tests.harness import Harness, is_question
from tests.webhook_receiver import WebhookReceiver


async def app(engine: AsyncEngine, tmp_path: Path, receiver: WebhookReceiver, *,
              support_channel: bool = True) -> Harness:
    return Harness(engine, write_catalog(tmp_path, receiver.base, support_channel=support_channel))


async def everything_said(harness: Harness) -> str:
    """Every Slack call and audit event, as text: no secret may be in it."""
    calls = json.dumps([c.args for c in harness.stub.calls], default=str)
    return calls + json.dumps([e.details for e in await harness.audit_events()], default=str)


async def test_an_approved_request_is_carried_out_step_by_step(engine: AsyncEngine, tmp_path: Path,
                                                               receiver: WebhookReceiver) -> None:
    async with await app(engine, tmp_path, receiver) as harness:
        await request_and_approve(harness, {"software": "Figma", "note": "<!channel> {{ 7*7 }}"})
        [call] = receiver.received
        assert call.path == "/api/installs" and call.headers["Authorization"] == f"Bearer {SECRET}"
        assert call.body == {"user": "u0employee@example.com", "package": "Figma", "ticket": "REQ-1",
                             "note": "<!channel> {{ 7*7 }}"}  # a form value is data, never template source
        assert call.headers["Idempotency-Key"].startswith("selfserve-1-")
        dm = next(m for m in harness.dms("U0EMPLOYEE") if "is on its way" in m["text"])
        assert "Figma is on its way, User U0EMPLOYEE (REQ-1). &lt;!channel&gt; {{ 7*7 }}" in dm["text"]
        [post] = harness.stub.messages("C0ITOPS")
        assert post["text"] == "Installed Figma for <@U0EMPLOYEE>"
        shown = str(receipt(harness)["blocks"])
        assert shown.count(":white_check_mark:") >= 3 and "HTTP 200" in shown and "Access until" in shown
        blocks = receipt(harness)["blocks"]
        buttons = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
        assert buttons == ["selfserve.escalate", "selfserve.access.end", "selfserve.access.extend"]  # Get help too
        kinds = await harness.kinds()
        assert kinds.count("fulfilment_step_done") == 3 and "fulfilment_done" in kinds and "access_granted" in kinds
        assert SECRET not in await everything_said(harness)
        # the feedback question came once the request was carried out, not at its approval
        [asked] = [m for m in harness.dms("U0EMPLOYEE") if is_question(m)]
        assert float(asked["ts"]) > float(dm["ts"])  # after the fulfilment step's own DM


async def test_retries_then_success_has_exactly_one_effect(engine: AsyncEngine, tmp_path: Path,
                                                           receiver: WebhookReceiver) -> None:
    receiver.script = [(503, {"Retry-After": "0"}), (429, {"Retry-After": "0"}), (500, {})]
    async with await app(engine, tmp_path, receiver) as harness:
        await request_and_approve(harness)
        await eventually(lambda: bool(harness.stub.messages("C0ITOPS")))  # the runner's own loop retries, then goes on
        await harness.settle()
        installs = [r for r in receiver.received if r.path == "/api/installs"]
        assert len(installs) == 4 and len({r.headers["Idempotency-Key"] for r in installs}) == 1
        assert list(receiver.effects.values()) == [1]
        assert harness.stub.messages("C0ITOPS")  # the steps after it ran
        attempts = [e for e in await harness.audit_events() if e.kind == "fulfilment_attempt_failed"]
        assert [json.loads(e.details)["status"] for e in attempts] == [503, 429, 500]
        assert {json.loads(e.details)["step_kind"] for e in attempts} == {"webhook"}  # /metrics counts these
        done = [json.loads(e.details)["step_kind"] for e in await harness.audit_events()
                if e.kind == "fulfilment_step_done"]
        assert "webhook" in done and set(done) - {"webhook"}  # the other steps say theirs
        assert SECRET not in await everything_said(harness)  # the receiver echoed it in its error answers


def buttons(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


async def test_a_permanent_failure_is_escalated_to_support_who_retry_it(engine: AsyncEngine, tmp_path: Path,
                                                                        receiver: WebhookReceiver) -> None:
    receiver.script = [(400, {})]
    async with await app(engine, tmp_path, receiver) as harness:
        await request_and_approve(harness)
        assert len(receiver.received) == 1  # a 400 is not retried
        assert not harness.stub.messages("C0ITOPS")  # the steps after it wait
        [told] = [m for m in harness.dms("U0EMPLOYEE") if "could not be done" in m["text"]]  # one DM, not two:
        assert ":sos:" in told["text"]  # the escalation's, in plain words, whose thread reaches support
        assert "I passed your request *REQ-1* to support (ESC-1): step 2 could not be done" in told["text"]
        [escalation] = harness.stub.messages("C0SUPPORT")  # the escalation, nothing posted besides
        shown = json.dumps(escalation, ensure_ascii=False)
        assert "*ESC-1* · <@U0EMPLOYEE> needs help with *REQ-1*" in shown and "escalated by the bot" in shown
        assert "HTTP status: 400" in shown and "Call: POST http://" in shown
        assert "Idempotency-Key: selfserve-1-" in shown and "Response:" in shown
        assert "${SELFSERVE_TEST_TOKEN}" not in shown and SECRET not in shown  # the answer echoed it: masked
        assert buttons(escalation) == ["selfserve.fulfilment.retry", "selfserve.escalation.claim",
                                       "selfserve.escalation.resolve", "selfserve.escalation.reassign"]
        assert "could not be carried out" in str(receipt(harness)["blocks"])
        events = await harness.audit_events()
        [escalated] = [json.loads(e.details) for e in events if e.kind == "escalated"]
        assert escalated["escalation"] == "ESC-1" and escalated["reason"].startswith("step 2 could not be done: ")
        assert "HTTP status: 400" in escalated["words"] and SECRET not in escalated["words"]
        assert [e.kind for e in events].index("fulfilment_failed") < [e.kind for e in events].index("escalated")
        async with Database(harness.engine) as database, database.reader() as uow:
            [row] = await uow.escalations.of_request(1)
        assert row.opened_by is None and row.is_open and "HTTP status: 400" in (row.words or "")

        refused = await harness.slack.click(escalation, "selfserve.fulfilment.retry", user_id="U0EMPLOYEE")
        assert refused.status == 200
        await harness.settle()
        assert len(receiver.received) == 1
        await harness.slack.click(escalation, "selfserve.escalation.claim", user_id="U0SUP1")
        await harness.settle()
        await harness.slack.click(harness.stub.messages("C0SUPPORT")[0], "selfserve.fulfilment.retry",
                                  user_id="U0SUP1")  # the receiver is fixed: the scripted 400 is spent
        await harness.settle()
        assert len(receiver.received) == 2 and list(receiver.effects.values()) == [1]
        assert harness.stub.messages("C0ITOPS")
        assert "could not be carried out" not in str(receipt(harness)["blocks"])
        [redrawn] = harness.stub.messages("C0SUPPORT")
        assert "selfserve.fulfilment.retry" not in buttons(redrawn)  # the step is done: no Retry left
        now_shown = json.dumps(redrawn, ensure_ascii=False)
        assert ":raising_hand: *Claimed* by <@U0SUP1>" in now_shown and now_shown.count("— _done") == 3
        events = await harness.audit_events()
        assert [e.actor for e in events if e.kind == "fulfilment_retried"] == ["U0SUP1"]
        assert any(e.outcome == "refused" for e in events if e.actor == "U0EMPLOYEE")
        assert [e.kind for e in events].count("escalated") == 1


async def test_without_a_support_channel_admins_are_told_and_retry(engine: AsyncEngine, tmp_path: Path,
                                                                    receiver: WebhookReceiver) -> None:
    receiver.script = [(400, {})]
    async with await app(engine, tmp_path, receiver, support_channel=False) as harness:
        await request_and_approve(harness)
        [alert] = [m for m in harness.dms("U0ADMIN") if "failed" in m["text"]]
        assert "HTTP 400" in str(alert["blocks"]) and buttons(alert) == ["selfserve.fulfilment.retry"]
        assert "escalated" not in await harness.kinds()
        [told] = [m for m in harness.dms("U0EMPLOYEE") if "could not be done" in m["text"]]  # the requester too
        assert "Support has been told" in told["text"]
        await harness.slack.click(alert, "selfserve.fulfilment.retry", user_id="U0ADMIN")
        await harness.settle()
        assert len(receiver.received) == 2 and harness.stub.messages("C0ITOPS")


async def test_a_failure_while_an_escalation_is_open_is_told_and_added_to_it(engine: AsyncEngine, tmp_path: Path,
                                                                            receiver: WebhookReceiver) -> None:
    receiver.script = [(400, {})]
    async with await app(engine, tmp_path, receiver) as harness:
        await harness.submit("U0EMPLOYEE", "software-install", {"software": "Figma"})
        await harness.settle()
        asked = await harness.slack.slash_command(user_id="U0EMPLOYEE", command="/selfserve",
                                                  text="escalate REQ-1 needed by Friday")
        assert asked.status == 200
        await harness.settle()
        [ask] = [m for m in harness.dms("U0IT1") if "Approval needed" in m.get("text", "")]
        await harness.slack.click(ask, "selfserve.approve", user_id="U0IT1")
        await harness.settle()
        [told] = [m for m in harness.dms("U0EMPLOYEE") if "could not be done" in m["text"]]
        assert "Support has been told" in told["text"]  # the open escalation's first DM said something else
        async with Database(harness.engine) as database, database.reader() as uow:
            [row] = await uow.escalations.of_request(1)
        assert [event.what for event in row.history] == ["opened", "again"]
        assert (row.history[-1].reason or "").startswith("step 2 could not be done")


async def test_status_and_the_home_tab_show_every_step_and_its_last_attempt(
        engine: AsyncEngine, tmp_path: Path, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(surfaces, "HOME_REFRESH_BATCH", timedelta(0))  # Home refreshes due at once
    receiver.script = [(400, {})]
    async with await app(engine, tmp_path, receiver) as harness:
        assert (await harness.slack.app_home_opened("U0EMPLOYEE")).status == 200  # watching from now on
        await request_and_approve(harness)
        home = json.dumps(harness.stub.home("U0EMPLOYEE"), ensure_ascii=False)  # redrawn as the steps moved
        assert "Being carried out" in home and "REQ-1" in home
        assert "Message to the requester — _done_" in home and "_failed, HTTP 400_" in home
        assert "HTTP 400 (not retried" in home and "Post in <#C0ITOPS> — _pending_" in home

        answer = await harness.slack.slash_command(user_id="U0EMPLOYEE", command="/selfserve", text="status REQ-1")
        status = json.dumps(answer.json()["blocks"], ensure_ascii=False)
        assert "carrying it out failed" in status and "support can retry it" in status
        assert "*Carrying it out*" in status and "_failed, HTTP 400_" in status and "_failed <!date^" in status
        assert SECRET not in status

        [escalation] = harness.stub.messages("C0SUPPORT")
        await harness.slack.click(escalation, "selfserve.fulfilment.retry", user_id="U0ADMIN")  # admins may too
        await harness.settle()
        answer = await harness.slack.slash_command(user_id="U0EMPLOYEE", command="/selfserve", text="status REQ-1")
        status = json.dumps(answer.json()["blocks"], ensure_ascii=False)
        assert status.count("— _done") == 3 and "attempt 2, HTTP 200" in status and "_done <!date^" in status
        assert "Access until" in status
        assert "Being carried out" not in json.dumps(harness.stub.home("U0EMPLOYEE"))  # all done: off the list
