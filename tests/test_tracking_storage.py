"""The request store's reads for following requests, on SQLite and PostgreSQL: the same answers
as the in-memory store, and rows written before steps listed their roles still count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.catalog import parse_catalog
from domain.delegation import Delegation
from domain.lifecycle import Verdict
from domain.ports import UnitOfWorkFactory
from domain.records import DecisionRecord
from domain.service import RequestService
from domain.tracking import roles_of
from storage.audit_writer import AuditWriter
from storage.database import Database
from storage.models import RequestRow
from tests.memory_uow import MemoryDatabase
from tests.test_tracking import CATALOG

PEOPLE = ("U0EMP", "U0HR1", "U0HR2", "U0IT1", "U0IT2", "U0SOLO", "U0PICKED", "U0AUD", "U0OUT")


async def _scenario(unit_of_work: UnitOfWorkFactory, audit: Any) -> None:
    catalog = parse_catalog(CATALOG)
    service = RequestService(lambda: catalog, unit_of_work, unit_of_work, audit)
    for requester, action, values in [("U0EMP", "onboard", {"who": "a"}), ("U0HR1", "onboard", {"who": "b"}),
                                      ("U0EMP", "pick", {"who": "U0PICKED"}), ("U0SOLO", "own", {"what": "c"}),
                                      ("U0EMP", "lunch", {"dish": "d"}), ("U0IT1", "onboard", {"who": "e"}),
                                      ("U0EMP", "onboard", {"who": "f"})]:
        await service.submit(requester, action, values, None)
    await service.decide("U0HR2", "REQ-1", 0, Verdict.APPROVE)  # now at it
    await service.decide("U0IT1", "REQ-1", 1, Verdict.APPROVE)  # approved
    await service.decide("U0HR2", "REQ-6", 0, Verdict.APPROVE)  # at it, requested by an it holder
    await service.decide("U0HR1", "REQ-7", 0, Verdict.REJECT, "no")
    await Delegation(lambda: catalog, unit_of_work, audit).delegate("U0HR2", "REQ-2", 0, "U0OUT", None)


async def _answers(unit_of_work: UnitOfWorkFactory) -> dict[str, Any]:
    catalog = parse_catalog(CATALOG)
    found: dict[str, Any] = {}
    async with unit_of_work() as uow:
        for person in PEOPLE:
            waiting = await uow.requests.waiting_on(person, roles_of(catalog, person), 20)
            found[f"waiting {person}"] = [r.ref for r in waiting]
            found[f"mine {person}"] = [r.ref for r in await uow.requests.by_requester(person, 3)]
            found[f"open {person}"] = [r.ref for r in await uow.requests.by_requester(person, 20, open_only=True)]
            found[f"handed {person}"] = [r.ref for r in await uow.requests.handed_to(person, 20)]
    return found


async def test_the_database_answers_as_the_in_memory_store_does(database: Database) -> None:
    memory = MemoryDatabase()
    await _scenario(memory.unit_of_work, memory.audit)
    await _scenario(database.unit_of_work, AuditWriter(database.unit_of_work).write)
    expected = await _answers(memory.unit_of_work)
    assert await _answers(database.reader) == expected
    assert expected["waiting U0IT1"] == [] and expected["waiting U0IT2"] == ["REQ-6"]  # not their own
    assert expected["waiting U0HR2"] == [] and expected["waiting U0PICKED"] == ["REQ-3"]  # REQ-2 handed over
    assert expected["waiting U0SOLO"] == ["REQ-4"]  # self-approval allowed there
    assert expected["mine U0EMP"] == ["REQ-7", "REQ-5", "REQ-3"] and expected["open U0EMP"] == ["REQ-3"]
    assert expected["handed U0OUT"] == ["REQ-2"] and expected["handed U0HR1"] == []


async def test_a_step_stored_with_only_its_role_waits_on_that_roles_holders(engine: AsyncEngine,
                                                                           database: Database) -> None:
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    async with engine.begin() as conn:
        await conn.execute(insert(RequestRow).values(
            action_id="old", action_title="Old", requester_id="U0EMP", status="pending", current_step=0,
            steps=[{"role": "hr", "min_approvals": 1}], allow_self_approval=False, answers=[],
            catalog_fingerprint="x", source_view_id=None, created_at=now, updated_at=now, decided_at=None))
    async with database.reader() as uow:
        assert [r.action_id for r in await uow.requests.waiting_on("U0HR1", ["hr"], 5)] == ["old"]
        assert await uow.requests.waiting_on("U0HR1", ["it"], 5) == []


async def test_home_viewers_are_kept_per_person_with_their_latest_open(database: Database) -> None:
    memory = MemoryDatabase()
    at = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    for factory in (memory.unit_of_work, database.unit_of_work):
        async with factory() as uow:
            await uow.home_viewers.opened("U0A", at)
            await uow.home_viewers.opened("U0B", at)
        async with factory() as uow:
            await uow.home_viewers.opened("U0A", at + timedelta(hours=2))  # again: only the latest counts
        async with factory() as uow:
            assert await uow.home_viewers.watching(["U0A", "U0B", "U0C", "U0A"], at) == {"U0A", "U0B"}
            assert await uow.home_viewers.watching(["U0A", "U0B"], at + timedelta(hours=1)) == {"U0A"}
            assert await uow.home_viewers.watching([], at) == set()
            many = [f"U{i:05}" for i in range(250)] + ["U0B"]  # more than one statement's worth
            assert await uow.home_viewers.watching(many, at) == {"U0B"}


async def test_a_transactions_decisions_include_the_ones_it_added(database: Database) -> None:
    """Read once per transaction and kept in step with its own writes (the request's row lock keeps
    everyone else's out meanwhile); the next transaction reads what was stored."""
    catalog = parse_catalog(CATALOG)
    audit = AuditWriter(database.unit_of_work).write
    service = RequestService(lambda: catalog, database.unit_of_work, database.unit_of_work, audit)
    request = (await service.submit("U0EMP", "onboard", {"who": "a"}, None)).request
    at = datetime(2026, 12, 7, 9, 0, 0, 123456, tzinfo=UTC)
    async with database.unit_of_work() as uow:
        assert await uow.requests.decisions(request.id) == []
        first = DecisionRecord(request.id, 0, "U0HR2", Verdict.DELEGATE, "U0OUT", at, note="away")
        await uow.requests.add_decision(first)
        read = await uow.requests.decisions(request.id)
        read.clear()  # a caller's copy
        second = DecisionRecord(request.id, 0, "U0OUT", Verdict.APPROVE, None, at + timedelta(seconds=1))
        await uow.requests.add_decision(second)
        assert await uow.requests.decisions(request.id) == [first, second]
    async with database.unit_of_work() as uow:
        assert await uow.requests.decisions(request.id) == [first, second]
