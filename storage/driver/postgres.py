"""PostgreSQL through asyncpg pools, with SQLAlchemy's own JSON codecs (same stored values).

Round trips are most of the cost here (each is a send and a wake-up), so:

* no pre-ping per checkout and no reset query on release (transactions leave no session
  state: no SET, LISTEN, advisory lock or open cursor). A connection the server closed is
  noticed on its first statement instead, and replaced and retried there, which is safe
  because nothing has run on it yet; the rest of the pool is expired at the same time,
  since a server restart kills every connection at once;
* reads run without BEGIN/COMMIT on connections of a pool whose sessions are
  ``default_transaction_read_only``. Under READ COMMITTED every statement takes its own
  snapshot whether or not it is inside a transaction block, so the block bought nothing
  but two round trips; the read-only setting still refuses any write.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import asyncpg
from sqlalchemy.engine import URL

from storage.driver import DriverTransaction, IntegrityViolation

POOL_MAX_SIZE = 10
READ_POOL_MAX_SIZE = 5
CLOSE_GRACE_SECONDS = 10.0
ACQUIRE_TIMEOUT_SECONDS = 30.0  # as SQLAlchemy's pool_timeout: a stuck database fails requests, not queues them
STATEMENT_CACHE = 256  # prepared statements per connection (each count of a PerSize is one)
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
    def __init__(self, connection: asyncpg.Connection, driver: PostgresDriver, pool: asyncpg.Pool) -> None:
        super().__init__(driver.dialect)
        self.connection = connection
        self._pool = pool
        self._ended = False
        self.fresh = True  # nothing has run on this connection yet: a lost one may be replaced

    async def _fetch(self, sql: str, parameters: tuple[Any, ...]) -> list[Any]:
        rows: list[Any] = await self._call("fetch", sql, parameters)
        return rows

    async def _execute(self, sql: str, parameters: tuple[Any, ...]) -> int:
        status = await self._call("execute", sql, parameters)
        count = status.rpartition(" ")[2]  # "UPDATE 3", "INSERT 0 1", "DELETE 0"
        return int(count) if count.isdigit() else 0

    def end(self) -> None:
        """Called when the block ends: the handle must not run anything afterwards."""
        self._ended = True

    async def _call(self, method: str, sql: str, parameters: tuple[Any, ...]) -> Any:
        if self._ended:
            raise RuntimeError("this transaction has ended")
        try:
            return await getattr(self.connection, method)(sql, *parameters)
        except _LOST_CONNECTION:
            if not self.fresh:
                raise
            await self.replace_connection()
            return await getattr(self.connection, method)(sql, *parameters)
        except asyncpg.exceptions.IntegrityConstraintViolationError as error:
            raise IntegrityViolation(str(error)) from error
        finally:
            self.fresh = False

    async def replace_connection(self) -> None:
        """Swap a connection the server closed for a new one, and have the pool replace the
        others on their next checkout (a restarted server closed them all)."""
        _discard(self.connection)
        with suppress(asyncpg.exceptions.InterfaceError):  # asyncpg may have released it already
            await self._pool.release(self.connection)
        await self._pool.expire_connections()
        self.connection = await self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS)


def _discard(connection: asyncpg.Connection) -> None:
    with suppress(asyncpg.exceptions.InterfaceError):  # already closed and handed back
        connection.terminate()


class PostgresDriver:
    def __init__(self, url: URL) -> None:
        self.dialect = url.get_dialect()()
        _, options = self.dialect.create_connect_args(url)  # host, port, ssl, … as SQLAlchemy reads the URL
        self._connect = {key: value for key, value in options.items()
                         if key not in ("prepared_statement_cache_size", "prepared_statement_name_func")}
        self._connect["statement_cache_size"] = options.get("prepared_statement_cache_size", STATEMENT_CACHE)
        self._pools: dict[bool, asyncpg.Pool] = {}
        self._opening = asyncio.Lock()
        self._closed = False

    @property
    def connect_options(self) -> dict[str, Any]:
        """``asyncpg.connect`` arguments for a connection of one's own (LISTEN)."""
        return dict(self._connect)

    async def _pool(self, read_only: bool) -> asyncpg.Pool:
        if self._closed:
            raise RuntimeError("the database driver is closed")
        if read_only not in self._pools:
            async with self._opening:
                if read_only not in self._pools:
                    settings = {"default_transaction_read_only": "on"} if read_only else {}
                    pool = await asyncpg.create_pool(
                        min_size=1, max_size=READ_POOL_MAX_SIZE if read_only else POOL_MAX_SIZE,
                        init=_set_codecs, reset=_keep_session, server_settings=settings, **self._connect)
                    if self._closed:  # close() ran while the pool was opening
                        await pool.close()
                        raise RuntimeError("the database driver is closed")
                    self._pools[read_only] = pool
        return self._pools[read_only]

    @asynccontextmanager
    async def transaction(self, *, read_only: bool = False) -> AsyncIterator[PostgresTransaction]:
        pool = await self._pool(read_only)
        tx = PostgresTransaction(await pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS), self, pool)
        try:
            if read_only:
                yield tx
                tx.committed = True  # nothing to commit: reads ran in autocommit
                return
            block = await self._begin(tx)
            try:
                yield tx
            except BaseException:
                try:
                    await block.rollback()
                except Exception:
                    _discard(tx.connection)  # broken mid-transaction; the original error matters
                raise
            await block.commit()
            tx.committed = True
        finally:
            tx.end()
            with suppress(asyncpg.exceptions.InterfaceError):  # a lost connection asyncpg already released
                await pool.release(tx.connection)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[PostgresTransaction]:
        """A REPEATABLE READ transaction on the read-only pool: every statement sees the
        snapshot the first one took (audit export and verify). Rolled back at the end."""
        pool = await self._pool(True)
        tx = PostgresTransaction(await pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS), self, pool)
        try:
            block = await self._begin(tx, isolation="repeatable_read", readonly=True)
            try:
                yield tx
            finally:
                try:
                    await block.rollback()
                except Exception:
                    _discard(tx.connection)  # broken mid-transaction; whatever the block raised matters more
            tx.committed = True
        finally:
            tx.end()
            with suppress(asyncpg.exceptions.InterfaceError):  # a lost connection asyncpg already released
                await pool.release(tx.connection)

    async def _begin(self, tx: PostgresTransaction, **options: Any) -> Any:
        block = tx.connection.transaction(**options)
        try:
            await block.start()
        except _LOST_CONNECTION:
            await tx.replace_connection()
            block = tx.connection.transaction(**options)
            await block.start()
        tx.fresh = False  # statements now run inside the block: never retried on another connection
        return block

    async def close(self) -> None:
        """Wait (up to ``CLOSE_GRACE_SECONDS``) for checked-out connections to come back,
        then close them all; connections still out after that are cut."""
        self._closed = True
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            try:
                await asyncio.wait_for(pool.close(), CLOSE_GRACE_SECONDS)
            except TimeoutError:
                pool.terminate()
