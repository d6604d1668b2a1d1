"""The audit chain on a real database: appends chain, and any edit, deletion or reorder is found."""

from __future__ import annotations

from sqlalchemy import delete, text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.expression import Executable

from domain.records import AuditEntry
from storage.database import Database
from storage.engine import create_session_factory
from storage.models import AuditEventRow
from tests.audit_log import stored_events, verify_stored


async def append(database: Database, count: int) -> None:
    for n in range(count):
        async with database.unit_of_work() as uow:
            uow.audit(AuditEntry("test", "ok", f"U{n}", f"REQ-{n % 3 + 1}", {"n": n, "text": "ünïcode <&>"}))


async def verify(engine: AsyncEngine) -> tuple[bool, int | None, str | None, int]:
    report = await verify_stored(engine)
    return report.intact, report.broken_at, report.problem, report.checked


async def tamper(engine: AsyncEngine, statement: Executable) -> None:
    async with create_session_factory(engine)() as session:
        await session.execute(statement)
        await session.commit()


async def test_appended_events_form_an_intact_chain(engine: AsyncEngine, database: Database) -> None:
    await append(database, 5)
    assert await verify(engine) == (True, None, None, 5)
    events = await stored_events(engine)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:], strict=False))


async def test_stream_filters_by_request(engine: AsyncEngine, database: Database) -> None:
    await append(database, 6)
    refs = [e.request_ref for e in await stored_events(engine, request_ref="REQ-2")]
    assert refs == ["REQ-2", "REQ-2"]


async def test_edited_details_are_detected(engine: AsyncEngine, database: Database) -> None:
    await append(database, 4)
    await tamper(engine, update(AuditEventRow).where(AuditEventRow.id == 3).values(details='{"n":99}'))
    intact, broken_at, problem, checked = await verify(engine)
    assert (intact, broken_at, checked) == (False, 3, 2) and "edited" in (problem or "")


async def test_edited_actor_with_recomputed_hash_breaks_the_next_link(engine: AsyncEngine, database: Database) -> None:
    await append(database, 4)
    await tamper(engine, update(AuditEventRow).where(AuditEventRow.id == 2).values(hash="f" * 64))
    intact, broken_at, _, _ = await verify(engine)
    assert (intact, broken_at) == (False, 2)


async def test_deleted_event_in_the_middle_is_detected(engine: AsyncEngine, database: Database) -> None:
    await append(database, 4)
    await tamper(engine, delete(AuditEventRow).where(AuditEventRow.id == 2))
    intact, broken_at, problem, _ = await verify(engine)
    assert (intact, broken_at) == (False, 3) and "missing" in (problem or "")


async def test_deleted_tail_is_detected_through_the_head(engine: AsyncEngine, database: Database) -> None:
    await append(database, 4)
    await tamper(engine, delete(AuditEventRow).where(AuditEventRow.id == 4))
    intact, broken_at, problem, checked = await verify(engine)
    assert (intact, broken_at, checked) == (False, 4, 3) and "end" in (problem or "")


async def test_rolled_back_transaction_leaves_no_event(engine: AsyncEngine, database: Database) -> None:
    try:
        async with database.unit_of_work() as uow:
            uow.audit(AuditEntry("never", "ok"))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    await append(database, 1)
    assert await verify(engine) == (True, None, None, 1)
    async with create_session_factory(engine)() as session:
        assert (await session.execute(text("SELECT count(*) FROM audit_events"))).scalar_one() == 1
