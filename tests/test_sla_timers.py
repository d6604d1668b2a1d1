"""Service-level timers against the database: a timer that races a finish does nothing, one run
twice acts once, and two real processes on one PostgreSQL database fire each timer exactly once."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.catalog import load_catalog
from domain.lifecycle import Verdict
from domain.records import Job
from domain.service import RequestService
from domain.service_levels import REMIND, REQUEST_DUE, STEP_DUE
from domain.sla_timers import ServiceLevelTimers
from storage.audit_writer import AuditWriter
from storage.database import Database
from tests.audit_log import stored_events
from tests.clock import TestClock
from tests.conftest import PG_URL

CATALOG = Path(__file__).parent / "catalog_sla.yaml"
PAST = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Berlin: every timer is long due now


async def submitted(engine: AsyncEngine, count: int, clock: TestClock) -> RequestService:
    database = Database(engine, clock)
    catalog = load_catalog(CATALOG)
    service = RequestService(lambda: catalog, database.unit_of_work, database.reader,
                             AuditWriter(database.unit_of_work).write)
    for n in range(count):
        await service.submit("U0EMPLOYEE", "access", {"system": f"system {n}"}, f"V{n}")
    return service


async def sla_events(engine: AsyncEngine) -> list[tuple[str | None, str, dict[str, object]]]:
    return [(e.request_ref, e.kind, json.loads(e.details)) for e in await stored_events(engine)
            if e.kind in ("sla_reminder", "sla_breached", "backup_asked")]


def job(kind: str, payload: dict[str, object], job_id: int = 1) -> Job:
    return Job(job_id, kind, f"key-{job_id}", 1, payload, 1, PAST)


async def test_a_timer_that_races_a_finish_or_runs_twice_acts_once(engine: AsyncEngine) -> None:
    clock = TestClock(PAST)
    service = await submitted(engine, 1, clock)
    clock.advance(days=10)
    async with Database(engine, clock) as database:
        timers = ServiceLevelTimers(lambda: service.catalog, database.unit_of_work)
        runs = [job(REMIND, {"step": 0, "number": 1}, 1), job(REMIND, {"step": 0, "number": 1}, 2),
                job(STEP_DUE, {"step": 0}, 3), job(STEP_DUE, {"step": 0}, 4), job(REQUEST_DUE, {}, 5),
                job(REQUEST_DUE, {}, 6), job(REMIND, {"step": 1, "number": 1}, 7)]
        assert [j.id async for j, _ in timers.run(runs)] == [1, 2, 3, 4, 5, 6, 7]
        assert [kind for _, kind, _ in await sla_events(engine)] == [
            "sla_reminder", "sla_breached", "backup_asked", "sla_breached"]

        await service.decide("U0HR1", "REQ-1", 0, Verdict.APPROVE)
        async for _ in timers.run([job(REMIND, {"step": 0, "number": 2}, 8), job(STEP_DUE, {"step": 0}, 9)]):
            pass
    assert len(await sla_events(engine)) == 4  # the request is approved: nothing more


if PG_URL is not None:  # collected only where PostgreSQL is configured
    @pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
    async def test_two_processes_fire_each_timer_exactly_once(engine: AsyncEngine, database_url: str,
                                                              tmp_path: Path) -> None:
        await submitted(engine, 30, TestClock(PAST))  # 90 timers, all due now
        out = tmp_path / "fired.txt"
        workers = [await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.sla_timer_process", database_url, str(CATALOG), str(out),
            stdout=asyncio.subprocess.PIPE, cwd=Path(__file__).parent.parent) for _ in range(2)]
        for worker in workers:
            assert worker.stdout is not None
            assert await asyncio.wait_for(worker.stdout.readline(), 30) == b"ready\n"
        for worker in workers:
            assert await asyncio.wait_for(worker.wait(), 60) == 0
        runs = [line.split() for line in out.read_text().splitlines()]
        assert len(runs) == 90 and len({job_id for job_id, _, _ in runs}) == 90, "a timer fired twice or never"
        assert len({pid for _, _, pid in runs}) == 2, "both processes took a share"
        events = await sla_events(engine)
        for n in range(1, 31):
            mine = [(kind, details.get("scope")) for ref, kind, details in events if ref == f"REQ-{n}"]
            assert sorted(mine) == [("backup_asked", None), ("sla_breached", "request"), ("sla_breached", "step"),
                                    ("sla_reminder", None)]
