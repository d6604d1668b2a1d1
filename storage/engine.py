"""The SQLAlchemy engine: migrations, the CLI and tests (the bot's own statements run on
``storage.driver``, against the same database), tuned per backend.

SQLite gets WAL (readers never block the writer), foreign keys, a busy timeout and
``BEGIN IMMEDIATE`` for every transaction: deferred transactions that read and then write
would otherwise fail with "database is locked" when two clicks race, instead of queueing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "selfserve_read_only"


def is_sqlite(url: str) -> bool:
    """Whether ``url`` names a SQLite database (the single-process default)."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the process-wide async engine for ``url``."""
    if is_sqlite(url):
        # No rollback when a connection returns to the pool: every transaction is already ended
        # by its unit of work or by Connection.close(), and each extra call is a thread hop.
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                                     pool_reset_on_return=None, **kwargs)
        _tune_sqlite(engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Readers take no write lock, so a long audit export never stalls the bot (WAL).
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


def create_session_factory(engine: AsyncEngine, *, read_only: bool = False) -> async_sessionmaker[AsyncSession]:
    """ORM sessions (tests and the benchmark's scale part) that keep loaded values after commit.

    ``read_only`` sessions must not write; on SQLite they skip the write lock.
    """
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return async_sessionmaker(bind, expire_on_commit=False)
