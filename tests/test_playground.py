"""The playground without a browser: when `selfserve run` starts it, what it wires, and how it reloads."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cli import main as cli_main
from cli.mode import wants_playground
from cli.playground import command
from cli.playground.session import Playground, PlaygroundOptions
from cli.playground.watch import watch
from cli.playground.world import shown_path
from domain.catalog import CatalogError, load_catalog, parse_catalog
from tests.test_cli import BROKEN_CATALOG, ROOT, SETTINGS, broken_problems, cli, free_port

SHIPPED = ROOT / "catalog.yaml"


@pytest.mark.parametrize(("environ", "playground"), [
    ({}, True),
    ({"SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": "  "}, True),  # empty is unset, as settings read it
    ({"PORT": "4000", "DATABASE_URL": "sqlite+aiosqlite:///x.db"}, True),  # other settings do not matter
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, False),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, False),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, False),  # half-configured: the real run refuses it, naming what is missing
    ({"SLACK_SIGNING_SECRET": "s"}, False),
    ({"SLACK_APP_TOKEN": "xapp-1"}, False),
])
def test_only_a_setup_without_any_slack_setting_is_a_playground(environ: dict[str, str], playground: bool) -> None:
    assert wants_playground(environ) is playground


@pytest.mark.parametrize(("settings", "message"), [
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET: is not set"),
    ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN: is not set (the bot token starts with xoxb-)"),
    ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN: is not set (the bot token starts with xoxb-)"),
])
def test_a_half_configured_run_is_an_error_not_a_playground(tmp_path: Path, settings: dict[str, str],
                                                             message: str) -> None:
    result = cli("run", env={**settings, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"})
    assert result.returncode == 2, result
    assert result.stderr.splitlines() == [f"selfserve: configuration error: {message}"], result
    assert "playground" not in result.stdout + result.stderr


def test_run_and_playground_pick_their_options(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[PlaygroundOptions] = []

    def start(options: PlaygroundOptions) -> int:
        started.append(options)
        return 0

    monkeypatch.setattr(command, "main", start)
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOST", "0.0.0.0")  # a deployment's HOST never exposes the playground
    monkeypatch.setenv("PORT", "4123")
    monkeypatch.setenv("CATALOG_PATH", "other.yaml")
    assert cli_main.main(["run"]) == 0
    assert cli_main.main(["playground", "--catalog", "mine.yaml", "--port", "5000"]) == 0
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")  # beside a real configuration, too
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    assert cli_main.main(["playground", "--host", "0.0.0.0"]) == 0
    assert [(o.catalog_path, o.port, o.host) for o in started] == [
        ("other.yaml", 4123, "127.0.0.1"), ("mine.yaml", 5000, "127.0.0.1"), ("other.yaml", 4123, "0.0.0.0")]


async def test_the_bot_talks_only_to_the_stand_in_on_a_fresh_sqlite_file(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"SLACK_APP_TOKEN": "xapp-1-real", "SLACK_API_URL": "https://slack.com/api/",
                        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'production.db'}"}.items():
        monkeypatch.setenv(name, value)  # a real configuration beside it changes nothing
    data = tmp_path / "data"
    data.mkdir()
    (data / "selfserve.db").write_text("left over from the last run")
    options = PlaygroundOptions(str(SHIPPED), 0, data_dir=data)
    playground = Playground(options, load_catalog(SHIPPED))
    url = await playground.start()
    try:
        assert url.startswith("http://127.0.0.1:")
        runtime = playground.runtime
        assert runtime.client.base_url == runtime.delivery_client.base_url == playground.stub.api_url
        assert playground.stub.api_url.startswith("http://127.0.0.1:")
        assert runtime.socket_mode is None
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as page:
                assert page.status == 200
                assert "<title>selfserve playground</title>" in await page.text()
            async with http.get(f"{url}client/api/state", params={"user": ""}) as state:
                body = await state.json()
        names = {person["id"]: person["name"] for person in body["people"]}
        assert names["U0HR1"] == "Hana Reyes (HR)" and names["U0EMPLOYEE"] == "Erin Walsh (employee)"
        assert set(load_catalog(SHIPPED).named_people()) == set(names)
        assert body["default_user"] == "U0HR1"  # may request the first action (new-employee: hr)
        assert body["notices"] == {"intro": body["notices"]["intro"], "problems_title": "", "problems": [],
                                   "news": ""}  # nothing to fix, nothing to announce
        assert [c["name"] for c in body["conversations"]] == ["general", "support"]
        async with runtime.database.reader() as uow:  # the bot's storage is the fresh file
            assert await uow.jobs.due_count(uow.now()) == 0
        assert (data / "selfserve.db").stat().st_size > 1000
        assert not (tmp_path / "production.db").exists()
    finally:
        await playground.stop()


async def test_a_reload_with_problems_covers_the_page_and_a_fix_uncovers_it(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.yaml"
    shutil.copy(SHIPPED, catalog)
    playground = Playground(PlaygroundOptions(str(catalog), 0, data_dir=tmp_path / "data"), load_catalog(catalog))
    await playground.start()
    try:
        assert playground.page is not None
        notices = playground.page.notices
        good = catalog.read_text()
        catalog.write_text(good.replace("requesters: [hr]", "requesters: [hrr]"))
        await playground.reload()
        assert notices.problems_title == "catalog.yaml has 1 problem"  # not the temporary directory's path
        [line] = notices.problems
        assert line.startswith(f"{catalog}:") and "unknown role 'hrr' (did you mean 'hr'?)" in line
        catalog.write_text(good.replace("Onboard a new employee", "Onboard a new colleague").replace(
            "U0ADMIN: Ada Novak (admin)", "U0ADMIN: Ada Novak (admin)\n  U0NEW: Nora New"))
        await playground.reload()
        assert notices.problems == ()
        assert notices.as_json()["news"] == "Catalog reloaded (actions changed: new-employee)"
        assert playground.runtime.catalog is not None
        assert playground.runtime.catalog().actions["new-employee"].title == "Onboard a new colleague"
        assert playground.stub.username("U0NEW") == "u0new"  # people added to the catalog join the workspace
    finally:
        await playground.stop()


async def test_a_catalog_with_problems_at_start_gets_the_page_and_the_app_once_fixed(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(BROKEN_CATALOG)
    playground = Playground(PlaygroundOptions(str(catalog), 0, data_dir=tmp_path / "data"))
    url = await playground.start()
    try:
        assert not playground.running
        assert playground.problems == tuple(broken_problems(catalog))
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}client/api/state") as state:
                body = await state.json()
            assert body["people"] == [] and body["notices"]["problems_title"] == "catalog.yaml has 4 problems"
            async with http.post(f"{url}client/api/message", json={"user": "U0HR1", "text": "/selfserve",
                                                                    "channel": "C0GENERAL"}) as sent:
                assert sent.status == 503
                assert (await sent.json())["error"] == "The app is not running: the catalog has problems."
            shutil.copy(SHIPPED, catalog)
            await playground.reload()
            assert playground.running and playground.problems == ()
            assert playground.page.notices.as_json()["news"] == "Catalog loaded: the app is running"
            async with http.get(f"{url}client/api/state") as state:
                body = await state.json()
            assert body["default_user"] == "U0HR1" and "`catalog.yaml`" in body["notices"]["intro"]
            async with http.post(f"{url}client/api/message", json={"user": "U0HR1", "channel": "C0GENERAL",
                                                                    "text": "/selfserve new-employee"}) as sent:
                assert sent.status == 200, await sent.text()
            for _ in range(100):  # the form opens after the command's ack
                if playground.stub.modal_stacks("U0HR1"):
                    break
                await asyncio.sleep(0.05)
            assert playground.stub.modal_stacks("U0HR1")
    finally:
        await playground.stop()


def test_the_page_shows_the_catalog_path_from_the_working_directory(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config").mkdir()
    monkeypatch.chdir(tmp_path)
    assert shown_path("catalog.yaml") == "catalog.yaml"
    assert shown_path(str(tmp_path / "config" / "catalog.yaml")) == os.path.join("config", "catalog.yaml")
    assert shown_path("/elsewhere/team/catalog.yaml") == "catalog.yaml"  # outside: the file's name only


async def test_the_watcher_calls_back_once_per_save(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text("one")
    saves: list[str] = []

    async def changed() -> None:
        saves.append(path.read_text())

    task = asyncio.create_task(watch(str(path), changed, poll=0.02))
    try:
        await asyncio.sleep(0.1)
        assert saves == []
        replacement = tmp_path / "new.yaml"  # an editor's save: a new file renamed over the old one
        replacement.write_text("two, longer")
        os.replace(replacement, path)
        for _ in range(100):
            if saves:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        assert saves == ["two, longer"]
    finally:
        task.cancel()


def test_people_are_checked_like_every_other_key() -> None:
    text = SHIPPED.read_text().replace("  U0HR2: Hugo Brandt (HR)\n", "  u0hr2: Hugo\n  U0HR3: \"\"\n  U0HR4: 12\n")
    with pytest.raises(CatalogError) as raised:
        parse_catalog(text, "catalog.yaml")
    line = text.splitlines().index("  u0hr2: Hugo") + 1
    assert [str(problem) for problem in raised.value.problems] == [
        f"catalog.yaml:{line}: people.u0hr2: invalid Slack user id 'u0hr2' (expected an id like U012AB3CD)",
        f"catalog.yaml:{line + 1}: people.U0HR3: must not be empty",
        f"catalog.yaml:{line + 2}: people.U0HR4: expected a string, got an integer (put the value in quotes)",
    ]


def test_selfserve_run_without_slack_settings_serves_the_playground_until_sigterm(tmp_path: Path) -> None:
    shutil.copy(SHIPPED, tmp_path / "catalog.yaml")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS} | {"PORT": str(port)}
    process = subprocess.Popen([sys.executable, "-m", "cli.main", "run"], cwd=tmp_path, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith(f"selfserve playground: http://127.0.0.1:{port}/ (listening on this computer only;")
        assert (tmp_path / ".playground" / "selfserve.db").exists()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
    assert process.stdout.read() == "", "one line, the URL"


def test_the_playground_starts_on_a_broken_catalog_and_runs_the_app_once_it_is_saved_fixed(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text(BROKEN_CATALOG)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    process = subprocess.Popen([sys.executable, "-m", "cli.main", "playground", "--catalog", "catalog.yaml",
                                "--port", str(port)], cwd=tmp_path,
                               env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline().startswith(f"selfserve playground: http://127.0.0.1:{port}/ ")
        said = [process.stderr.readline().rstrip("\n") for _ in range(5)]
        assert said == ["selfserve playground: catalog.yaml has 4 problems; the page shows them, and the app "
                        "starts when the file is saved without them:", *broken_problems("catalog.yaml")]
        state = page_state(port)
        assert state["notices"]["problems"] == broken_problems("catalog.yaml") and state["people"] == []
        shutil.copy(SHIPPED, tmp_path / "catalog.yaml")
        for _ in range(200):
            state = page_state(port)
            if not state["notices"]["problems"]:
                break
            time.sleep(0.05)
        assert state["default_user"] == "U0HR1" and "Hana Reyes (HR)" in [p["name"] for p in state["people"]]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
    assert process.stdout.read() == ""


def page_state(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/client/api/state", timeout=10) as answer:
        state: dict[str, Any] = json.load(answer)
    return state
