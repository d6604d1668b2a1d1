"""``domain.escalations.escalate``, the API the service levels call from their own transactions:
on SQLite and PostgreSQL and on the in-memory store, one open escalation per request, the same
reason twice changes nothing, another reason adds to its history, and two at once open one."""

from __future__ import annotations

import asyncio

from domain.catalog import load_catalog, parse_catalog
from domain.escalations import ESCALATION_POST, ESCALATION_TELL, escalate
from domain.ports import AuditSink, UnitOfWorkFactory
from domain.records import RequestRecord
from domain.service import RequestService
from storage.audit_writer import AuditWriter
from storage.database import Database
from tests.conftest import E2E_CATALOG
from tests.memory_uow import MemoryDatabase

CATALOG = load_catalog(E2E_CATALOG)
ACCESS = {"system": "Billing", "why": "month end"}


async def _request(unit_of_work: UnitOfWorkFactory, audit: AuditSink) -> RequestRecord:
    service = RequestService(lambda: CATALOG, unit_of_work, unit_of_work, audit)
    return (await service.submit("U0EMPLOYEE", "access-request", ACCESS, None)).request


async def _twice_and_another(unit_of_work: UnitOfWorkFactory, request: RequestRecord) -> list[tuple[str, ...]]:
    async with unit_of_work() as uow:
        first = await escalate(uow, CATALOG, request, by=None, reason="approval overdue")
    async with unit_of_work() as uow:
        same = await escalate(uow, CATALOG, request, by=None, reason="approval overdue")
    async with unit_of_work() as uow:
        other = await escalate(uow, CATALOG, request, by="U0EMPLOYEE", reason="asked for help", words="hurry <!here>")
    async with unit_of_work() as uow:
        question = await escalate(uow, CATALOG, None, by="U0EMPLOYEE", reason="question", words="where is the VPN?")
        stored = await uow.escalations.get(1)
    assert first is not None and same is not None and other is not None and question is not None and stored
    assert first.id == same.id == other.id == 1 and question.id == 2 and question.request_id is None
    assert same.history == first.history  # the same reason again: nothing new
    assert stored.history == other.history and stored.status == "open" and stored.opened_by is None
    return [(e.what, e.by or "", e.reason or "", e.text or "") for e in stored.history]


async def test_one_open_escalation_per_request_in_the_database_as_in_memory(database: Database) -> None:
    memory = MemoryDatabase()
    in_memory = await _twice_and_another(memory.unit_of_work, await _request(memory.unit_of_work, memory.audit))
    request = await _request(database.unit_of_work, AuditWriter(database.unit_of_work).write)
    stored = await _twice_and_another(database.unit_of_work, request)
    assert stored == in_memory == [("opened", "", "approval overdue", ""),
                                   ("again", "U0EMPLOYEE", "asked for help", "hurry <!here>")]
    kinds = [kind for kind, _, _ in memory.queued()]
    assert kinds.count(ESCALATION_POST) == 3 and kinds.count(ESCALATION_TELL) == 2  # opened ×2, again ×1
    assert [(e.kind, e.outcome) for e in memory.store.audit if e.kind == "escalated"] == [
        ("escalated", "ok"), ("escalated", "again"), ("escalated", "ok")]


async def test_two_escalations_of_one_request_at_once_open_one(database: Database) -> None:
    request = await _request(database.unit_of_work, AuditWriter(database.unit_of_work).write)

    async def one(reason: str) -> int:
        async with database.unit_of_work() as uow:
            escalation = await escalate(uow, CATALOG, request, by=None, reason=reason)
            await asyncio.sleep(0.05)  # hold the transaction open while the other one tries
            assert escalation is not None
            return escalation.id

    ids = await asyncio.gather(one("approval overdue"), one("nobody may decide"))
    assert list(ids) == [1, 1]
    async with database.reader() as uow:
        escalation = await uow.escalations.open_for(request.id)
        assert escalation is not None and len(escalation.history) == 2


async def test_without_a_support_channel_nothing_is_escalated() -> None:
    memory = MemoryDatabase()
    catalog = parse_catalog("roles: {support: {members: [U0S]}}\n"
                            "actions: {a: {title: A, fields: [{id: x, label: X, type: text}]}}\n")
    async with memory.unit_of_work() as uow:
        assert await escalate(uow, catalog, None, by="U0S", reason="question") is None
    assert memory.queued() == [] and memory.store.escalations == {}
