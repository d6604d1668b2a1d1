"""Schema migrations, driven from Python so ``selfserve run`` and the tests share one path."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (idempotent)."""
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync_conn: command.upgrade(_config(sync_conn), revision))


async def is_current(engine: AsyncEngine) -> bool:
    """Whether the database is at the newest migration (health checks, refusing to serve)."""

    def check(sync_conn: Connection) -> bool:
        heads = set(ScriptDirectory.from_config(_config(sync_conn)).get_heads())
        return set(MigrationContext.configure(sync_conn).get_current_heads()) == heads

    async with engine.connect() as conn:
        return await conn.run_sync(check)
