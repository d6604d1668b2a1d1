"""The bot's and the CLI's one road to the database: raw drivers running statements
compiled by SQLAlchemy.

``Driver.transaction()`` yields a ``Transaction`` (one connection, one transaction) that
runs prebuilt ``Statement``s; ``Driver.snapshot()`` is a read-only one whose statements all
see the same moment, and ``pages()`` streams a large result through it. SQLite runs on the
event loop's own thread (see ``storage.driver.sqlite`` for why that is safe and fast);
PostgreSQL runs on an asyncpg pool. SQLAlchemy's engine is left to migrations (and to the
tests, as an independent reader): same schema, same stored formats.
"""

from __future__ import annotations

import asyncio
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, suppress
from typing import Any, Protocol

import asyncpg
from sqlalchemy.engine import Dialect

from storage.driver.statement import InsertMany, Statement

# What the drivers raise when the database is unreachable or refuses (beside IntegrityViolation).
DRIVER_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError)


class IntegrityViolation(Exception):
    """A unique or foreign-key constraint refused a write (the transaction must roll back)."""


class Transaction(Protocol):
    committed: bool  # True once COMMIT has returned (for readers: once the block ended normally)

    async def rows(self, statement: Statement, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Run a statement that returns rows; each row has attribute access by column key."""

    async def run(self, statement: Statement, params: Mapping[str, Any] | None = None) -> int:
        """Run a statement that returns no rows; returns how many rows it changed."""


class DriverTransaction(ABC):
    """What both drivers share: compiled statements in, named rows out."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self.committed = False  # set by the driver once COMMIT has returned

    async def rows(self, statement: Statement, params: Mapping[str, Any] | None = None) -> list[Any]:
        compiled = statement.compiled(self._dialect)
        return compiled.rows(await self._fetch(compiled.sql, compiled.parameters(params or {})))

    async def run(self, statement: Statement, params: Mapping[str, Any] | None = None) -> int:
        compiled = statement.compiled(self._dialect)
        return await self._execute(compiled.sql, compiled.parameters(params or {}))

    @abstractmethod
    async def _fetch(self, sql: str, parameters: tuple[Any, ...]) -> Sequence[Sequence[Any]]:
        """The result tuples of ``sql``; a constraint violation raises ``IntegrityViolation``."""

    @abstractmethod
    async def _execute(self, sql: str, parameters: tuple[Any, ...]) -> int:
        """Run ``sql``; how many rows it changed. A violation raises ``IntegrityViolation``."""


class Driver(Protocol):
    dialect: Dialect

    def transaction(self, *, read_only: bool = False) -> AbstractAsyncContextManager[Transaction]:
        """One transaction on one connection: committed when the block ends normally, rolled
        back when it raises. ``read_only`` ones must not write."""

    def snapshot(self) -> AbstractAsyncContextManager[Transaction]:
        """A read-only transaction whose statements all see the database as it was at the
        first of them, however long it lasts (exports). Writers never wait for it."""

    async def close(self) -> None:
        """Close every connection (the driver cannot be used afterwards)."""


async def first(tx: Transaction, statement: Statement, params: Mapping[str, Any] | None = None) -> Any | None:
    """The first row of ``statement``, or None."""
    found = await tx.rows(statement, params)
    return found[0] if found else None


async def insert_many(tx: Transaction, statement: InsertMany, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    """Insert ``rows`` in as few statements as possible; the RETURNING rows, if any."""
    returned: list[Any] = []
    for chunk, params in statement.chunks(rows):
        returned += await tx.rows(chunk, params)
    return returned


async def pages(tx: Transaction, statement: Statement, params: Mapping[str, Any] | None = None, *, key: str,
                after: Any, size: int, prepare: Callable[[list[Any]], Awaitable[list[Any]]] | None = None,
                ) -> AsyncGenerator[list[Any], None]:
    """The rows of ``statement``, ``size`` at a time, however many there are (keyset pagination).

    ``statement`` must order its rows by ``key``, a unique column, and return at most its
    ``limit`` parameter of those whose key is greater than its ``after`` parameter; ``after``
    here is where to start (below every key). Run it in a ``Driver.snapshot()`` for pages of
    one moment. Two pages are held at a time: the next one is requested before this one is
    handed over, so the server prepares it while the caller works. ``prepare``, if given,
    turns each page into what is handed over, and may run statements in ``tx`` (nothing else
    is in flight while it runs); the caller must not. Close the iterator
    (``contextlib.aclosing``) before the transaction ends if you stop early.
    """
    if size < 1:
        raise ValueError(f"pages of {size} rows")
    values = {**(params or {}), "limit": size}

    def fetch(last: Any) -> asyncio.Future[list[Any]]:
        return asyncio.ensure_future(tx.rows(statement, {**values, "after": last}))

    pending: asyncio.Future[list[Any]] | None = fetch(after)
    try:
        while pending is not None:
            rows = await pending
            pending = None
            last = getattr(rows[-1], key) if len(rows) == size else None  # a short page is the last
            if rows and prepare is not None:
                rows = await prepare(rows)
            if last is not None:
                pending = fetch(last)
                await asyncio.sleep(0)  # lets the fetch send its request before the caller gets busy
            if rows:
                yield rows
    finally:
        if pending is not None:
            with suppress(Exception):  # the caller wants no more rows; the fetch only has to finish
                await pending


def open_driver(url: str) -> Driver:
    """The driver for a SQLAlchemy URL (``sqlite+aiosqlite://…`` or ``postgresql+asyncpg://…``);
    connections open on first use."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        from storage.driver.sqlite import SqliteDriver

        return SqliteDriver(parsed)
    from storage.driver.postgres import PostgresDriver

    return PostgresDriver(parsed)
