"""The ``selfserve`` command line, run as real subprocesses the way an operator runs it.

Every call goes through ``python -m cli.main`` in the project root with a copy of the
environment in which every selfserve setting is cleared first, so nothing from the caller's
shell leaks in, and every call has a timeout.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text

from domain.records import AuditEntry
from slackstub import SlackClientSim, SlackStandIn
from storage.audit_chain import format_time
from storage.database import Database
from storage.engine import create_engine
from tests.audit_log import stored_events

ROOT = Path(__file__).resolve().parent.parent
E2E_CATALOG = "tests/catalog_e2e.yaml"  # relative to ROOT, the subprocesses' working directory
SETTINGS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "DATABASE_URL", "CATALOG_PATH", "PORT",
            "HOST", "LOG_LEVEL", "SLACK_APP_TOKEN")  # the environment must not switch a test to Socket Mode
TIMEOUT = 30.0
BOT_TOKEN = "xoxb-test-token"
SIGNING_SECRET = "cli-test-signing-secret"
# The same answers as GOOD in tests/test_e2e_approval_flow.py.
GOOD = {"full_name": "Ada Lovelace", "email": "ada@example.com", "start_date": "2026-12-01",
        "department": "Engineering", "laptops": "1"}

# A catalog with four distinct mistakes; the line numbers below are the lines of BROKEN_CATALOG.
BROKEN_CATALOG = """\
roles:
  hr: {members: [U0HR1, U0HR2]}
actions:
  new-employee:
    title: Onboard
    requesters: [hrr]
    fields:
      - {id: full_name, label: Full name, type: text}
      - {id: email, label: Email, type: emial}
      - {id: n, label: N, type: number, min: 5, max: 1}
    approvals:
      - {role: hr, min_approvals: 0}
"""


def broken_problems(path: Path | str) -> list[str]:
    """What ``selfserve check`` says about BROKEN_CATALOG saved at ``path``, line by line."""
    return [
        f"{path}:6: actions.new-employee.requesters[0]: unknown role 'hrr' (did you mean 'hr'?)",
        f"{path}:9: actions.new-employee.fields[1].type: unknown type 'emial' "
        "(expected one of: text, textarea, email, url, number, date, time, datetime, select, multi_select, "
        "user, users, channel, checkbox, checkboxes, radio)",
        f"{path}:10: actions.new-employee.fields[2].min: min (5) is greater than max (1)",
        f"{path}:12: actions.new-employee.approvals[0].min_approvals: must be at least 1",
    ]


@dataclass(frozen=True)
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:  # shown by failing asserts
        command = " ".join(self.args)
        return f"selfserve {command} -> {self.returncode}\n--stdout--\n{self.stdout}--stderr--\n{self.stderr}"


def cli_env(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(overrides or {})
    return env


def cli(*args: str, env: Mapping[str, str] | None = None, timeout: float = TIMEOUT) -> Result:
    """Run ``selfserve ARGS`` to completion (killed after ``timeout``)."""
    done = subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=cli_env(env), capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout, check=False)
    return Result(args, done.returncode, done.stdout, done.stderr)


async def acli(*args: str, env: Mapping[str, str] | None = None, timeout: float = TIMEOUT) -> Result:
    """``cli`` without blocking the event loop, so several runs can go at once."""
    return await asyncio.to_thread(cli, *args, env=env, timeout=timeout)


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def jsonl(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# selfserve check


SHIPPED_VARIABLES = {"IDP_API_TOKEN": "t1", "DEPLOY_TOKEN": "t2", "IAM_TOKEN": "t3"}
"""The ``${VAR}``s the shipped catalog's webhooks read: with them set, its check is clean."""


async def test_check_accepts_the_shipped_catalog(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN_CATALOG, encoding="utf-8")
    default, named = await asyncio.gather(
        acli("check", env=SHIPPED_VARIABLES),  # ./catalog.yaml when neither an argument nor CATALOG_PATH is given
        acli("check", "catalog.yaml", env={"CATALOG_PATH": str(broken), **SHIPPED_VARIABLES}),  # the argument wins
    )
    assert default.returncode == 0, default
    assert re.fullmatch(r"\./catalog\.yaml: OK \(\d+ actions, \d+ roles\)\n", default.stdout), default
    assert default.stderr == "", default
    assert named.returncode == 0, named
    assert named.stdout == default.stdout.removeprefix("./"), named


async def test_check_warns_of_each_unset_variable_at_its_line_and_still_passes() -> None:
    result = await acli("check", env={"DEPLOY_TOKEN": "set"})
    assert result.returncode == 0, result
    assert re.fullmatch(r"\./catalog\.yaml: OK \(\d+ actions, \d+ roles, 3 warnings\)\n", result.stdout), result
    lines = (ROOT / "catalog.yaml").read_text().splitlines()
    warnings = result.stderr.splitlines()
    assert len(warnings) == 3 and not any("DEPLOY_TOKEN" in line for line in warnings), result
    for warning in warnings:
        where, path, message = warning.split(": ", 2)
        name = re.search(r"\$\{(\w+)\}", message)
        assert name and message.startswith("warning: ") and name[1] in SHIPPED_VARIABLES, warning
        assert f"${{{name[1]}}}" in lines[int(where.rsplit(":", 1)[1]) - 1], warning  # the line that reads it
        assert path.endswith("webhook.headers.Authorization"), warning


async def test_check_lists_every_problem_like_a_compiler(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN_CATALOG, encoding="utf-8")
    result = await acli("check", str(broken))
    assert result.returncode == 1, result
    assert result.stdout == "", result
    assert result.stderr.splitlines() == broken_problems(broken) + ["4 problems found."], result


async def test_check_on_a_missing_file_says_it_cannot_read_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = await acli("check", str(missing))
    assert result.returncode == 1, result
    assert result.stdout == "", result
    assert result.stderr.splitlines() == [f"{missing}: cannot read file (No such file or directory)",
                                          "1 problem found."], result


async def test_check_without_an_argument_reads_catalog_path(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN_CATALOG, encoding="utf-8")
    bad, good = await asyncio.gather(acli("check", env={"CATALOG_PATH": str(broken)}),
                                     acli("check", env={"CATALOG_PATH": E2E_CATALOG}))
    assert bad.returncode == 1, bad
    assert bad.stderr.splitlines() == broken_problems(broken) + ["4 problems found."], bad
    assert good.returncode == 0, good
    assert good.stdout == f"{E2E_CATALOG}: OK (4 actions, 5 roles)\n", good


# selfserve run: settings and catalog refused before serving


def run_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """Valid settings for ``selfserve run`` (nothing listens on PORT unless the test means it to)."""
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "DATABASE_URL": sqlite_url(tmp_path / "run.db"),
        "CATALOG_PATH": "catalog.yaml",
        "PORT": "3000",
        "HOST": "127.0.0.1",
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


async def test_run_refuses_bad_settings_with_one_line_naming_the_variable(tmp_path: Path) -> None:
    cases: dict[str, tuple[dict[str, Any], str]] = {
        "missing token": ({"SLACK_BOT_TOKEN": None},
                          "SLACK_BOT_TOKEN: is not set (the bot token starts with xoxb-)"),
        "user token": ({"SLACK_BOT_TOKEN": "xoxp-123"}, "SLACK_BOT_TOKEN: must be a bot token starting with xoxb-"),
        "missing secret": ({"SLACK_SIGNING_SECRET": None}, "SLACK_SIGNING_SECRET: is not set"),
        "bad port": ({"PORT": "abc"}, "PORT: must be a number from 1 to 65535, got 'abc'"),
        "mysql": ({"DATABASE_URL": "mysql://x"},
                  "DATABASE_URL: driver 'mysql' is not supported (use one of: sqlite+aiosqlite, postgresql+asyncpg)"),
        "ftp api": ({"SLACK_API_URL": "ftp://x"}, "SLACK_API_URL: must be an http(s) URL, got 'ftp://x'"),
    }
    results = await asyncio.gather(*(acli("run", env=run_env(tmp_path, **overrides), timeout=20)
                                     for overrides, _ in cases.values()))
    for (case, (_, message)), result in zip(cases.items(), results, strict=True):
        assert result.returncode == 2, f"{case}: {result}"
        assert result.stderr.splitlines() == [f"selfserve: configuration error: {message}"], f"{case}: {result}"
    assert not (tmp_path / "run.db").exists(), "nothing may touch the database before the settings are valid"


async def test_run_refuses_a_broken_catalog_and_audits_it(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN_CATALOG, encoding="utf-8")
    env = run_env(tmp_path, CATALOG_PATH=str(broken))
    result = await acli("run", env=env)
    assert result.returncode == 2, result
    lines = result.stderr.splitlines()
    for problem in broken_problems(broken):
        assert problem in lines, result
    assert (f"selfserve: configuration error: CATALOG_PATH: {broken} has 4 problem(s); "
            "run `selfserve check` after fixing") in lines, result

    exported = await acli("audit", "export", env={"DATABASE_URL": env["DATABASE_URL"]})
    assert exported.returncode == 0, exported
    [event] = jsonl(exported)
    assert (event["seq"], event["kind"], event["outcome"], event["actor"], event["request"]) == \
        (1, "catalog_error", "error", None, None)
    assert event["details"] == {"path": str(broken), "problems": broken_problems(broken)}


# selfserve run: a real process serving a real (stand-in) Slack


async def test_run_serves_a_request_end_to_end_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    stub = SlackStandIn(bot_token=BOT_TOKEN)
    await stub.start()  # stopped in the finally below
    for user_id in ("U0HR1", "U0HR2", "U0IT1", "U0IT2"):
        stub.add_user(user_id, name=user_id.lower(), real_name=f"User {user_id}")
    port = free_port()
    database = sqlite_url(tmp_path / "s.db")
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text((ROOT / E2E_CATALOG).read_text())
    env = cli_env(run_env(tmp_path, SLACK_API_URL=stub.api_url, DATABASE_URL=database, CATALOG_PATH=str(catalog),
                          PORT=str(port)))
    log_path = tmp_path / "run.log"
    slack = SlackClientSim(app_url=f"http://127.0.0.1:{port}/slack/events", signing_secret=SIGNING_SECRET, stub=stub)
    process: asyncio.subprocess.Process | None = None

    def output() -> str:
        return log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""

    try:
        with open(log_path, "wb") as log:
            process = await asyncio.create_subprocess_exec(sys.executable, "-m", "cli.main", "run", cwd=ROOT, env=env,
                                                           stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + 15
        async with aiohttp.ClientSession() as http:
            while True:
                assert process.returncode is None, f"selfserve run exited early ({process.returncode}):\n{output()}"
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz",
                                        timeout=aiohttp.ClientTimeout(total=2)) as health:
                        if health.status == 200:
                            body = await health.json()
                            assert (body["status"], body["database"], body["jobs"]["due"]) == ("ok", "ok", 0)
                            break
                except (aiohttp.ClientError, TimeoutError):
                    pass  # not listening yet
                assert time.monotonic() < deadline, f"/healthz never answered 200 within 15 s:\n{output()}"
                await asyncio.sleep(0.1)

        response = await slack.slash_command(user_id="U0HR1", command="/selfserve", text="new-employee")
        assert response.status == 200, response.text
        [opened] = await stub.wait_for("views.open", timeout=10)
        assert opened.ok, opened.response
        submitted = await slack.submit_view(dict(opened.response["view"]), user_id="U0HR1", values=GOOD)
        assert submitted.status == 200 and submitted.text in ("", "{}"), submitted.text

        hr2_dm = stub.dm_channel("U0HR2")
        await stub.wait_for("chat.postMessage", timeout=10, predicate=lambda call: (
            call.ok and call.args.get("channel") == hr2_dm and "Approval needed" in call.args.get("text", "")))

        catalog.write_text(catalog.read_text().replace(  # SIGHUP puts an edit in force
            "actions:\n", "actions:\n  badge:\n    title: Badge\n    fields: [{id: why, label: Why, type: text}]\n", 1))
        process.send_signal(signal.SIGHUP)
        for _ in range(100):
            response = await slack.slash_command(user_id="U0HR1", command="/selfserve", text="badge")
            if response.text in ("", "{}"):  # no "no action called badge": the form opens
                break
            await asyncio.sleep(0.05)
        await stub.wait_for("views.open", count=2, timeout=10)

        process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            raise AssertionError(f"selfserve run did not stop within 10 s of SIGTERM:\n{output()}") from None
        assert code == 0, f"exit code {code} after SIGTERM:\n{output()}"
    finally:
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
        await slack.close()
        await stub.stop()

    verified, exported = await asyncio.gather(acli("audit", "verify", env={"DATABASE_URL": database}),
                                              acli("audit", "export", env={"DATABASE_URL": database}))
    assert verified.returncode == 0, verified
    assert "intact" in verified.stdout, verified
    kinds = [event["kind"] for event in jsonl(exported)]
    assert kinds[0] == "startup", exported
    for kind in ("command", "modal_opened", "request_created", "request_routed", "message_sent", "catalog_reloaded"):
        assert kind in kinds, exported
    assert re.fullmatch(rf"audit chain intact: {len(kinds)} events verified\n", verified.stdout), verified


# selfserve audit export / verify on a filled database (SQLite, and PostgreSQL with TEST_DATABASE_URL)

TRICKY = {"note": 'commas, "double quotes", \'single\'\nand a second line', "ünï": "<&>"}
ENTRIES = [
    AuditEntry("command", "ok", "U0HR1", None, {"text": "new-employee"}),
    AuditEntry("request_created", "ok", "U0HR1", "REQ-1", {"action": "new-employee"}),
    AuditEntry("request_created", "ok", "U0HR2", "REQ-2", TRICKY),
    AuditEntry("decision", "ok", "U0IT1", "REQ-2", {"verdict": "approved", "step": 0}),
    AuditEntry("message_sent", "ok", None, "REQ-1", {}),
]


async def fill(database_url: str) -> list[datetime]:
    """Append ENTRIES one transaction each, as the app does; returns the stored event times."""
    engine = create_engine(database_url)
    try:
        async with Database(engine) as database:
            for entry in ENTRIES:
                async with database.unit_of_work() as uow:
                    uow.audit(entry)
        return [event.occurred_at for event in await stored_events(engine)]
    finally:
        await engine.dispose()


async def test_audit_export_and_verify_on_an_intact_chain(database_url: str) -> None:
    stored = await fill(database_url)
    assert stored == sorted(set(stored)), "each event needs its own time for the --since checks"
    env = {"DATABASE_URL": database_url}
    third_elsewhere = stored[2].astimezone(timezone(timedelta(hours=2))).isoformat()  # same moment, UTC+2
    now = datetime.now(UTC)
    verified, everything, req2, future, past, from_third, garbage = await asyncio.gather(
        acli("audit", "verify", env=env),
        acli("audit", "export", env=env),
        acli("audit", "export", "--request", "REQ-2", env=env),
        acli("audit", "export", "--since", (now + timedelta(days=1)).isoformat(), env=env),
        acli("audit", "export", "--since", "2000-01-01T00:00:00Z", env=env),
        acli("audit", "export", "--since", third_elsewhere, env=env),
        acli("audit", "export", "--since", "garbage", env=env),
    )
    assert verified.returncode == 0, verified
    assert verified.stdout == f"audit chain intact: {len(ENTRIES)} events verified\n", verified
    assert everything.returncode == 0, everything
    events = jsonl(everything)
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    assert [(e["kind"], e["actor"], e["request"], e["details"]) for e in events] == \
        [(e.kind, e.actor, e.request_ref, dict(e.details or {})) for e in ENTRIES]
    assert all(set(e) == {"seq", "time", "actor", "request", "kind", "outcome", "details", "prev_hash", "hash"}
               for e in events)
    assert events[0]["prev_hash"] == "0" * 64
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in zip(events, events[1:], strict=False))
    assert [e["time"] for e in events] == [format_time(moment) for moment in stored]

    assert [e["seq"] for e in jsonl(req2)] == [3, 4], req2
    assert jsonl(req2)[0]["details"] == TRICKY
    assert (future.returncode, future.stdout) == (0, ""), future
    assert past.returncode == 0 and past.stdout == everything.stdout, past
    assert [e["seq"] for e in jsonl(from_third)] == [3, 4, 5], from_third  # --since is inclusive
    assert garbage.returncode == 1, garbage
    assert garbage.stdout == "", garbage
    assert garbage.stderr == "selfserve: --since: not an ISO time: 'garbage'\n", garbage


async def test_audit_export_csv_round_trips_through_the_csv_module(database_url: str) -> None:
    await fill(database_url)
    env = {"DATABASE_URL": database_url}
    as_csv = await acli("audit", "export", "--format", "csv", env=env)
    assert as_csv.returncode == 0, as_csv
    rows = list(csv.reader(io.StringIO(as_csv.stdout, newline="")))
    assert rows[0] == ["seq", "time", "actor", "request", "kind", "outcome", "details", "prev_hash", "hash"]
    assert len(rows) == 1 + len(ENTRIES) and all(len(row) == 9 for row in rows), as_csv
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [int(record["seq"]) for record in records] == [1, 2, 3, 4, 5]
    for record, entry in zip(records, ENTRIES, strict=True):
        assert (record["kind"], record["outcome"]) == (entry.kind, entry.outcome)
        assert (record["actor"], record["request"]) == (entry.actor or "", entry.request_ref or "")  # None: empty
        assert json.loads(record["details"]) == dict(entry.details or {})
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", record["time"]), record
        assert re.fullmatch(r"[0-9a-f]{64}", record["hash"]) and re.fullmatch(r"[0-9a-f]{64}", record["prev_hash"])
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in zip(records, records[1:], strict=False))
    assert '\n' not in records[2]["details"] and "\\n" in records[2]["details"]  # the newline stays JSON-escaped


async def test_audit_verify_finds_an_edited_event(database_url: str) -> None:
    await fill(database_url)  # the same chain that verifies intact in the export test above
    env = {"DATABASE_URL": database_url}
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            changed = await conn.execute(text("UPDATE audit_events SET details = :d WHERE id = 2"),
                                         {"d": '{"action":"something-else"}'})
            assert changed.rowcount == 1
    finally:
        await engine.dispose()

    broken = await acli("audit", "verify", env=env)
    assert broken.returncode == 1, broken
    assert broken.stdout == "", broken
    assert broken.stderr == ("audit chain BROKEN at event 2: its content does not match its hash "
                             "(the event was edited) (1 events before it verified)\n"), broken


# selfserve db upgrade


async def test_db_upgrade_creates_the_schema_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    env = {"DATABASE_URL": sqlite_url(path)}
    first = await acli("db", "upgrade", env=env)
    assert first.returncode == 0, first
    assert first.stdout == "database is up to date\n", first
    second = await acli("db", "upgrade", env=env)
    assert second.returncode == 0, second
    assert second.stdout == "database is up to date\n", second

    with sqlite3.connect(path) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        head = conn.execute("SELECT last_seq, last_hash FROM audit_head").fetchall()
    conn.close()
    assert {"audit_events", "audit_head", "requests", "alembic_version"} <= tables
    assert len(versions) == 1, versions
    assert head == [(0, "0" * 64)]
