"""The hot path's database access: raw drivers running statements compiled by SQLAlchemy.

``Driver.transaction()`` yields a ``Transaction`` (one connection, one transaction) that
runs prebuilt ``Statement``s. SQLite runs on the event loop's own thread (see
``storage.driver.sqlite`` for why that is safe and fast); PostgreSQL runs on an asyncpg pool.
SQLAlchemy's engine is still what migrations, the CLI and tests use: same schema, same
stored formats.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
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
        return [compiled.row(raw) for raw in await self._fetch(compiled.sql, compiled.parameters(params or {}))]

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
