"""``selfserve audit export`` and ``selfserve audit verify``."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from datetime import datetime, timezone
from typing import AsyncIterator, Awaitable, Callable, TextIO, TypeVar

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import ConfigError
from cli.common import EXIT_CONFIG, EXIT_OK, EXIT_PROBLEM, env_database_url, fail_config
from storage.audit_chain import format_time
from storage.audit_verify import verify_chain
from storage.engine import create_engine, create_session_factory, is_sqlite
from storage.migrate import is_current
from storage.records import AuditEvent
from storage.repositories.audit import AuditRepository

COLUMNS = ("seq", "time", "actor", "request", "kind", "outcome", "details", "prev_hash", "hash")
T = TypeVar("T")


def parse_since(text: str) -> datetime:
    """ISO 8601; a time without a zone is taken as UTC."""
    moment = datetime.fromisoformat(text.strip())
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _row(event: AuditEvent) -> tuple[object, ...]:
    return (event.seq, format_time(event.occurred_at), event.actor, event.request_ref, event.kind,
            event.outcome, event.details, event.prev_hash, event.hash)


class NotMigrated(Exception):
    """The database has no selfserve schema (wrong URL, or never started)."""


async def _with_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    url = env_database_url()
    if is_sqlite(url) and not Path(make_url(url).database or "").exists():
        raise NotMigrated(f"no database file at {make_url(url).database}")
    engine = create_engine(url)
    try:
        if not await is_current(engine):
            raise NotMigrated("the database has no selfserve schema, or an old one (run `selfserve db upgrade`)")
        async with create_session_factory(engine, read_only=True)() as session:
            return await work(session)
    finally:
        await engine.dispose()


async def write_events(events: AsyncIterator[AuditEvent], fmt: str, out: TextIO) -> int:
    """Write ``events`` as JSON lines (details as an object) or CSV (details as JSON text)."""
    count = 0
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer:
        writer.writerow(COLUMNS)
    async for event in events:
        row = _row(event)
        if writer:
            writer.writerow(row)
        else:
            record = dict(zip(COLUMNS, row))
            record["details"] = json.loads(event.details)
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count


async def export(request: str | None, since: str | None, fmt: str, out: TextIO) -> int:
    try:
        moment = parse_since(since) if since else None
    except ValueError:
        print(f"selfserve: --since: not an ISO time: {since!r}", file=sys.stderr)
        return EXIT_PROBLEM
    try:
        await _with_session(lambda s: write_events(AuditRepository(s).stream(request and request.upper(), moment),
                                                   fmt, out))
    except ConfigError as error:
        return fail_config(error)
    except NotMigrated as error:
        return _not_migrated(error)
    return EXIT_OK


def _not_migrated(error: NotMigrated) -> int:
    print(f"selfserve: DATABASE_URL: {error}", file=sys.stderr)
    return EXIT_CONFIG


async def verify() -> int:
    async def check(session: AsyncSession) -> int:
        repository = AuditRepository(session)
        head = await repository.head()  # events appended after this moment are checked next time
        report = await verify_chain(repository.stream(until_seq=head.last_seq), head)
        if report.intact:
            print(f"audit chain intact: {report.checked} events verified")
            return EXIT_OK
        print(f"audit chain BROKEN at event {report.broken_at}: {report.problem} "
              f"({report.checked} events before it verified)", file=sys.stderr)
        return EXIT_PROBLEM

    try:
        return await _with_session(check)
    except ConfigError as error:
        return fail_config(error)
    except NotMigrated as error:
        return _not_migrated(error)
