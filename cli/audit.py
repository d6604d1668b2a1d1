"""``selfserve audit export`` and ``selfserve audit verify``."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from contextlib import aclosing
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO, TypeVar

from sqlalchemy.engine import make_url

from bot.config import ConfigError
from cli.audit_format import csv_header, csv_rows, jsonl
from cli.common import EXIT_CONFIG, EXIT_OK, EXIT_PROBLEM, env_database_url, fail_config
from storage.audit_chain import EventRow
from storage.audit_reader import AuditReader, open_reader
from storage.audit_verify import verify_rows
from storage.driver import open_driver
from storage.engine import create_engine, is_sqlite
from storage.migrate import is_current

T = TypeVar("T")


def parse_since(text: str) -> datetime:
    """ISO 8601; a time without a zone is taken as UTC."""
    moment = datetime.fromisoformat(text.strip())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class NotMigrated(Exception):
    """The database has no selfserve schema (wrong URL, or never started)."""


async def _with_reader(work: Callable[[AuditReader], Awaitable[T]]) -> T:
    """``work`` on a reader of ``DATABASE_URL``, through the bot's driver; SQLAlchemy's engine
    only checks, as migrations see it, that the schema is the current one."""
    url = env_database_url()
    if is_sqlite(url) and not Path(make_url(url).database or "").exists():
        raise NotMigrated(f"no database file at {make_url(url).database}")
    engine = create_engine(url)
    try:
        current = await is_current(engine)
    finally:
        await engine.dispose()
    if not current:
        raise NotMigrated("the database has no selfserve schema, or an old one (run `selfserve db upgrade`)")
    driver = open_driver(url)
    try:
        async with open_reader(driver) as reader:
            return await work(reader)
    finally:
        await driver.close()


async def write_events(batches: AsyncIterable[Sequence[EventRow]], fmt: str, out: TextIO) -> None:
    """Write events as JSON lines (details as an object) or CSV (details as JSON text)."""
    if fmt == "csv":
        out.write(csv_header())
    write = csv_rows if fmt == "csv" else jsonl
    async for rows in batches:
        out.write(write(rows))


async def export(request: str | None, since: str | None, fmt: str, out: TextIO) -> int:
    try:
        moment = parse_since(since) if since else None
    except ValueError:
        print(f"selfserve: --since: not an ISO time: {since!r}", file=sys.stderr)
        return EXIT_PROBLEM

    async def write(reader: AuditReader) -> None:
        async with aclosing(reader.batches(request and request.upper(), moment)) as batches:
            await write_events(batches, fmt, out)

    try:
        await _with_reader(write)
    except ConfigError as error:
        return fail_config(error)
    except NotMigrated as error:
        return _not_migrated(error)
    return EXIT_OK


def _not_migrated(error: NotMigrated) -> int:
    print(f"selfserve: DATABASE_URL: {error}", file=sys.stderr)
    return EXIT_CONFIG


async def verify() -> int:
    async def check(reader: AuditReader) -> int:
        head = await reader.head()  # events appended after this moment are checked next time
        async with aclosing(reader.batches(until_seq=head.last_seq)) as batches:
            report = await verify_rows(batches, head)
        if report.intact:
            print(f"audit chain intact: {report.checked} events verified")
            return EXIT_OK
        print(f"audit chain BROKEN at event {report.broken_at}: {report.problem} "
              f"({report.checked} events before it verified)", file=sys.stderr)
        return EXIT_PROBLEM

    try:
        return await _with_reader(check)
    except ConfigError as error:
        return fail_config(error)
    except NotMigrated as error:
        return _not_migrated(error)
