"""The audit log as stored, read through SQLAlchemy's ORM: an oracle independent of the
bot's own driver and of the CLI's raw reader."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import astuple, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.audit_chain import GENESIS_HASH, format_time
from storage.audit_verify import ChainReport, verify_rows
from storage.engine import create_session_factory
from storage.models import AuditEventRow, AuditHeadRow
from storage.repositories.audit import HEAD_ID, ChainHead


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    occurred_at: datetime
    actor: str | None
    request_ref: str | None
    kind: str
    outcome: str
    details: str
    prev_hash: str
    hash: str

COLUMNS = (AuditEventRow.id, AuditEventRow.occurred_at, AuditEventRow.actor, AuditEventRow.request_ref,
           AuditEventRow.kind, AuditEventRow.outcome, AuditEventRow.details, AuditEventRow.prev_hash,
           AuditEventRow.hash)


async def stored_events(engine: AsyncEngine, request_ref: str | None = None, since: datetime | None = None,
                        until_seq: int | None = None) -> list[AuditEvent]:
    query = select(*COLUMNS).order_by(AuditEventRow.id)
    if request_ref is not None:
        query = query.where(AuditEventRow.request_ref == request_ref)
    if since is not None:
        query = query.where(AuditEventRow.occurred_at >= since)
    if until_seq is not None:
        query = query.where(AuditEventRow.id <= until_seq)
    async with create_session_factory(engine, read_only=True)() as session:
        return [AuditEvent(*row) for row in await session.execute(query)]


async def stored_head(engine: AsyncEngine) -> ChainHead:
    async with create_session_factory(engine, read_only=True)() as session:
        head = await session.get(AuditHeadRow, HEAD_ID)
    return ChainHead(0, GENESIS_HASH) if head is None else ChainHead(head.last_seq, head.last_hash)


async def verify_stored(engine: AsyncEngine) -> ChainReport:
    """The chain as stored, checked up to its recorded head by the CLI's own ``verify_rows``."""
    head = await stored_head(engine)
    events = await stored_events(engine, until_seq=head.last_seq)
    rows = [(e.seq, format_time(e.occurred_at), *astuple(e)[2:]) for e in events]

    async def one_batch() -> AsyncIterator[list[tuple[object, ...]]]:
        yield rows

    return await verify_rows(one_batch(), head)
