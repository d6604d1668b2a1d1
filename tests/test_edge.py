"""The HTTP edge over real signed HTTP: parsing by Content-Type, guarded signatures, shape checks."""

from __future__ import annotations

import json
import random
import time
from typing import Any
from urllib.parse import parse_qs, quote, unquote_plus, urlencode

import pytest

from bot.edge import MAX_DEPTH, EdgeRejection, check_depth, parse_body, unquote_form_value
from slackstub.signing import signature_headers
from tests.harness import SIGNING_SECRET, Harness


def _payload(data: Any) -> str:
    return "payload=" + quote(json.dumps(data))


def _command(**fields: str) -> str:
    form = {"command": "/selfserve", "text": "help", "user_id": "U0HR1", "trigger_id": "t.1",
            "channel_id": "C0GENERAL", "team_id": "T0TEAM", "response_url": "http://127.0.0.1:1/r"}
    return urlencode({**form, **fields})


async def test_payload_substring_in_a_command_is_not_an_interaction(harness: Harness) -> None:
    for text in ("status payload-service", "help payload"):
        response = await harness.slack.slash_command(user_id="U0HR1", command="/selfserve", text=text)
        assert response.status == 200, (text, response.text)
    for extra in ({"channel_name": "payloads"}, {"user_name": "payloadguy"}):
        response = await harness.slack.send_raw(_command(**extra))
        assert response.status == 200, (extra, response.text)
        assert "new-employee" in response.text


async def test_payload_substring_inside_an_interaction_value_works(harness: Harness) -> None:
    response = await harness.slack.slash_command(user_id="U0HR1", command="/selfserve", text="help")
    message = {**response.json(), "channel": "C0GENERAL", "ts": "1700000000.000001"}
    view = await harness.open_form("U0HR1", "new-employee")
    submitted = await harness.slack.submit_view(view, user_id="U0HR1", values={
        "full_name": "Payload McPayload", "email": "payload@example.com", "start_date": "2026-12-01",
        "department": "Engineering", "laptops": "1", "notes": "payload=1&payload=2"})
    assert submitted.status == 200, submitted.text
    clicked = await harness.slack.click(message, "selfserve.open_form", user_id="U0HR1", value="new-employee")
    assert clicked.status == 200


async def test_huge_timestamp_is_401_not_500(harness: Harness) -> None:
    body = _command()
    for timestamp in ("9" * 5000, "1" * 13, "1e9", "+1700000000"):
        headers = {"X-Slack-Signature": signature_headers(SIGNING_SECRET, body.encode(), str(int(time.time())))[
            "X-Slack-Signature"]}
        response = await harness.slack.send_raw(body, sign=False, timestamp=timestamp, headers=headers)
        assert response.status == 401, timestamp[:20]


async def test_misshapen_signed_payloads_get_400(harness: Harness) -> None:
    deep = "[" * 5000 + "]" * 5000
    bodies: list[tuple[str, str]] = [
        (_payload({"type": "block_actions", "user": {"id": "U0HR2"}, "actions": [{}], "trigger_id": "t"}), ""),
        (_payload({"type": "view_submission", "user": {"id": "U0HR1"}, "view": []}), ""),
        (_payload({"view": True, "trigger_id": {}}), ""),
        (_payload({"type": "block_actions", "actions": "x"}), ""),
        (_payload({"type": "block_actions", "user": {"id": "U0HR1"}, "trigger_id": "t",
                   "actions": [{"action_id": "selfserve.approve"}], "team": "T1"}), ""),
        ("payload=" + quote('{"type": "block_actions", "x": ' + deep + "}"), ""),
        ('{"type": "event_callback", "event": ' + deep + "}", "application/json"),
        ('{"type": "event_callback", "event": {"type": "app_home_opened", "user": "../etc"}}', "application/json"),
        ('{"type": "event_callback", "event": {"type": "app_home_opened"}}', "application/json"),
        ("a=" + quote(deep), ""),
        (_command(user_id="U" * 41), ""),
        (_command(user_id="u0hr1"), ""),
        (_command(channel_id=["C1"]), ""),  # type: ignore[arg-type]
        (_command() + "&user_id=U0HR2", ""),
        (_command(text=json.dumps(1)).replace("text=1&", ""), ""),
    ]
    for body, content_type in bodies:
        response = await harness.slack.send_raw(body, content_type=content_type or "application/x-www-form-urlencoded")
        assert response.status == 400, (body[:120], response.status, response.text)
        assert "error" in response.json()
    too_big = await harness.slack.send_raw("a=" + "b" * 1_100_000)
    assert too_big.status in (400, 413)


def _nested(depth: int, inner: str = "1") -> str:
    text = inner
    for level in range(depth):
        text = f'{{"k{level}": {text}}}' if level % 2 else f"[0, {text}, true]"
    return text


@pytest.mark.parametrize("inner", ["1", '"[[[[{{{{"', '"]]]]}}}}"', r'"a \\\" [[[[ \\\\"', '"\\u005b[ ]"'])
def test_depth_counts_structure_not_brackets_in_strings(inner: str) -> None:
    check_depth(json.dumps(json.loads(_nested(MAX_DEPTH, inner))))
    check_depth(_nested(MAX_DEPTH, inner))
    with pytest.raises(EdgeRejection, match="nesting too deep"):
        check_depth(_nested(MAX_DEPTH + 1, inner))
    with pytest.raises(EdgeRejection, match="nesting too deep"):
        check_depth(_nested(MAX_DEPTH * 3, inner))


def _random_form_text(rng: random.Random) -> str:
    """Percent-encoded text as Slack and anyone else might send it: escapes of every byte in either
    case, and the odd bare ``%``, ``+``, ``=``, line break, non-ASCII or broken UTF-8."""
    pieces = []
    for _ in range(rng.randrange(0, 40)):
        kind = rng.randrange(8)
        if kind == 0:
            pieces.append(quote(rng.choice(["é", "✅", "😀", "\x00", "\n", "\\", '"', "&", "="]), safe=""))
        elif kind == 1:
            pieces.append(f"%{rng.randrange(256):02{rng.choice('xX')}}")
        elif kind == 2:
            pieces.append(rng.choice(["%", "%4", "%zz", "%%41", "+", "=", "==", "\n", "\r\n", " ", "é", "_", "\t"]))
        else:
            pieces.append("".join(rng.choice("abcXYZ019-._~!*'()") for _ in range(rng.randrange(1, 6))))
    return "".join(pieces)


def test_form_values_decode_exactly_as_urllib_does() -> None:
    rng = random.Random(20261207)
    payloads = [json.dumps({"type": "block_actions", "text": "a+b=c&d %41 ✅ \\ \"q\"", "n": [1, {"x": None}]})]
    cases = [quote(p, safe="") for p in payloads] + [urlencode({"payload": p})[len("payload="):] for p in payloads]
    cases += [_random_form_text(rng) for _ in range(3000)]
    for text in cases:
        try:
            expected: str | type[Exception] = unquote_plus(text, errors="strict")
        except UnicodeDecodeError:
            expected = UnicodeDecodeError
        try:
            got: str | type[Exception] = unquote_form_value(text)
        except UnicodeDecodeError:
            got = UnicodeDecodeError
        assert got == expected, text


def test_an_interaction_form_parses_as_parse_qs_would() -> None:
    rng = random.Random(7)
    for _ in range(500):
        value = json.dumps({"type": "block_actions", "v": _random_form_text(rng)})
        body = "payload=" + rng.choice([quote(value, safe=""), urlencode({"p": value})[2:]])
        expected = {key: values[0] for key, values in parse_qs(body, strict_parsing=True).items()}
        assert parse_body(body.encode(), "application/x-www-form-urlencoded") == json.loads(expected["payload"])


async def test_long_user_id_in_a_submission_is_400(harness: Harness) -> None:
    view = await harness.open_form("U0HR1", "new-employee")
    payload = {"type": "view_submission", "user": {"id": "U" * 41}, "trigger_id": "t", "view": view}
    response = await harness.slack.send_raw(_payload(payload))
    assert response.status == 400


async def test_bug_after_validation_is_500_and_audited(harness: Harness) -> None:
    async def broken(body: dict[str, Any]) -> None:
        raise KeyError("our bug")

    harness.runtime.bolt.middleware(broken)
    response = await harness.slack.send_raw(_command())
    assert response.status == 500 and response.text == ""
    await harness.settle()
    assert "error" in await harness.kinds("error")


async def test_bug_in_a_matcher_is_500_not_400(harness: Harness) -> None:
    """An exception escaping Bolt's dispatch after validation is our bug, not the sender's."""
    async def broken_matcher(body: dict[str, Any]) -> bool:
        raise KeyError("our bug")

    async def never(ack: Any) -> None:
        await ack()

    harness.runtime.bolt.shortcut("edge.test", matchers=[broken_matcher])(never)
    response = await harness.slack.send_raw(_payload({"type": "shortcut", "callback_id": "edge.test",
                                                      "trigger_id": "t", "user": {"id": "U0HR1"}}))
    assert response.status == 500 and response.text == ""
    await harness.settle()
    assert "error" in await harness.kinds("error")


async def test_an_exception_escaping_bolt_itself_is_500_and_audited(harness: Harness,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    async def crash(request: Any) -> None:
        raise RuntimeError("our bug in dispatch")

    monkeypatch.setattr(harness.runtime.bolt, "async_dispatch", crash)
    response = await harness.slack.send_raw(_command())
    assert response.status == 500 and response.text == ""
    await harness.settle()
    [event] = [e for e in await harness.audit_events() if e.kind == "error"]
    assert json.loads(event.details) == {"error": "RuntimeError: our bug in dispatch", "type": "command"}
