"""Fulfilment across processes: a process killed mid-way, and two processes sharing the work."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import EVENTS_PATH
from slackstub import SlackClientSim
from tests.fulfilment_support import eventually, write_catalog
from tests.harness import SIGNING_SECRET, Harness
from tests.webhook_receiver import WebhookReceiver

ROOT = Path(__file__).parent.parent


async def start_app(harness: Harness, catalog: Path) -> tuple[asyncio.subprocess.Process, SlackClientSim]:
    """The app in a process of its own on the harness's database and Slack stand-in."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.app_process", str(harness.engine.url.render_as_string(hide_password=False)),
        str(catalog), harness.stub.api_url, stdout=asyncio.subprocess.PIPE, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    assert line.startswith("ready "), line
    url = f"http://127.0.0.1:{line.split()[1]}{EVENTS_PATH}"
    return process, SlackClientSim(app_url=url, signing_secret=SIGNING_SECRET, stub=harness.stub)


async def approve_through(slack: SlackClientSim, harness: Harness, ref: str) -> None:
    """U0IT1 approves ``ref`` once its approval DM is there."""
    await eventually(lambda: any(ref in str(m) for m in harness.dms("U0IT1")))
    ask = next(m for m in harness.dms("U0IT1") if "Approval needed" in m.get("text", "") and ref in str(m))
    assert (await slack.click(ask, "selfserve.approve", user_id="U0IT1")).status == 200


async def submit_through(slack: SlackClientSim, harness: Harness, software: str) -> None:
    before = len(harness.stub.calls_to("views.open"))
    await slack.slash_command(user_id="U0EMPLOYEE", command="/selfserve", text="software-install")
    [*_, opened] = await harness.stub.wait_for("views.open", count=before + 1)
    await slack.submit_view(dict(opened.response["view"]), user_id="U0EMPLOYEE", values={"software": software})


async def test_a_killed_process_resumes_without_repeating_a_completed_step(
        engine: AsyncEngine, tmp_path: Path, receiver: WebhookReceiver) -> None:
    catalog = write_catalog(tmp_path, receiver.base, timeout="30s")
    async with Harness(engine, catalog) as harness:
        await harness.stop_app()
        receiver.delay = 60  # the install call hangs: the process dies with it in flight
        process, slack = await start_app(harness, catalog)
        try:
            await submit_through(slack, harness, "Figma")
            await eventually(lambda: any("Approval needed" in m.get("text", "") for m in harness.dms("U0IT1")))
            await approve_through(slack, harness, "REQ-1")
            await eventually(lambda: len(receiver.received) == 1)
        finally:
            process.kill()  # SIGKILL: no stop, no hand-back; its claim holds until the lease ends
            await process.wait()
        receiver.delay = 0
        harness.offset = timedelta(minutes=5)  # past the dead process's lease
        await harness.start_app()
        await harness.settle()
        assert [m["text"] for m in harness.dms("U0EMPLOYEE") if "is on its way" in m["text"]] == [
            "Figma is on its way, User U0EMPLOYEE (REQ-1)."]  # step 1 was done: not posted again
        installs = [r for r in receiver.received if r.path == "/api/installs"]
        assert len(installs) == 2 and len({r.headers["Idempotency-Key"] for r in installs}) == 1
        assert len(harness.stub.messages("C0ITOPS")) == 1


async def two_processes_run_each_step_once(engine: AsyncEngine, tmp_path: Path, receiver: WebhookReceiver) -> None:
    """Several processes share a PostgreSQL database (SQLite serves one process): defined as a test
    only when the suite runs on PostgreSQL."""
    catalog = write_catalog(tmp_path, receiver.base, retries=7)
    receiver.script = [(503, {"Retry-After": "0"})] * 4  # retries are claimed by whichever process looks first
    async with Harness(engine, catalog) as harness:
        await harness.stop_app()
        first, slack_a = await start_app(harness, catalog)
        second, slack_b = await start_app(harness, catalog)
        try:
            for number, slack in enumerate((slack_a, slack_b, slack_a, slack_b, slack_a, slack_b), 1):
                await submit_through(slack, harness, "Figma")
                await approve_through(slack, harness, f"REQ-{number}")
            await eventually(lambda: len(harness.stub.messages("C0ITOPS")) >= 6)
            await asyncio.sleep(1.0)  # anything run twice would show by now
        finally:
            for process in (first, second):
                process.kill()
                await process.wait()
        assert len(harness.stub.messages("C0ITOPS")) == 6
        assert len(receiver.effects) == 6 and set(receiver.effects.values()) == {1}
        on_its_way = [m for m in harness.dms("U0EMPLOYEE") if "is on its way" in m["text"]]
        assert len(on_its_way) == 6


if os.environ.get("TEST_DATABASE_URL"):
    test_two_processes_run_each_step_once = pytest.mark.parametrize(
        "database_url", ["postgresql"], indirect=True)(two_processes_run_each_step_once)
