"""``LOG_FORMAT=json``: one JSON object per line, naming the request and the Slack user, never a
form's values or a secret, even with the Slack SDKs' debug logging asked for."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logging_setup import JsonFormatter, configure_logging
from domain.log_context import bind
from tests.harness import BOT_TOKEN, SIGNING_SECRET, Harness
from tests.test_e2e_approval_flow import GOOD, approval_dm

SECRET_VALUE = "Zebediah Quux-Secretname"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Everything logged, as JSON lines, at DEBUG (the SDKs' loggers as configure_logging leaves them)."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), {n: logging.getLogger(n).level for n in logging.root.manager.loggerDict})
    configure_logging("DEBUG", "json")
    stream = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    yield stream
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def test_a_line_carries_the_bound_request_and_user() -> None:
    bind(request="REQ-7", user="U0ADA")
    record = logging.LogRecord("selfserve.x", logging.WARNING, __file__, 1, "job %s failed", ("42",), None)
    assert json.loads(JsonFormatter().format(record)) == {
        "time": json.loads(JsonFormatter().format(record))["time"], "level": "WARNING", "logger": "selfserve.x",
        "message": "job 42 failed", "request": "REQ-7", "user": "U0ADA"}
    sdk = logging.LogRecord("slack_bolt.App", logging.WARNING, __file__, 1, 'Unhandled request ({"token": "x"})',
                            (), None)
    assert json.loads(JsonFormatter().format(sdk))["message"] == "Unhandled request ("


async def test_traffic_logs_ids_never_values_or_secrets(harness: Harness, json_lines: io.StringIO) -> None:
    await harness.submit("U0HR1", "new-employee", {**GOOD, "full_name": SECRET_VALUE})
    await harness.settle()
    await harness.slack.click(await approval_dm(harness, "U0HR2"), "selfserve.approve", user_id="U0HR2")
    await harness.settle()
    for _ in range(200):  # the access log line is written once the answer has gone out
        lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
        if "U0HR2" in {line.get("user") for line in lines}:
            break
        await asyncio.sleep(0.01)
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    text = json_lines.getvalue()
    for secret in (SECRET_VALUE, BOT_TOKEN, SIGNING_SECRET, "ada@example.com"):
        assert secret not in text
    assert {"U0HR1", "U0HR2"} <= {line.get("user") for line in lines}
    assert "REQ-1" in {line.get("request") for line in lines}
