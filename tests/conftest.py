"""Fixtures: a fresh, migrated database per test on SQLite and (with TEST_DATABASE_URL) on
PostgreSQL, and the running app wired to the Slack stand-in, over HTTP and, for the end-to-end
flow files, also over Socket Mode."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from storage.database import Database
    from tests.harness import Harness
    from tests.webhook_receiver import WebhookReceiver

from storage.engine import create_engine
from storage.migrate import upgrade

pytest_plugins = ("tests.browser",)  # the browser, playground and ui fixtures, for every test file

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
# Modules that test PostgreSQL alone (LISTEN/NOTIFY) are collected only where it is configured, like
# the PostgreSQL-only tests inside other modules: not collected rather than skipped.
collect_ignore = [] if PG_URL else ["test_jobs_wakeups.py"]
E2E_CATALOG = Path(__file__).parent / "catalog_e2e.yaml"
# End-to-end files whose tests run in both delivery modes (every Harness they make, whatever its fixture).
BOTH_MODES = {"test_e2e_approval_flow", "test_e2e_commands", "test_e2e_forms", "test_e2e_delivery",
              "test_e2e_matching", "test_e2e_tracking", "test_e2e_home"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests of the flow files that start the app (they use a database) run over HTTP and over Socket Mode."""
    if metafunc.module.__name__.rpartition(".")[2] in BOTH_MODES and "engine" in metafunc.fixturenames:
        metafunc.parametrize("harness_mode", ["http", "socket"], indirect=True)


@pytest.fixture(autouse=True)
def harness_mode(request: pytest.FixtureRequest) -> Iterator[str]:
    """How a Harness made in this test takes Slack's requests ("http" unless parametrized above)."""
    mode = getattr(request, "param", "http")
    if mode == "http":
        yield mode
        return
    from tests import harness

    harness.DEFAULT_MODE = mode
    try:
        yield mode
    finally:
        harness.DEFAULT_MODE = "http"


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def _pg_dsn(database: str) -> str:
    """A plain libpq DSN (asyncpg) for ``database`` on the TEST_DATABASE_URL server."""
    assert PG_URL is not None
    url = make_url(PG_URL).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


def _pg_url(database: str) -> str:
    assert PG_URL is not None
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


async def _pg_admin(sql: str) -> None:
    assert PG_URL is not None
    conn = await asyncpg.connect(_pg_dsn(make_url(PG_URL).database or "postgres"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test copies it (migrations run once, tests stay isolated)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    """A migrated PostgreSQL database used as the TEMPLATE of each test's database."""
    if PG_URL is None:
        yield None
        return
    name = f"selfserve_tmpl_{os.getpid()}"
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    asyncio.run(_migrate(_pg_url(name)))
    yield name
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_template: str | None
) -> AsyncIterator[str]:
    """A fresh database with the current schema, on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "selfserve.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"selfserve_t_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}" STRATEGY FILE_COPY')
    yield _pg_url(name)
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def harness(engine: AsyncEngine) -> AsyncIterator[Harness]:
    """The app serving real HTTP on a free port, talking to a fresh Slack stand-in."""
    from tests.harness import Harness

    async with Harness(engine, E2E_CATALOG) as running:
        yield running


@pytest.fixture
async def database(engine: AsyncEngine) -> AsyncIterator[Database]:
    """The bot's storage handle on the test database (its driver closed afterwards)."""
    from storage.database import Database

    async with Database(engine) as db:
        yield db


@pytest.fixture
async def receiver(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[WebhookReceiver]:
    """A local webhook receiver for the fulfilment tests, with their catalog's ``${SELFSERVE_TEST_TOKEN}`` set."""
    from tests.fulfilment_support import SECRET
    from tests.webhook_receiver import WebhookReceiver

    monkeypatch.setenv("SELFSERVE_TEST_TOKEN", SECRET)
    async with WebhookReceiver() as running:
        yield running
