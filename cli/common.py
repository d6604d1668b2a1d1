"""Helpers every subcommand shares: settings errors as one line, and the exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import DEFAULT_DATABASE_URL, ConfigError, database_url
from storage.database import Database
from storage.engine import create_engine, is_sqlite
from storage.migrate import is_current

EXIT_OK, EXIT_PROBLEM, EXIT_CONFIG = 0, 1, 2


def fail_config(error: ConfigError) -> int:
    """One line naming the setting, exit code 2."""
    print(f"selfserve: configuration error: {error}", file=sys.stderr)
    return EXIT_CONFIG


def env_database_url() -> str:
    """DATABASE_URL for commands that need only the database (raises ConfigError)."""
    return database_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))


@asynccontextmanager
async def open_database() -> AsyncIterator[Database]:
    """The bot's storage on DATABASE_URL, for commands that read or change its state. Refuses
    (ConfigError) a database without the current schema rather than creating or migrating one:
    a mistyped URL must not leave an empty database behind."""
    url = env_database_url()
    if is_sqlite(url) and not Path(make_url(url).database or "").exists():
        raise ConfigError("DATABASE_URL", f"no database file at {make_url(url).database}")
    engine = create_engine(url)
    try:
        if not await is_current(engine):
            raise ConfigError("DATABASE_URL", "the database has no selfserve schema, or an old one "
                                              "(run `selfserve db upgrade`)")
        async with Database(engine) as database:
            yield database
    finally:
        await engine.dispose()
