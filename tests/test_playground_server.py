"""The playground page's server, as something other than its page would use it: malformed bodies, other web
sites, other host names. It acts as anyone on 127.0.0.1, so only its own page may drive the bot."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cli.playground.session import Playground, PlaygroundOptions
from tests.test_playground import SHIPPED

ENDPOINTS = ("message", "click", "fill", "submit", "close", "suggest", "home", "shortcut")
JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def playground(tmp_path: Path) -> AsyncIterator[Playground]:
    shutil.copy(SHIPPED, tmp_path / "catalog.yaml")
    running = Playground(PlaygroundOptions(str(tmp_path / "catalog.yaml"), 0, data_dir=tmp_path / "data"))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def post(url: str, name: str, body: bytes | str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, \
            http.post(f"{url}client/api/{name}", data=body, headers=headers or JSON) as answer:
        text = await answer.text()
        return answer.status, json.loads(text) if answer.content_type == "application/json" else text


MALFORMED: list[bytes] = [b"", b"{", b"[]", b'"text"', b"null", b"\xff\xfe", b'{"user": 5}', b'{"text": "hi"}',
                          b'{"user": "U0HR1", "user": ["x"]}']


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize("body", MALFORMED)
async def test_a_body_the_page_never_sends_is_a_400(playground: Playground, name: str, body: bytes) -> None:
    status, answer = await post(playground.url, name, body)
    assert status == 400, answer
    assert answer["ok"] is False and answer["error"]


WRONG_FIELDS: list[tuple[str, dict[str, Any]]] = [
    ("message", {"channel": 5, "text": "hi"}), ("message", {"channel": "C0GENERAL", "text": ["hi"]}),
    ("message", {"text": "/selfserve"}), ("click", {"surface": "V1", "action_id": "a"}),
    ("click", {"surface": {"id": 5}, "action_id": "a"}), ("click", {"surface": {"id": "V1"}, "action_id": None}),
    ("fill", {"view_id": {"id": "V1"}, "block_id": "b", "value": "x"}), ("fill", {"view_id": "V1", "block_id": 3}),
    ("submit", {"view_id": "V1", "values": ["x"]}), ("submit", {"values": {}}), ("close", {"view_id": 1}),
    ("suggest", {"view_id": "V1", "action_id": "a", "query": 3}), ("shortcut", {"callback_id": {"x": 1}}),
]


@pytest.mark.parametrize(("name", "fields"), WRONG_FIELDS)
async def test_a_field_of_the_wrong_type_is_a_400(playground: Playground, name: str, fields: dict[str, Any]) -> None:
    status, answer = await post(playground.url, name, json.dumps({"user": "U0HR1", **fields}))
    assert status == 400, answer


ODD_VALUES: list[Any] = [None, 0, -1, 1e309, "", "x" * 5000, [], [None], {}, {"a": {"b": []}}, True]


@pytest.mark.parametrize("name", ENDPOINTS)
async def test_odd_values_where_the_page_sends_its_own_are_refused_never_a_500(playground: Playground,
                                                                               name: str) -> None:
    await post(playground.url, "message", json.dumps({"user": "U0HR1", "channel": "C0GENERAL",
                                                      "text": "/selfserve new-employee"}))
    [view] = playground.stub.modal_stacks("U0HR1")[-1] if playground.stub.modal_stacks("U0HR1") else [{"id": "V0"}]
    for value in ODD_VALUES:
        for fields in ({"view_id": view["id"], "block_id": "full_name", "action_id": "x", "value": value},
                       {"view_id": view["id"], "values": {"full_name": value, "start_date": value}},
                       {"surface": {"id": view["id"]}, "action_id": "x", "value": value},
                       {"surface": {"channel": "C0GENERAL", "ts": "1.2"}, "action_id": "x", "value": value},
                       {"user": value if isinstance(value, str) else "U0NOBODY", "channel": "C0GENERAL",
                        "text": "hi", "callback_id": "x", "query": "abcd"}):
            status, answer = await post(playground.url, name, json.dumps({"user": "U0HR1", **fields}))
            assert status in (200, 400, 409), (name, fields, status, answer)


async def test_other_web_sites_cannot_drive_the_bot(playground: Playground) -> None:
    url, port = playground.url, playground.url.rstrip("/").rsplit(":", 1)[1]
    body = json.dumps({"user": "U0HR1", "channel": "C0GENERAL", "text": "posted by another site"})
    refused = [
        ({"Content-Type": "text/plain", "Origin": "https://evil.example"}, 403),  # no preflight needed for this
        ({"Content-Type": "text/plain"}, 415),  # a form or a no-cors fetch, Origin stripped by a proxy
        ({**JSON, "Origin": "https://evil.example"}, 403),
        ({**JSON, "Origin": "null"}, 403),  # a sandboxed frame or a file
        ({**JSON, "Sec-Fetch-Site": "cross-site"}, 403),
        ({**JSON, "Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"}, 403),  # DNS rebinding
        ({**JSON, "Host": "127.0.0.1:1"}, 403),
    ]
    for headers, status in refused:
        answer = await post(url, "message", body, headers)
        assert answer[0] == status, (headers, answer)
    assert playground.stub.messages("C0GENERAL") == []
    async with aiohttp.ClientSession() as http, \
            http.get(f"{url}client/api/state", headers={"Host": f"evil.example:{port}"}) as read:
        assert read.status == 403  # nor read what people see
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):  # its own page, by either name
        answer = await post(url, "message", body, {**JSON, "Host": host, "Origin": f"http://{host}",
                                                   "Sec-Fetch-Site": "same-origin"})
        assert answer[0] == 200, answer
    assert len(playground.stub.messages("C0GENERAL")) == 2


async def test_what_a_person_types_is_escaped_as_slack_does(playground: Playground) -> None:
    typed = "<javascript:alert(1)|click> & <@U0HR2> <!channel>"
    status, _ = await post(playground.url, "message", json.dumps({"user": "U0HR1", "channel": "C0GENERAL",
                                                                  "text": typed}))
    assert status == 200
    [message] = playground.stub.messages("C0GENERAL")
    assert message["text"] == "&lt;javascript:alert(1)|click&gt; &amp; &lt;@U0HR2&gt; &lt;!channel&gt;"
