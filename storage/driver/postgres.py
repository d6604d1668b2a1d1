"""PostgreSQL through an asyncpg pool, with SQLAlchemy's own JSON codecs (same stored values).

Two things SQLAlchemy's pool did per transaction are left out on purpose: the ``pool_pre_ping``
round trip (instead, a connection that turns out dead when its transaction *begins* is
replaced once, which is equally safe because nothing has run on it yet) and asyncpg's
reset query on release (these transactions leave no session state behind: no SET, LISTEN,
advisory lock or open cursor).
"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import asyncpg
from sqlalchemy.engine import URL

from storage.driver import DriverTransaction, IntegrityViolation

POOL_MAX_SIZE = 10
# How a pooled connection the server has closed fails on its first use; InternalClientError is
# what asyncpg raises when the loss is noticed in the middle of starting the query.
_LOST_CONNECTION = (asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.exceptions.InterfaceError,
                    asyncpg.exceptions.InternalClientError, ConnectionError)


async def _set_codecs(connection: asyncpg.Connection) -> None:
    """As ``sqlalchemy.dialects.postgresql.asyncpg`` sets them: JSON travels as text."""
    await connection.set_type_codec("json", encoder=str.encode, decoder=lambda b: json.loads(b.decode()),
                                    schema="pg_catalog", format="binary")
    await connection.set_type_codec("jsonb", encoder=lambda s: b"\x01" + s.encode(),
                                    decoder=lambda b: json.loads(b[1:].decode()), schema="pg_catalog",
                                    format="binary")


async def _keep_session(connection: asyncpg.Connection) -> None:
    """No reset query on release (see the module docstring)."""


class PostgresTransaction(DriverTransaction):
    def __init__(self, connection: asyncpg.Connection, driver: PostgresDriver) -> None:
        super().__init__(driver.dialect)
        self._connection = connection

    async def _fetch(self, sql: str, parameters: tuple[Any, ...]) -> list[Any]:
        try:
            return await self._connection.fetch(sql, *parameters)
        except asyncpg.exceptions.IntegrityConstraintViolationError as error:
            raise IntegrityViolation(str(error)) from error

    async def _execute(self, sql: str, parameters: tuple[Any, ...]) -> int:
        try:
            status = await self._connection.execute(sql, *parameters)
        except asyncpg.exceptions.IntegrityConstraintViolationError as error:
            raise IntegrityViolation(str(error)) from error
        count = status.rpartition(" ")[2]  # "UPDATE 3", "INSERT 0 1", "DELETE 0"
        return int(count) if count.isdigit() else 0


class PostgresDriver:
    def __init__(self, url: URL) -> None:
        self.dialect = url.get_dialect()()
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def _connections(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=POOL_MAX_SIZE,
                                                           init=_set_codecs, reset=_keep_session)
        return self._pool

    @asynccontextmanager
    async def transaction(self, *, read_only: bool = False) -> AsyncIterator[PostgresTransaction]:
        pool = await self._connections()
        for attempt in (1, 2):
            connection = await pool.acquire()
            try:
                transaction = connection.transaction(readonly=read_only)
                try:
                    await transaction.start()
                except _LOST_CONNECTION:
                    if attempt == 2:
                        raise
                    connection.terminate()  # the pool replaces it
                    continue
                try:
                    yield PostgresTransaction(connection, self)
                except BaseException:
                    try:
                        await transaction.rollback()
                    except Exception:
                        connection.terminate()  # broken mid-transaction; the original error matters
                    raise
                await transaction.commit()
                return
            finally:
                await pool.release(connection)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
