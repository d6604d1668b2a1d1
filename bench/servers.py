"""The servers under test, each in its own OS process so /proc shows its CPU alone."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-token"
CATALOG = ROOT / "tests" / "catalog_e2e.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running server process: where to send events and which pid to read CPU from."""

    name: str
    process: asyncio.subprocess.Process
    port: int

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def code_env(code: Path = ROOT) -> dict[str, str]:
    """The environment of a child that must run the code in the tree ``code``.

    The virtualenv installs the project in editable mode, which maps its packages to the tree it
    was installed from (a finder that comes after sys.path); PYTHONPATH puts ``code`` first, so a
    clean clone or a ``git worktree`` of another commit runs its own code with this virtualenv.
    """
    return {**os.environ, "PYTHONPATH": str(code)}


def _env(api_url: str, port: int, extra: dict[str, str], code: Path = ROOT) -> dict[str, str]:
    return {**code_env(code), "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": api_url, "PORT": str(port), "HOST": "127.0.0.1", "LOG_LEVEL": "WARNING", **extra}


async def _ready(server: Server, probe: str, timeout: float = 30.0) -> None:
    """Poll until the server answers (``probe`` GET must not be a connection error / 5xx)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession() as session:
        while loop.time() < deadline:
            if server.process.returncode is not None:
                raise RuntimeError(f"{server.name} exited with {server.process.returncode} before it was ready")
            try:
                async with session.get(f"http://127.0.0.1:{server.port}{probe}") as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{server.name} not ready within {timeout}s")


async def start_app(name: str, api_url: str, database_url: str, code: Path = ROOT) -> Server:
    """``selfserve run`` exactly as an operator starts it (it migrates, then serves), running the
    code of the tree ``code`` (this one unless comparing with another commit)."""
    port = free_port()
    env = _env(api_url, port, {"DATABASE_URL": database_url, "CATALOG_PATH": str(CATALOG)}, code)
    process = await asyncio.create_subprocess_exec(str(ROOT / ".venv" / "bin" / "selfserve"), "run", env=env,
                                                   cwd=str(ROOT))
    server = Server(name, process, port)
    await _ready(server, "/healthz")
    return server


async def start_baseline(api_url: str) -> Server:
    """bench.baseline_app under the same interpreter; any HTTP answer on /slack/events means it is up."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.baseline_app",
                                                   env=_env(api_url, port, {}), cwd=str(ROOT))
    server = Server("baseline", process, port)
    await _ready(server, "/slack/events")
    return server


async def create_pg_database(url: str) -> tuple[str, str]:
    """A fresh, uniquely named database on ``url``'s server; returns (its URL, its name)."""
    import asyncpg

    base = make_url(url)
    name = f"selfserve_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(_dsn(base.set(drivername="postgresql")))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base.set(database=name).render_as_string(hide_password=False), name


async def drop_pg_database(url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_dsn(make_url(url).set(drivername="postgresql")))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _dsn(url: URL) -> str:
    return url.render_as_string(hide_password=False)
