"""``selfserve db upgrade``."""

from __future__ import annotations

from bot.config import ConfigError
from cli.common import EXIT_OK, env_database_url, fail_config
from storage.engine import create_engine
from storage.migrate import upgrade as migrate


async def upgrade() -> int:
    try:
        url = env_database_url()
    except ConfigError as error:
        return fail_config(error)
    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
    print("database is up to date")
    return EXIT_OK
