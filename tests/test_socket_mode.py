"""Socket Mode end to end: the app connects to the stand-in, and every envelope is checked, acked once and in time.

The flow files (tests/test_e2e_*.py) already run in both delivery modes (tests/conftest.py); this file holds what
only Socket Mode has: malformed and unknown envelopes, refreshes and dropped connections in the middle of a flow,
slow listeners and the ack deadline, the token and `selfserve run` over Socket Mode. The Web API retries of calls
made outside the job engine are tested here too, in both modes.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

import bot.socket_mode
from bot.config import ConfigError, Settings, load_settings
from slackstub import SlackClientSim, SlackStandIn
from slackstub.sim_response import ACK_DEADLINE
from storage.models import DecisionRow, RequestRow
from tests.conftest import E2E_CATALOG
from tests.harness import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, Harness
from tests.test_cli import ROOT, acli, cli_env, free_port, run_env, sqlite_url
from tests.test_e2e_approval_flow import GOOD, approval_dm

HR1, HR2 = "U0HR1", "U0HR2"


@pytest.fixture
async def app(engine: AsyncEngine) -> AsyncIterator[Harness]:
    """The app taking Slack's requests over Socket Mode only."""
    async with Harness(engine, E2E_CATALOG, mode="socket") as running:
        yield running


@pytest.fixture(params=["http", "socket"])
async def either(engine: AsyncEngine, request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    async with Harness(engine, E2E_CATALOG, mode=request.param) as running:
        yield running


def command_payload(app: Harness, text: str, user_id: str = HR1) -> dict[str, Any]:
    """What Slack sends for `/selfserve text` (as a slash_commands envelope's payload)."""
    return {"token": "legacy", "team_id": "T0TEAM", "team_domain": "selfserve-test", "channel_id": "C0GENERAL",
            "channel_name": "general", "user_id": user_id, "user_name": user_id.lower(), "command": "/selfserve",
            "text": text, "api_app_id": "A0APP", "is_enterprise_install": "false",
            "response_url": app.stub.new_response_url("C0GENERAL", None, user_id),
            "trigger_id": app.stub.new_trigger_id(user_id)}


def shortcut_payload(app: Harness, callback_id: str, user_id: str = HR1) -> dict[str, Any]:
    return {"type": "shortcut", "token": "legacy", "action_ts": "1700000000.000100", "callback_id": callback_id,
            "team": {"id": "T0TEAM", "domain": "selfserve-test"}, "is_enterprise_install": False, "enterprise": None,
            "user": {"id": user_id, "username": user_id.lower(), "team_id": "T0TEAM"},
            "trigger_id": app.stub.new_trigger_id(user_id)}


def assert_each_acked_once_in_time(app: Harness) -> None:
    socket = app.stub.socket_mode
    for envelope in socket.envelopes:
        if envelope.envelope_id is None:
            continue
        acks = socket.acks_for(envelope.envelope_id)
        assert len(acks) == 1, (envelope, acks)
        assert acks[0].at - envelope.at < ACK_DEADLINE, (envelope, acks[0])


async def count(app: Harness, column: Any) -> int:
    async with app.engine.connect() as conn:
        return int((await conn.execute(select(func.count(column)))).scalar_one())


async def malformed_events(app: Harness) -> list[dict[str, Any]]:
    await app.settle()
    return [json.loads(e.details) for e in await app.audit_events() if e.kind == "malformed_payload"]


# the flow, over the socket


async def test_requests_come_over_the_socket_and_http_serves_only_health(app: Harness) -> None:
    view = await app.open_form(HR1, "new-employee")
    submitted = await app.slack.submit_view(view, user_id=HR1, values=GOOD)
    assert submitted.status == 200 and submitted.text == ""
    await app.settle()
    clicked = await app.slack.click(await approval_dm(app, HR2), "selfserve.approve", user_id=HR2)
    assert clicked.status == 200
    await app.settle()
    socket = app.stub.socket_mode
    assert [e.type for e in socket.envelopes] == ["slash_commands", "interactive", "interactive"]
    assert_each_acked_once_in_time(app)
    assert socket.connections_opened == 1 and await count(app, DecisionRow.id) == 1
    [opened] = app.stub.calls_to("apps.connections.open")
    assert opened.ok and opened.response["url"].startswith("ws://")

    async with aiohttp.ClientSession() as http:
        async with http.post(f"{app.base_url}/slack/events", data=b"command=/selfserve") as posted:
            assert posted.status == 404  # Slack's requests are not taken over HTTP in Socket Mode
        async with http.get(f"{app.base_url}/healthz") as health:
            assert health.status == 200 and (await health.json())["status"] == "ok"


async def test_a_command_s_answer_travels_as_the_ack_payload(app: Harness) -> None:
    response = await app.slack.slash_command(user_id=HR1, command="/selfserve", text="help")
    assert response.status == 200
    body = response.json()
    assert body["response_type"] == "ephemeral" and "new-employee" in json.dumps(body)
    [envelope] = app.stub.socket_mode.envelopes
    [ack] = app.stub.socket_mode.acks_for(str(envelope.envelope_id))
    assert ack.payload == body


# malformed envelopes: acked when they can be, audited, and nothing runs


async def test_malformed_envelopes_are_acked_audited_and_run_no_listener(app: Harness) -> None:
    socket = app.stub.socket_mode
    good = command_payload(app, "new-employee")
    acked: dict[str, dict[str, Any]] = {
        "not-an-object": {"type": "slash_commands", "payload": "new-employee"},
        "empty-payload": {"type": "slash_commands", "payload": {}},
        "bad-user": {"type": "slash_commands", "payload": {**good, "user_id": "u0hr1; drop"}},
        "long-user": {"type": "slash_commands", "payload": {**good, "user_id": "U" * 40}},
        "kind-mismatch": {"type": "slash_commands", "payload": {
            "type": "view_submission", "user": {"id": HR1}, "view": {"id": "V1", "callback_id": "x", "type": "modal"}}},
        "no-actions": {"type": "interactive", "payload": {"type": "block_actions", "user": {"id": HR1},
                                                           "trigger_id": "t", "actions": []}},
        "event-in-interactive": {"type": "interactive", "payload": {"type": "event_callback",
                                                                     "event": {"type": "app_home_opened"}}},
        "bad-team": {"type": "interactive", "payload": {**shortcut_payload(app, "x"), "team": {"id": "t0team"}}},
    }
    for envelope_id, envelope in acked.items():
        ack, elapsed = await socket.send_text(json.dumps({"envelope_id": envelope_id, **envelope}),
                                              envelope_id=envelope_id)
        assert ack is not None and ack.payload is None and elapsed < ACK_DEADLINE, envelope_id
    unackable = [
        "not json at all",
        json.dumps({"envelope_id": "deep", "type": "slash_commands", "payload": {"a": [[[[[[[[[[]]]]]]]]]]}})
        .replace("[[[[[[[[[[]]]]]]]]]]", "[" * 5000 + "]" * 5000),
        json.dumps({"envelope_id": "big", "type": "slash_commands", "payload": {**good, "text": "x" * 1_100_000}}),
        json.dumps({"envelope_id": "spaces are not ids", "type": "slash_commands", "payload": good}),
        json.dumps({"type": "slash_commands", "payload": good}),
        json.dumps(["a list"]),
    ]
    for text in unackable:
        await socket.send_text(text)
    events = await malformed_events(app)
    assert len(events) == len(acked) + len(unackable), events
    assert {"deep", "big"}.isdisjoint({a.envelope_id for a in socket.acks})
    assert app.stub.calls_to("views.open") == [] and "command" not in await app.kinds()
    assert_each_acked_once_in_time(app)

    response = await app.slack.slash_command(user_id=HR1, command="/selfserve", text="help")  # still serving
    assert response.status == 200 and "new-employee" in response.text


async def test_an_envelope_of_an_unknown_type_is_acked_and_audited(app: Harness) -> None:
    socket = app.stub.socket_mode
    for kind in ("workflow_step", "hello_again", 7):
        envelope_id = f"unknown-{kind}"
        ack, _ = await socket.send_text(json.dumps({"envelope_id": envelope_id, "type": kind,
                                                    "payload": command_payload(app, "new-employee")}),
                                        envelope_id=envelope_id)
        assert ack is not None and ack.payload is None
    events = await malformed_events(app)
    assert [(e["type"], e["error"]) for e in events] == [
        ("workflow_step", "unsupported envelope type"), ("hello_again", "unsupported envelope type"),
        ("unknown", "unsupported envelope type")]
    assert app.stub.calls_to("views.open") == []


async def test_events_are_acked_on_arrival(app: Harness) -> None:
    event = {"type": "event_callback", "team_id": "T0TEAM", "api_app_id": "A0APP", "event_id": "Ev1",
             "event_time": int(time.time()), "event": {"type": "app_home_opened", "user": HR1, "tab": "home",
                                                      "channel": app.stub.dm_channel(HR1), "event_ts": "1.2"}}
    ack, elapsed = await app.stub.socket_mode.deliver("events_api", event)
    assert ack is not None and ack.payload is None and elapsed < ACK_DEADLINE
    await app.settle()
    assert_each_acked_once_in_time(app)


# exceptions: logged, audited, not acked (Slack then reports the failure, as for an HTTP 500)


async def test_an_exception_in_dispatch_is_logged_audited_and_not_acked(
        app: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    async def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("our bug in dispatch")

    monkeypatch.setattr(app.runtime.bolt, "async_dispatch", broken)
    ack, _ = await app.stub.socket_mode.deliver("slash_commands", command_payload(app, "help"), wait=1.0)
    assert ack is None
    await app.settle()
    [event] = [e for e in await app.audit_events() if e.kind == "error"]
    assert json.loads(event.details) == {"error": "RuntimeError: our bug in dispatch", "type": "command"}
    assert "dispatch failed for a command envelope" in caplog.text


async def test_a_listener_that_fails_is_audited_and_not_acked(app: Harness) -> None:
    async def fails(ack: AsyncAck) -> None:
        raise ValueError("a listener bug")

    app.runtime.bolt.shortcut("test.fails")(fails)
    ack, _ = await app.stub.socket_mode.deliver("interactive", shortcut_payload(app, "test.fails"), wait=1.0)
    assert ack is None
    await app.settle()
    [event] = [e for e in await app.audit_events() if e.kind == "error"]
    assert json.loads(event.details) == {"error": "ValueError: a listener bug", "type": "shortcut"}


# connections: refreshed and dropped in the middle of a flow


async def test_a_refresh_in_the_middle_of_a_flow_loses_and_doubles_nothing(app: Harness) -> None:
    socket = app.stub.socket_mode
    view = await app.open_form(HR1, "new-employee")
    [first] = await socket.disconnect("refresh_requested")
    submitted = await app.slack.submit_view(view, user_id=HR1, values=GOOD)  # sent once the app has reconnected
    assert submitted.status == 200 and submitted.acted_on() == (True, None)
    assert socket.envelopes[-1].connection > first
    await app.settle()

    dm = await approval_dm(app, HR2)
    clicked, [second] = await asyncio.gather(  # a click in flight while Slack asks for a new connection
        app.slack.click(dm, "selfserve.approve", user_id=HR2), socket.disconnect("warning"))
    assert clicked.status == 200
    await socket.wait_connected(after=second)
    await app.settle()
    await app.slack.click(await approval_dm(app, "U0IT1"), "selfserve.approve", user_id="U0IT1")
    await app.settle()

    assert socket.connections_opened == 3
    assert_each_acked_once_in_time(app)
    assert len(socket.envelopes) == 4 and len(socket.acks) == 4
    assert len(app.stub.calls_to("views.open")) == 1
    assert (await count(app, RequestRow.id), await count(app, DecisionRow.id)) == (1, 2)
    assert "is approved" in app.dms(HR1)[-1]["text"]


async def test_a_dropped_connection_is_reopened_and_the_next_request_served(app: Harness) -> None:
    socket = app.stub.socket_mode
    await socket.drop()
    response = await app.slack.slash_command(user_id=HR1, command="/selfserve", text="new-employee")
    assert response.status == 200
    await app.stub.wait_for("views.open", predicate=lambda call: call.ok)
    assert socket.connections_opened == 2
    assert len(app.stub.calls_to("apps.connections.open")) == 2
    assert_each_acked_once_in_time(app)


# the ack deadline


async def test_a_slow_listener_is_still_acked_in_time(
        app: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(bot.socket_mode, "ACK_BUDGET", 0.5)  # 2.5 s in production; Slack waits 3 s
    finished = asyncio.Event()

    async def slow(ack: AsyncAck) -> None:
        await asyncio.sleep(1.5)
        await ack()
        finished.set()

    app.runtime.bolt.shortcut("test.slow")(slow)
    response = await app.slack.send("interactive", shortcut_payload(app, "test.slow"))
    assert response.status == 200 and response.acted_on() == (True, None)
    assert 0.4 < response.elapsed < ACK_DEADLINE
    await asyncio.wait_for(finished.wait(), 5)
    await app.settle()
    assert_each_acked_once_in_time(app)  # the listener's own answer, when it came, was not sent as a second ack
    assert "acked without its answer" in caplog.text


async def test_a_slow_command_s_answer_comes_through_its_response_url(
        app: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.socket_mode, "ACK_BUDGET", 0.3)  # 2.5 s in production; Slack waits 3 s
    mine = app.runtime.deps.tracker.mine

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0.8)
        return await mine(*args, **kwargs)

    monkeypatch.setattr(app.runtime.deps.tracker, "mine", slow)
    response = await app.slack.slash_command(user_id=HR1, command="/selfserve", text="mine")
    assert response.status == 200 and response.acted_on() == (True, None)  # acked in time, empty
    [late] = await app.stub.wait_for("response_url", timeout=5)
    assert late.status == 200 and late.args["response_type"] == "ephemeral"
    assert "requests" in json.dumps(late.args).lower()
    assert_each_acked_once_in_time(app)


def slow_submissions(app: Harness, monkeypatch: pytest.MonkeyPatch, seconds: float, *,
                     fail: bool = False) -> None:
    """Every form submission takes ``seconds`` (longer than the ack budget) before it is handled (or fails)."""
    monkeypatch.setattr(bot.socket_mode, "ACK_BUDGET", 0.3)  # 2.5 s in production; Slack waits 3 s
    submit = app.runtime.deps.service.submit

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(seconds)
        if fail:
            raise RuntimeError("the database went away")
        return await submit(*args, **kwargs)

    monkeypatch.setattr(app.runtime.deps.service, "submit", slow)


async def test_a_slow_submission_s_inline_errors_reach_the_modal_instead_of_closing_it(
        app: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    view = await app.open_form(HR1, "new-employee")
    slow_submissions(app, monkeypatch, 0.8)
    response = await app.slack.submit_view(view, user_id=HR1, values={**GOOD, "email": "not an address"})
    acted, body = response.acted_on()
    assert acted and body["response_action"] == "errors" and set(body["errors"]) == {"email"}, body
    assert response.elapsed > 0.7  # past the ack budget: answered with the listener's errors, not emptily
    assert view["id"] in app.stub.views  # still open, for the person to correct
    assert await count(app, RequestRow.id) == 0
    assert_each_acked_once_in_time(app)


async def test_a_slow_submission_that_fails_leaves_the_modal_open_to_submit_again(
        app: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    view = await app.open_form(HR1, "new-employee")
    socket = app.stub.socket_mode
    deliver = socket.deliver

    async def deliver_briefly(*args: Any, **kwargs: Any) -> Any:  # Slack gives up after 3 s; no need to wait 5
        return await deliver(*args, **{**kwargs, "wait": 1.5})

    monkeypatch.setattr(socket, "deliver", deliver_briefly)
    with monkeypatch.context() as patched:
        slow_submissions(app, patched, 0.6, fail=True)
        failed = await app.slack.submit_view(view, user_id=HR1, values=GOOD)
    assert failed.acted_on() == (False, None)  # no empty ack: Slack shows its error over the open form
    assert view["id"] in app.stub.views and await count(app, RequestRow.id) == 0
    again = await app.slack.submit_view(view, user_id=HR1, values=GOOD)
    assert again.acted_on() == (True, None) and view["id"] not in app.stub.views
    assert await count(app, RequestRow.id) == 1


async def test_slow_slack_after_the_ack_does_not_delay_it(app: Harness) -> None:
    app.stub.set_latency("views.open", 1.5)
    response = await app.slack.slash_command(user_id=HR1, command="/selfserve", text="new-employee")
    assert response.status == 200 and response.elapsed < 1.0  # not after views.open's 1.5 s
    await app.stub.wait_for("views.open", predicate=lambda call: call.ok, timeout=5)


# Web API calls outside the job engine retry rate limits and dropped connections (both modes)


async def test_the_form_opens_once_through_a_rate_limit_and_a_dropped_connection(either: Harness) -> None:
    for fault in ("ratelimited", "dropped"):
        either.stub.clear_calls()
        if fault == "ratelimited":
            either.stub.fail_next("views.open", "ratelimited", retry_after=1)
        else:
            either.stub.drop_next("views.open")
        response = await either.slack.slash_command(user_id=HR1, command="/selfserve", text="new-employee")
        assert response.status == 200
        [opened] = await either.stub.wait_for("views.open", predicate=lambda call: call.ok, timeout=5)
        assert [call.status for call in either.stub.calls_to("views.open")] == \
            [429 if fault == "ratelimited" else 0, 200], fault
        either.stub.view_closed(opened.response["view"]["id"])
    await either.settle()
    opened_events = [json.loads(e.details) for e in await either.audit_events() if e.kind == "modal_opened"]
    assert len(opened_events) == 2 and all("view" in details for details in opened_events)


async def test_a_rate_limited_response_url_is_retried(app: Harness) -> None:
    await app.submit(HR1, "new-employee", GOOD)
    await app.settle()
    app.stub.fail_next("response_url", "ratelimited", retry_after=1)
    response = await app.slack.click(await approval_dm(app, HR2), "selfserve.approve", user_id="U0OUTSIDER")
    assert response.status == 200
    await app.stub.wait_for("response_url", predicate=lambda call: call.status == 200, timeout=5)
    assert [call.status for call in app.stub.calls_to("response_url")] == [429, 200]


async def test_only_the_job_engine_s_client_has_no_retries(either: Harness) -> None:
    runtime = either.runtime
    assert runtime.delivery_client.retry_handlers == []
    kinds = {type(handler).__name__ for handler in runtime.client.retry_handlers}
    assert kinds == {"_BoundedRateLimitRetry", "AsyncConnectionErrorRetryHandler"}
    assert all(handler.max_retry_count <= 2 for handler in runtime.client.retry_handlers)
    assert runtime.client.session is runtime.delivery_client.session and runtime.client.session is not None


async def test_a_long_retry_after_is_not_waited_for(either: Harness) -> None:
    either.stub.fail_next("views.open", "ratelimited", retry_after=30)
    await either.slack.slash_command(user_id=HR1, command="/selfserve", text="new-employee")
    await either.settle()
    assert [call.status for call in either.stub.calls_to("views.open")] == [429]
    failed = [json.loads(e.details) for e in await either.audit_events() if e.kind == "modal_opened"]
    assert failed == [{"action": "new-employee", "error": "ratelimited"}]


# SLACK_APP_TOKEN


def test_the_app_token_is_optional_and_must_be_an_app_level_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    for unset in (None, "", "  "):
        if unset is None:
            monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
        else:
            monkeypatch.setenv("SLACK_APP_TOKEN", unset)
        assert load_settings().slack_app_token is None
    monkeypatch.setenv("SLACK_APP_TOKEN", f"  {APP_TOKEN}\n")
    token = load_settings().slack_app_token
    assert isinstance(token, SecretStr) and token.get_secret_value() == APP_TOKEN
    assert APP_TOKEN not in repr(load_settings()) and APP_TOKEN not in str(load_settings())
    for wrong in ("xoxb-a-bot-token-do-not-print", "xoxp-do-not-print", "do-not-print"):
        monkeypatch.setenv("SLACK_APP_TOKEN", wrong)
        with pytest.raises(ConfigError) as refused:
            load_settings()
        assert str(refused.value) == ("SLACK_APP_TOKEN: must be an app-level token starting with xapp- "
                                      "(or unset, to take HTTP requests)")
        assert wrong not in str(refused.value)
    assert Settings(slack_app_token=APP_TOKEN, slack_bot_token=BOT_TOKEN,
                    slack_signing_secret=SIGNING_SECRET).slack_app_token is not None


async def test_the_stand_in_opens_connections_for_the_app_token_only() -> None:
    async with SlackStandIn(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as stub:
        client = AsyncWebClient(base_url=stub.api_url, retry_handlers=[])
        opened = await client.apps_connections_open(app_token=APP_TOKEN)
        assert opened["url"].startswith("ws://127.0.0.1:")
        for token, error in ((BOT_TOKEN, "not_allowed_token_type"), ("xapp-1-other", "invalid_auth")):
            with pytest.raises(SlackApiError) as refused:
                await client.apps_connections_open(app_token=token)
            assert refused.value.response.data == {"ok": False, "error": error}, token
        with pytest.raises(SlackApiError) as wrong_kind:
            await AsyncWebClient(token=APP_TOKEN, base_url=stub.api_url, retry_handlers=[]).auth_test()
        assert wrong_kind.value.response.data == {"ok": False, "error": "not_allowed_token_type"}

        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(opened["url"]) as socket:
                assert (await socket.receive_json())["type"] == "hello"
            with pytest.raises(aiohttp.WSServerHandshakeError):  # each URL connects once
                await http.ws_connect(opened["url"])


# selfserve run over Socket Mode, as an operator runs it


async def test_run_serves_over_socket_mode_with_health_on_http(tmp_path: Path) -> None:
    log_path = tmp_path / "run.log"
    async with SlackStandIn(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as stub, \
            SlackClientSim(app_url="", signing_secret=SIGNING_SECRET, stub=stub, mode="socket") as slack:
        stub.add_user(HR1, name="hr1")
        port = free_port()
        env = cli_env({**run_env(tmp_path, SLACK_API_URL=stub.api_url, CATALOG_PATH=str(E2E_CATALOG),
                                 PORT=str(port)), "SLACK_APP_TOKEN": APP_TOKEN})
        with open(log_path, "wb") as log:
            process = await asyncio.create_subprocess_exec(sys.executable, "-m", "cli.main", "run", cwd=ROOT, env=env,
                                                           stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            await stub.socket_mode.wait_connected(timeout=20)
            assert await healthz(port), log_path.read_text()
            response = await slack.slash_command(user_id=HR1, command="/selfserve", text="new-employee")
            assert response.status == 200
            await stub.wait_for("views.open", predicate=lambda call: call.ok, timeout=10)
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 10) == 0, log_path.read_text()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert APP_TOKEN not in log_path.read_text()
    exported = await acli("audit", "export", env={"DATABASE_URL": sqlite_url(tmp_path / "run.db")})
    [startup] = [json.loads(line) for line in exported.stdout.splitlines() if '"startup"' in line]
    assert startup["details"]["mode"] == "socket_mode"


async def healthz(port: int) -> bool:
    """Whether /healthz answers 200 within 5 s (the port opens just after the Socket Mode connection)."""
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
                    return health.status == 200
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
    return False


async def test_run_refuses_a_malformed_or_refused_app_token_with_one_line(tmp_path: Path) -> None:
    malformed = await acli("run", env={**run_env(tmp_path), "SLACK_APP_TOKEN": "xoxb-not-an-app-token"})
    assert malformed.returncode == 2, malformed
    assert malformed.stderr.splitlines() == ["selfserve: configuration error: SLACK_APP_TOKEN: must be an app-level "
                                             "token starting with xapp- (or unset, to take HTTP requests)"]
    async with SlackStandIn(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as stub:
        env = {**run_env(tmp_path, SLACK_API_URL=stub.api_url, CATALOG_PATH=str(E2E_CATALOG),
                         PORT=str(free_port())), "SLACK_APP_TOKEN": "xapp-1-revoked-do-not-print"}
        refused = await acli("run", env=env)
    assert refused.returncode == 2, refused
    assert refused.stderr.splitlines()[-1] == ("selfserve: configuration error: SLACK_APP_TOKEN: Slack refused it "
                                               "(apps.connections.open: invalid_auth)"), refused
    assert "do-not-print" not in refused.stderr + refused.stdout

