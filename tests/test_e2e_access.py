"""Time-bound access: granted when fulfilment is done, ended by on_expired once, also after downtime."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fulfilment_support import receipt, request_and_approve, write_catalog
from tests.harness import Harness
from tests.webhook_receiver import WebhookReceiver


def revokes(receiver: WebhookReceiver) -> list[object]:
    return [r.body for r in receiver.received if r.path == "/api/revoke"]


async def test_access_runs_out_once_after_downtime_with_a_heads_up_before(engine: AsyncEngine, tmp_path: Path,
                                                                          receiver: WebhookReceiver) -> None:
    async with Harness(engine, write_catalog(tmp_path, receiver.base)) as harness:
        await request_and_approve(harness)
        assert "Access until" in str(receipt(harness)["blocks"]) and not revokes(receiver)
        harness.offset = timedelta(hours=7, minutes=5)  # past the heads-up (1h before), not the end
        await harness.settle()
        assert "ends" in harness.dms("U0EMPLOYEE")[-1]["text"] and not revokes(receiver)

        await harness.stop_app()  # down over the end of the access
        harness.offset = timedelta(hours=9)
        await harness.start_app()
        await harness.settle()
        await harness.restart()
        await harness.settle()
        assert revokes(receiver) == [{"grant": "grant-1", "ticket": "REQ-1"}]  # once, with the install's answer
        assert "has ended" in harness.dms("U0EMPLOYEE")[-1]["text"]
        assert "has ended" in str(receipt(harness)["blocks"]) or "ended" in str(receipt(harness)["blocks"])
        kinds = await harness.kinds()
        assert kinds.count("access_ending") == 1 and "access_ended" in kinds


async def test_end_access_now_runs_on_expired_at_once_and_the_timer_does_nothing(
        engine: AsyncEngine, tmp_path: Path, receiver: WebhookReceiver) -> None:
    async with Harness(engine, write_catalog(tmp_path, receiver.base)) as harness:
        await request_and_approve(harness)
        mine = receipt(harness)
        assert (await harness.slack.click(mine, "selfserve.access.end", user_id="U0IT1")).status == 200
        await harness.settle()
        assert not revokes(receiver)  # only the requester may end it
        await harness.slack.click(mine, "selfserve.access.end", user_id="U0EMPLOYEE")
        await harness.slack.click(mine, "selfserve.access.end", user_id="U0EMPLOYEE")  # a double click
        await harness.settle()
        assert len(revokes(receiver)) == 1
        harness.offset = timedelta(hours=9)
        await harness.settle()
        assert len(revokes(receiver)) == 1
        events = [e for e in await harness.audit_events() if e.kind == "access_ending"]
        assert [e.actor for e in events] == ["U0EMPLOYEE"]


async def test_extend_opens_a_new_request_prefilled_through_the_approvals(engine: AsyncEngine, tmp_path: Path,
                                                                          receiver: WebhookReceiver) -> None:
    async with Harness(engine, write_catalog(tmp_path, receiver.base)) as harness:
        await request_and_approve(harness, {"software": "Docker", "note": "more time"})
        before = len(harness.stub.calls_to("views.open"))
        await harness.slack.click(receipt(harness), "selfserve.access.extend", user_id="U0EMPLOYEE")
        [*_, opened] = await harness.stub.wait_for("views.open", count=before + 1)
        view = opened.response["view"]
        assert "Docker" in str(view["blocks"]) and "more time" in str(view["blocks"])
        await harness.slack.submit_view(view, user_id="U0EMPLOYEE", values={"software": "Docker"})
        await harness.settle()
        asks = [m for m in harness.dms("U0IT1") if "Approval needed" in m.get("text", "")]
        assert len(asks) == 2  # the extension waits for the usual approval
