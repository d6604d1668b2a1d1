"""Reading the whole audit log fast, for ``audit export`` and ``audit verify``.

Through the bot's own driver (``storage.driver``), in one ``Driver.snapshot()``: the head
and every event come from the same moment while the bot keeps appending, and no lock is
taken. Rows come with no per-value conversion: the database itself renders each time as
``format_time`` writes it (``TimeText``), because building a datetime per event and
formatting it again was a large share of an export's CPU. Where the database's rendering
could differ from Python's (a value not stored the way the app stores it), it renders ''
instead, and that event's time is read and formatted as SQLAlchemy would.

Events stream by keyset pagination on their sequence number (``storage.driver.pages``):
each batch is ``… WHERE id > :after ORDER BY id LIMIT :limit``, an index range scan that
starts where the last batch ended, so the last batch costs what the first did and memory
stays at two batches for any log size. It was chosen over a cursor in the driver (a
server-side cursor on PostgreSQL, ``fetchmany`` on SQLite) because it needs nothing from the
drivers but a snapshot: it is the same prepared statements, row handling and error handling
as every other read. Measured before (hand-written SQL on the engine's raw connection: an
asyncpg server-side cursor, aiosqlite ``fetchmany``) and after, on 200,000 events, as the
best of 7 alternating runs of the CLI process (0.85 s and 91 MB of it are its start):

=======================  ====================  ====================
200,000 events           SQLite                PostgreSQL (TCP)
=======================  ====================  ====================
export (JSON lines)      1.69 s -> 1.65 s      1.48 s -> 1.54 s
export --format csv      1.42 s -> 1.37 s      1.15 s -> 1.22 s
verify                   1.50 s -> 1.46 s      1.28 s -> 1.33 s
peak RSS (any of them)   94.8 MB -> 95.2 MB    93.0 MB -> 93.0 MB
=======================  ====================  ====================

On 1,000,000 events peak RSS stays the same (95 and 93 MB); SQLite is as fast as before and
PostgreSQL ~5-10 % slower (export 4.75 -> 4.92 s, verify 3.67 -> 4.07 s): a named row per
tuple (~0.2 us) and a Bind per page where the cursor only fetched. Reading the next page
while the caller formats this one is what keeps PostgreSQL close: without it export and
verify took 0.25-0.3 s longer on 200,000 events. Larger pages were slower (2,000: +10 %).
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from itertools import product
from operator import itemgetter
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from storage.audit_chain import EventRow, format_time
from storage.driver import Driver, Transaction, pages
from storage.driver.statement import Statement
from storage.models import AuditEventRow, table_of
from storage.repositories.audit import AuditRepository, ChainHead

BATCH = 500  # small enough for a batch of rows and its text to stay in the CPU caches
EVENTS = table_of(AuditEventRow)
# What format_time writes for years 1000-9999 (strftime pads smaller years to no width).
TIME_TEXT = re.compile("[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6}Z")


class TimeText(FunctionElement[str]):
    """A timestamp column as ``format_time`` writes it, rendered by the database; '' where
    the database cannot be relied on to write the same (TIME_TEXT then fails)."""

    type = String()
    inherit_cache = True
    name = "time_text"


@compiles(TimeText, "sqlite")
def _time_text_sqlite(element: TimeText, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored as "YYYY-MM-DD HH:MM:SS.ffffff" (naive UTC). Whatever comes out in the TIME_TEXT
    # form was stored as that text minus the "Z", with a space or a "T" (read alike) before the hour.
    [column] = element.clauses
    as_written = func.replace(column, " ", "T", type_=String) + "Z"
    return compiler.process(case((func.typeof(column, type_=String) == "text", as_written), else_=""), **kw)


@compiles(TimeText, "postgresql")
def _time_text_postgresql(element: TimeText, compiler: SQLCompiler, **kw: Any) -> str:
    # Years outside 1000-9999 are left to Python (to_char pads them differently from strftime,
    # asyncpg refuses years past 9999, and infinity has no text). So is the last day of 9999,
    # which Python formats the same: asyncpg sends datetime.max as infinity, so no bound closer
    # to 10000-01-01 can be written as a datetime.
    [column] = element.clauses
    written = func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"', type_=String)
    in_range = and_(column >= datetime(1000, 1, 1, tzinfo=UTC), column < datetime(9999, 12, 31, tzinfo=UTC))
    return compiler.process(case((in_range, written), else_=""), **kw)


def _events(request_ref: bool, since: bool, until_seq: bool) -> Statement:
    query = select(EVENTS.c.id.label("seq"), TimeText(EVENTS.c.occurred_at).label("time"), EVENTS.c.actor,
                   EVENTS.c.request_ref, EVENTS.c.kind, EVENTS.c.outcome, EVENTS.c.details, EVENTS.c.prev_hash,
                   EVENTS.c.hash).where(EVENTS.c.id > bindparam("after", type_=Integer))
    if request_ref:
        query = query.where(EVENTS.c.request_ref == bindparam("request_ref"))
    if since:
        query = query.where(EVENTS.c.occurred_at >= bindparam("since"))
    if until_seq:
        query = query.where(EVENTS.c.id <= bindparam("until_seq"))
    return Statement(query.order_by(EVENTS.c.id).limit(bindparam("limit", type_=Integer)))


# Events in chain order, a page at a time (see ``storage.driver.pages``), with the time as
# text: by which filters apply (request_ref, since, until_seq), each its own prepared statement.
EVENT_PAGES = {filters: _events(*filters) for filters in product((False, True), repeat=3)}


# occurred_at as stored, read by its column type as SQLAlchemy reads it
OCCURRED_AT = Statement(select(EVENTS.c.occurred_at).where(EVENTS.c.id == bindparam("seq")))


class AuditReader:
    """Queries on one read-only snapshot of the log (see ``open_reader``)."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def head(self) -> ChainHead:
        """The chain's tip as recorded (genesis before the first append)."""
        return await AuditRepository(self._tx).head()

    def batches(self, request_ref: str | None = None, since: datetime | None = None,
                until_seq: int | None = None) -> AsyncGenerator[list[EventRow], None]:
        """Events in chain order, BATCH at a time: all of them, or only one request's, those at
        or after ``since``, those up to ``until_seq``. Close it (``aclosing``) before the
        reader's transaction ends if you stop early."""
        filters = {"request_ref": request_ref, "since": since, "until_seq": until_seq}
        statement = EVENT_PAGES[request_ref is not None, since is not None, until_seq is not None]
        params = {name: value for name, value in filters.items() if value is not None}
        return pages(self._tx, statement, params, key="seq", after=0, size=BATCH, prepare=self._format_odd_times)

    async def _format_odd_times(self, rows: list[EventRow]) -> list[EventRow]:
        """Times not stored as the app stores them are read the way SQLAlchemy reads them,
        then formatted, so they come out exactly as before."""
        if all(map(TIME_TEXT.fullmatch, map(itemgetter(1), rows))):
            return rows
        fixed: list[EventRow] = []
        for row in rows:
            if not TIME_TEXT.fullmatch(row[1]):
                [stored] = await self._tx.rows(OCCURRED_AT, {"seq": row[0]})
                row = (row[0], format_time(stored.occurred_at), *row[2:])
            fixed.append(row)
        return fixed


@asynccontextmanager
async def open_reader(driver: Driver) -> AsyncIterator[AuditReader]:
    """A reader inside one snapshot, so the head and the events it returns are one
    consistent moment. It takes no lock: the bot keeps appending meanwhile."""
    async with driver.snapshot() as tx:
        yield AuditReader(tx)
