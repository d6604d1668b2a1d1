"""Migration 0012 on SQLite and PostgreSQL: requests escalated before it are marked, the rest not,
and nothing that hangs off a request is lost on the way (SQLite's table copy would cascade)."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import _config, upgrade

REQUEST = ("INSERT INTO requests (id, action_id, action_title, requester_id, status, current_step, steps, "
           "allow_self_approval, answers, catalog_fingerprint, created_at, updated_at) VALUES "
           "(:id, 'a', 'A', 'U0EMP', 'pending', 0, '[]', false, '[]', 'f', :at, :at)")
ESCALATION = ("INSERT INTO escalations (request_id, requester_id, reason, status, history, created_at, updated_at) "
              "VALUES (:rid, 'U0EMP', 'asked', :status, '[]', :at, :at)")


async def test_requests_escalated_before_the_flag_are_marked(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync_conn: command.downgrade(_config(sync_conn), "0011"))
    at = datetime(2026, 12, 7, 9, 0, tzinfo=UTC).replace(tzinfo=None)
    async with engine.begin() as conn:
        for request_id in (1, 2, 3):
            await conn.execute(text(REQUEST), {"id": request_id, "at": at})
        await conn.execute(text(ESCALATION), {"rid": 1, "status": "resolved", "at": at})
        await conn.execute(text(ESCALATION), {"rid": 3, "status": "open", "at": at})
        await conn.execute(text(ESCALATION), {"rid": None, "status": "open", "at": at})  # a question, no request
        await conn.execute(text("INSERT INTO decisions (request_id, step, approver_id, verdict, created_at) "
                                "VALUES (2, 0, 'U0HR2', 'approve', :at)"), {"at": at})
    await upgrade(engine)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id, escalated FROM requests ORDER BY id"))).all()
        kept = [(await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
                for table in ("escalations", "decisions")]
    assert [(row.id, bool(row.escalated)) for row in rows] == [(1, True), (2, False), (3, True)]
    assert kept == [3, 1]
