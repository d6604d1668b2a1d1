"""Reading the whole audit log fast, for ``audit export`` and ``audit verify``.

Reading through SQLAlchemy (it processes every row, and an object was built per event) held
both commands to ~30,000 events/s. This reader talks to the driver under
the engine's connection instead: rows stay the driver's own tuples (asyncpg Records) and
come in batches, and the database renders each time as ``format_time`` text. Memory stays
flat at a batch or two for any log size.
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.audit_chain import GENESIS_HASH, EventRow, format_time
from storage.models import AuditEventRow
from storage.repositories.audit import HEAD_ID, ChainHead

BATCH = 500  # small enough for a batch of rows and its text to stay in the CPU caches
COLUMNS = "id, {time}, actor, request_ref, kind, outcome, details, prev_hash, hash"
OCCURRED_AT = AuditEventRow.__table__.c.occurred_at.type
# What format_time writes for years 1000-9999 (strftime pads smaller years to no width).
TIME_TEXT = re.compile("[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6}Z")


def _unchanged(value: Any) -> Any:
    return value


class AuditReader(ABC):
    """Queries on one read-only snapshot of the log (see ``open_reader``)."""

    # SQL for the time as format_time(occurred_at) writes it, wherever the stored value is in
    # the form the app stores; anything else must fail TIME_TEXT (see _format_odd_times).
    TIME_SQL: str

    def __init__(self, driver: Any, connection: AsyncConnection) -> None:
        self._driver = driver
        # occurred_at exactly as SQLAlchemy sends (naive UTC text on SQLite) and reads it.
        dialect = connection.dialect
        occurred_at = OCCURRED_AT.dialect_impl(dialect)
        self._bind_time: Callable[[Any], Any] = occurred_at.bind_processor(dialect) or _unchanged
        self._read_time: Callable[[Any], Any] = occurred_at.result_processor(dialect, None) or _unchanged

    @abstractmethod
    def _placeholder(self, position: int) -> str:
        """The driver's marker for the query's ``position``-th parameter (from 1)."""

    @abstractmethod
    async def _fetch_all(self, sql: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        """Every row of a small query."""

    @abstractmethod
    async def _open_cursor(self, sql: str, params: Sequence[Any]) -> Callable[[], Awaitable[list[EventRow]]]:
        """Run a large query; the result fetches its next BATCH rows (an empty list at the end)."""

    async def head(self) -> ChainHead:
        """The chain's tip as recorded (genesis before the first append)."""
        rows = await self._fetch_all(f"SELECT last_seq, last_hash FROM audit_head WHERE id = {self._placeholder(1)}",
                                     (HEAD_ID,))
        return ChainHead(rows[0][0], rows[0][1]) if rows else ChainHead(0, GENESIS_HASH)

    async def batches(self, request_ref: str | None = None, since: datetime | None = None,
                      until_seq: int | None = None) -> AsyncGenerator[list[EventRow], None]:
        """Events in chain order, BATCH at a time: all of them, or only one request's, those at
        or after ``since``, those up to ``until_seq``. Close it (``aclosing``) before the
        reader's transaction ends if you stop early.

        The next batch is requested before this one is handed over, so the database (SQLite's
        thread, the PostgreSQL server) prepares it while the caller formats or hashes this one.
        """
        conditions, params = [], []
        for condition, value in (("request_ref = {}", request_ref),
                                 ("occurred_at >= {}", None if since is None else self._bind_time(since)),
                                 ("id <= {}", until_seq)):
            if value is not None:
                params.append(value)
                conditions.append(condition.format(self._placeholder(len(params))))
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        fetch = await self._open_cursor(f"SELECT {COLUMNS.format(time=self.TIME_SQL)} FROM audit_events{where} "
                                        "ORDER BY id", params)
        pending = asyncio.ensure_future(fetch())
        try:
            while rows := await pending:
                if not all(map(TIME_TEXT.fullmatch, map(itemgetter(1), rows))):
                    rows = await self._format_odd_times(rows)  # before the next fetch: one query at a time
                pending = asyncio.ensure_future(fetch())
                await asyncio.sleep(0)  # lets the fetch send its request before the caller gets busy
                yield rows
        finally:
            with suppress(Exception):  # the caller wants no more rows; the fetch only has to finish
                await pending

    async def _format_odd_times(self, rows: list[EventRow]) -> list[EventRow]:
        """Times not stored as the app stores them are read the way SQLAlchemy reads them,
        then formatted, so they come out exactly as before."""
        fixed: list[EventRow] = []
        for row in rows:
            if not TIME_TEXT.fullmatch(row[1]):
                sql = f"SELECT occurred_at FROM audit_events WHERE id = {self._placeholder(1)}"
                [(stored,)] = await self._fetch_all(sql, (row[0],))
                row = (row[0], format_time(self._read_time(stored)), *row[2:])
            fixed.append(row)
        return fixed


class _SQLiteReader(AuditReader):
    # Stored as "YYYY-MM-DD HH:MM:SS.ffffff" (naive UTC). Whatever comes out in the TIME_TEXT
    # form was stored as that text minus the "Z", with a space or a "T" (read alike) before the hour.
    TIME_SQL = "CASE WHEN typeof(occurred_at) = 'text' THEN replace(occurred_at, ' ', 'T') || 'Z' ELSE '' END"

    def _placeholder(self, position: int) -> str:
        return "?"

    async def _fetch_all(self, sql: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        return list(await self._driver.execute_fetchall(sql, params))

    async def _open_cursor(self, sql: str, params: Sequence[Any]) -> Callable[[], Awaitable[list[EventRow]]]:
        cursor = await self._driver.execute(sql, params)
        return lambda: cursor.fetchmany(BATCH)


class _PostgresReader(AuditReader):
    # Years outside 1000-9999 are left to Python (to_char pads them differently from strftime,
    # asyncpg refuses years past 9999, and infinity has no text).
    TIME_SQL = ("CASE WHEN occurred_at >= '1000-01-01 00:00:00+00' AND occurred_at < '10000-01-01 00:00:00+00'"
                """ THEN to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') ELSE '' END""")

    def _placeholder(self, position: int) -> str:
        return f"${position}"

    async def _fetch_all(self, sql: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        return list(await self._driver.fetch(sql, *params))

    async def _open_cursor(self, sql: str, params: Sequence[Any]) -> Callable[[], Awaitable[list[EventRow]]]:
        cursor = await self._driver.cursor(sql, *params)
        return lambda: cursor.fetch(BATCH)


@asynccontextmanager
async def open_reader(engine: AsyncEngine) -> AsyncIterator[AuditReader]:
    """A reader inside one read-only transaction, so the head and the events it returns are
    one consistent snapshot. On SQLite it takes no write lock: the bot keeps appending (WAL)."""
    async with engine.connect() as connection:
        driver: Any = (await connection.get_raw_connection()).driver_connection
        if connection.dialect.name == "sqlite":
            await driver.execute("BEGIN DEFERRED")
            try:
                yield _SQLiteReader(driver, connection)
            finally:
                await driver.execute("ROLLBACK")
        else:
            async with driver.transaction(isolation="repeatable_read", readonly=True):
                yield _PostgresReader(driver, connection)
