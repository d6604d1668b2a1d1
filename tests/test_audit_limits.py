"""One length policy for what the audit log stores, and a group commit that never loses an
innocent event to a bad one (on SQLite and PostgreSQL alike)."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.records import AuditEntry
from storage.audit_writer import REFUSED_KIND, AuditWriter, refusal
from storage.database import Database
from storage.repositories.audit import SHORT_COLUMNS, TRUNCATION_MARK, bounded
from storage.unit_of_work import UnitOfWork
from tests.audit_log import stored_events, verify_stored

POISON = "poison"


class PoisonUnitOfWork(UnitOfWork):
    """Fails its transaction (after BEGIN) when asked to audit a ``poison`` event: a stand-in
    for any value the database refuses."""

    def audit(self, entry: AuditEntry) -> None:
        if entry.kind == POISON:
            raise ValueError(f"refused {entry.actor}")
        super().audit(entry)


class PoisonDatabase(Database):
    def unit_of_work(self) -> UnitOfWork:
        return PoisonUnitOfWork(self.driver, known_head=self._known_head)


def test_short_columns_are_read_from_the_table() -> None:
    assert SHORT_COLUMNS == {"actor": 64, "request_ref": 64, "kind": 48, "outcome": 16}


def test_over_long_values_are_cut_with_a_mark_and_their_length_recorded() -> None:
    entry = AuditEntry("k" * 100, "o" * 16, "a" * 300_000, "r" * 65, {"n": 1, "truncated": {"other": 5}})
    stored = bounded(entry)
    assert stored.actor == "a" * 63 + TRUNCATION_MARK
    assert stored.request_ref == "r" * 63 + TRUNCATION_MARK
    assert stored.kind == "k" * 47 + TRUNCATION_MARK
    assert stored.outcome == "o" * 16  # fits exactly: untouched
    assert stored.details == {"n": 1, "truncated": {"other": 5, "actor": 300_000, "request_ref": 65, "kind": 100}}
    assert entry.details == {"n": 1, "truncated": {"other": 5}}  # the caller's entry is not changed


def test_values_that_fit_are_left_alone() -> None:
    entry = AuditEntry("command", "ok", "U" * 64, None, None)
    assert bounded(entry) is entry


async def test_one_bad_event_never_costs_the_others_their_place(engine: AsyncEngine) -> None:
    async with PoisonDatabase(engine) as db:
        await _bad_events_among_innocent_ones(db)


async def _bad_events_among_innocent_ones(db: Database) -> None:
    writer = AuditWriter(db.unit_of_work)
    entries = [AuditEntry("command", "ok", f"U{n}", None, {"n": n}) for n in range(97)]
    entries[30:30] = [AuditEntry("command", "ok", "A" * 300_000, None, {"n": "long actor"})]
    entries[60:60] = [AuditEntry("c" * 100, "ok", "U-kind", None, {"n": "long kind"})]
    entries[90:90] = [AuditEntry(POISON, "ok", "U-poison", "R1", {"n": "poison"})]
    assert len(entries) == 100
    results = await asyncio.gather(*(writer.write(entry) for entry in entries), return_exceptions=True)

    failed = [(entry.kind, type(result)) for entry, result in zip(entries, results, strict=True) if result is not None]
    assert failed == [(POISON, ValueError)], "only the bad entry's caller gets an error"
    events = await stored_events(db.engine)
    assert len(events) == 100
    by_actor = {event.actor: event for event in events}
    assert {f"U{n}" for n in range(97)} <= set(by_actor)
    assert (await verify_stored(db.engine)).intact

    actor = by_actor["A" * 63 + TRUNCATION_MARK]
    assert json.loads(actor.details) == {"n": "long actor", "truncated": {"actor": 300_000}}
    kind = by_actor["U-kind"]
    assert kind.kind == "c" * 47 + TRUNCATION_MARK
    assert json.loads(kind.details) == {"n": "long kind", "truncated": {"kind": 100}}
    refused = by_actor["U-poison"]
    assert (refused.kind, refused.outcome, refused.request_ref) == (REFUSED_KIND, "error", "R1")
    assert json.loads(refused.details) == {"refused_kind": POISON, "error": "ValueError"}


async def test_when_even_the_refusal_fails_the_callers_get_the_error(database: Database) -> None:
    db = database
    calls = 0

    def failing_after_the_batch() -> UnitOfWork:
        nonlocal calls
        calls += 1
        if calls == 1:
            return PoisonUnitOfWork(db.driver)
        raise ConnectionError("database away")

    writer = AuditWriter(failing_after_the_batch)
    results = await asyncio.gather(writer.write(AuditEntry("command", "ok", "U1")),
                                   writer.write(AuditEntry(POISON, "ok", "U2")), return_exceptions=True)
    assert [type(result) for result in results] == [ConnectionError, ConnectionError]
    assert await stored_events(db.engine) == []


@pytest.mark.parametrize("field", ["actor", "request_ref"])
async def test_a_refusal_leaves_out_unprintable_values(database: Database, field: str) -> None:
    """A NUL is refused by PostgreSQL; the refusal must not be refused for the same reason."""
    entry = AuditEntry(POISON, "ok", **{field: "U\x00"})  # type: ignore[arg-type]
    replaced = refusal(entry, ValueError("x"))
    assert getattr(replaced, field) is None
    assert replaced.details == {"refused_kind": POISON, "error": "ValueError", "left_out": [field]}
    async with database.unit_of_work() as uow:
        uow.audit(replaced)
    assert (await verify_stored(database.engine)).intact
