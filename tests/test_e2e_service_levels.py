"""Service levels end to end through the Slack stand-in, on a clock the test moves: reminders in
the approval DM's thread, a breach that marks, audits and asks the backup role (who may then
decide), a timer missed while the app was down fired once, due times moved over a weekend and a
holiday by business hours, and nothing at all for a finished request."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import JobRow, ServiceLevelRow
from tests.clock import TestClock
from tests.harness import Harness
from tests.test_e2e_approval_flow import approval_dm, statuses
from tests.test_e2e_tracking import command, shown

SLA_CATALOG = Path(__file__).parent / "catalog_sla.yaml"
MONDAY_9 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Berlin


@pytest.fixture
def clock() -> TestClock:
    return TestClock(MONDAY_9)


@pytest.fixture
async def sla(engine: AsyncEngine, clock: TestClock) -> AsyncIterator[Harness]:
    async with Harness(engine, SLA_CATALOG, clock=clock) as running:
        yield running


async def events(harness: Harness, kind: str) -> list[dict[str, Any]]:
    return [json.loads(e.details) for e in await harness.audit_events() if e.kind == kind]


def replies(harness: Harness, user_id: str) -> list[dict[str, Any]]:
    """The bot's replies in threads of its DM with ``user_id``."""
    return [m for m in harness.dms(user_id) if m.get("thread_ts") not in (None, m["ts"])]


async def submit(harness: Harness, action: str = "access") -> None:
    response = await harness.submit("U0EMPLOYEE", action, {"system": "Billing"})
    assert response.status == 200, response.text
    await harness.settle()


async def move(harness: Harness, clock: TestClock, moment: datetime) -> None:
    clock.set(moment)
    await harness.settle()


async def timers(harness: Harness) -> list[tuple[str, str, dict[str, Any], datetime]]:
    async with harness.engine.connect() as conn:
        rows = await conn.execute(select(JobRow.kind, JobRow.status, JobRow.payload, JobRow.due_at)
                                  .where(JobRow.kind.startswith("timer.")).order_by(JobRow.id))
        return [(row.kind, row.status, row.payload, row.due_at) for row in rows]


async def test_reminders_in_the_thread_then_a_breach_asks_the_backup_who_decides(sla: Harness,
                                                                                 clock: TestClock) -> None:
    await submit(sla)
    asked = {user: await approval_dm(sla, user) for user in ("U0HR1", "U0HR2")}
    assert not sla.dms("U0LEAD")  # a backup is not bothered before the breach

    await move(sla, clock, MONDAY_9 + timedelta(hours=1, minutes=59))
    assert not replies(sla, "U0HR1")
    await move(sla, clock, MONDAY_9 + timedelta(hours=2))
    for user, dm in asked.items():
        [reminder] = replies(sla, user)
        assert reminder["thread_ts"] == dm["ts"]  # a reply to the approval DM, not a new DM
        assert "Reminder" in reminder["text"] and "REQ-1" in reminder["text"]
        due = int((MONDAY_9 + timedelta(hours=8)).timestamp())  # 8 business hours: 17:00 the same day
        assert f"Decision due <!date^{due}^" in reminder["text"] and "(6h left)" in reminder["text"]
    assert len([m for m in sla.dms("U0HR1") if m.get("thread_ts") in (None, m["ts"])]) == 1

    await move(sla, clock, MONDAY_9 + timedelta(hours=8))  # 17:00: the 13:00 and 15:00 reminders were missed
    assert len(replies(sla, "U0HR1")) == 2  # ... and are sent once, not once per missed period
    assert [e["number"] for e in await events(sla, "sla_reminder")] == [1, 2]
    [breach] = await events(sla, "sla_breached")
    assert breach == {"scope": "step", "step": 0, "reason": "approval overdue"}
    [backup] = await events(sla, "backup_asked")
    assert backup["approvers"] == ["U0LEAD"]  # U0HR1 holds leads too, and was asked already
    lead_dm = await approval_dm(sla, "U0LEAD")
    async with sla.engine.connect() as conn:
        [breached_at] = (await conn.execute(select(ServiceLevelRow.breached_at)
                                            .where(ServiceLevelRow.scope == "step"))).scalars()
    assert breached_at == clock.now

    status = shown(await command(sla, "U0EMPLOYEE", "status REQ-1"))
    assert "Decision overdue" in status and "Completion due" in status

    await sla.slack.click(lead_dm, "selfserve.approve", user_id="U0LEAD")
    await sla.settle()
    assert await statuses(sla) == [(1, "approved", 1)]
    assert {status for _, status, _, _ in await timers(sla)} <= {"done", "cancelled"}
    await move(sla, clock, MONDAY_9 + timedelta(days=30))
    assert len(await events(sla, "sla_reminder")) == 2 and len(await events(sla, "sla_breached")) == 1


async def test_a_breach_that_came_due_while_the_app_was_down_fires_once(sla: Harness, clock: TestClock) -> None:
    await submit(sla)
    await sla.stop_app()
    clock.advance(days=10)  # past the step's 8h, the request's 2d and many reminders
    await sla.start_app()
    await sla.settle()
    assert sorted(e["scope"] for e in await events(sla, "sla_breached")) == ["request", "step"]
    assert [e["number"] for e in await events(sla, "sla_reminder")] == [1]
    assert len(replies(sla, "U0HR2")) == 1
    await sla.restart()
    await sla.settle()
    assert len(await events(sla, "sla_breached")) == 2


async def test_business_hours_move_the_due_time_over_a_holiday_and_a_weekend(sla: Harness, clock: TestClock) -> None:
    clock.set(datetime(2026, 12, 24, 15, 0, tzinfo=UTC))  # Thursday 16:00 in Berlin; Friday is a holiday
    await submit(sla)
    due = datetime(2026, 12, 28, 15, 0, tzinfo=UTC)  # Thursday's last hour, then Monday 09:00 + 7h
    due_at = {kind: at for kind, _, _, at in await timers(sla)}
    assert due_at["timer.sla.step.due"] == due
    assert due_at["timer.sla.step.remind"] == datetime(2026, 12, 28, 9, 0, tzinfo=UTC)  # 2h: Thursday 1h, Monday 1h
    status = shown(await command(sla, "U0EMPLOYEE", "status REQ-1"))
    assert f"Decision due <!date^{int(due.timestamp())}^" in status
    assert "(8h left)" in status  # counted in business time, though four days away

    await move(sla, clock, due - timedelta(minutes=1))
    assert not await events(sla, "sla_breached")
    assert "(1m left)" in shown(await command(sla, "U0EMPLOYEE", "status REQ-1"))
    await move(sla, clock, due)
    assert len(await events(sla, "sla_breached")) == 1
    await move(sla, clock, due + timedelta(days=1))  # Tuesday 16:00: Monday 16-17 and Tuesday 9-16
    assert "Decision overdue by 8h" in shown(await command(sla, "U0EMPLOYEE", "status REQ-1"))


async def test_nothing_fires_for_a_finished_request(sla: Harness, clock: TestClock) -> None:
    await submit(sla, "two-steps")
    await sla.slack.click(await approval_dm(sla, "U0HR1"), "selfserve.approve", user_id="U0HR1")
    await sla.settle()
    first_step = [(kind, status) for kind, status, payload, _ in await timers(sla) if payload.get("step") == 0]
    assert sorted(first_step) == [("timer.sla.step.due", "cancelled"), ("timer.sla.step.remind", "cancelled")]
    await sla.slack.click(await approval_dm(sla, "U0LEAD"), "selfserve.approve", user_id="U0LEAD")
    await sla.settle()
    assert await statuses(sla) == [(1, "approved", 2)]
    assert {status for _, status, _, _ in await timers(sla)} == {"cancelled"}
    await move(sla, clock, MONDAY_9 + timedelta(days=30))
    assert not [e for e in await sla.audit_events() if e.kind.startswith("sla_") or e.kind == "backup_asked"]
    assert not replies(sla, "U0HR1") and not replies(sla, "U0LEAD")


async def test_the_home_tab_shows_the_service_level(sla: Harness, clock: TestClock) -> None:
    await submit(sla)
    await sla.slack.app_home_opened("U0HR2")
    await sla.settle()
    home = sla.stub.home("U0HR2")
    assert home is not None
    assert "Decision due" in json.dumps(home.get("blocks") if isinstance(home, dict) else home.view["blocks"])
