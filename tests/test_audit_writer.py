"""Group commit of stand-alone audit events: batching, ordering, and failure reporting."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.records import AuditEntry
from storage.audit_writer import AuditWriter
from storage.database import Database
from storage.unit_of_work import UnitOfWork
from tests.audit_log import stored_events, verify_stored


class CountingDatabase(Database):
    """Counts write transactions, to see events share them."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.transactions = 0

    def unit_of_work(self) -> UnitOfWork:
        self.transactions += 1
        return super().unit_of_work()


async def _events(db: Database) -> list[tuple[str | None, str]]:
    return [(e.actor, e.kind) for e in await stored_events(db.engine)]



async def test_concurrent_events_share_transactions_and_keep_the_chain_intact(engine: AsyncEngine) -> None:
    async with CountingDatabase(engine) as db:
        await _share_transactions(db)


async def _share_transactions(db: CountingDatabase) -> None:
    writer = AuditWriter(db.unit_of_work)
    await asyncio.gather(*(writer.write(AuditEntry("command", "ok", f"U{n}", None, {"n": n})) for n in range(40)))
    events = await _events(db)
    assert sorted(events) == sorted((f"U{n}", "command") for n in range(40))
    assert db.transactions < 40 / 4, "concurrent writes should be batched"
    assert (await verify_stored(db.engine)).intact


async def test_a_lone_event_is_committed_before_write_returns(database: Database) -> None:
    db = database
    await AuditWriter(db.unit_of_work).write(AuditEntry("command", "ok", "U1", None, {}))
    assert await _events(db) == [("U1", "command")]


async def test_a_failed_batch_fails_its_callers_and_the_next_batch_still_commits(database: Database) -> None:
    db = database
    calls = 0

    def flaky() -> UnitOfWork:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database away")
        return db.unit_of_work()

    writer = AuditWriter(flaky)
    with pytest.raises(ConnectionError):
        await writer.write(AuditEntry("command", "ok", "U1", None, {}))
    await writer.write(AuditEntry("command", "ok", "U2", None, {}))
    assert await _events(db) == [("U2", "command")]


async def test_a_cancelled_caller_does_not_break_the_batch(database: Database) -> None:
    db = database
    writer = AuditWriter(db.unit_of_work)
    first = asyncio.ensure_future(writer.write(AuditEntry("command", "ok", "U1", None, {})))
    second = asyncio.ensure_future(writer.write(AuditEntry("command", "ok", "U2", None, {})))
    await asyncio.sleep(0)
    first.cancel()
    await second
    await asyncio.gather(first, return_exceptions=True)
    assert ("U2", "command") in await _events(db)


async def test_processes_appending_in_turn_keep_one_chain(engine: AsyncEngine) -> None:
    """Each process remembers the head it wrote; when another moved it since, it re-reads it."""
    async with Database(engine) as first, Database(engine) as second:
        await _append_in_turn(first, second)


async def _append_in_turn(first: Database, second: Database) -> None:
    for n in range(6):
        async with (first if n % 3 else second).unit_of_work() as uow:
            uow.audit(AuditEntry("command", "ok", f"U{n}", None, {"n": n}))
    try:
        async with first.unit_of_work() as uow:
            uow.audit(AuditEntry("command", "ok", "U-rolled-back", None, {}))
            await uow.audit_log.append([AuditEntry("command", "ok", "U-rolled-back", None, {})], uow.now())
            raise RuntimeError("the transaction fails after appending")
    except RuntimeError:
        pass
    async with first.unit_of_work() as uow:  # its remembered head was never committed
        uow.audit(AuditEntry("command", "ok", "U-after", None, {}))
    report = await verify_stored(first.engine)
    assert report.intact and report.checked == 7
    assert [actor for actor, _ in await _events(first)] == [*(f"U{n}" for n in range(6)), "U-after"]
