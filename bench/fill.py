"""Bulk data for the scale scenario: realistic requests and a valid audit hash chain, fast.

Rows go in through the raw drivers (sqlite3 executemany, asyncpg COPY) because the point is
to measure reads over a big database, not SQLAlchemy's insert path. Values are stored in the
exact form the app's SQLAlchemy types write, so the app reads them back unchanged and
``selfserve audit verify`` recomputes the same hashes.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.audit_chain import GENESIS_HASH, canonical_details, event_hash

BATCH = 20_000
START = datetime(2025, 1, 1, tzinfo=UTC)
STEPS = [{"role": "hr", "min_approvals": 1}, {"role": "it", "min_approvals": 1}]
KINDS = ("command", "form_submitted", "request_created", "request_routed", "message_sent", "decision",
         "messages_updated", "request_approved")
REQUEST_COLUMNS = ("id", "action_id", "action_title", "requester_id", "status", "current_step", "steps",
                   "allow_self_approval", "answers", "catalog_fingerprint", "source_view_id", "created_at",
                   "updated_at", "decided_at")
AUDIT_COLUMNS = ("id", "occurred_at", "actor", "request_ref", "kind", "outcome", "details", "prev_hash", "hash")


def _answers(i: int) -> list[dict[str, Any]]:
    return [{"id": "full_name", "label": "Full name", "value": f"Employee {i}"},
            {"id": "email", "label": "Work email", "value": f"employee{i}@example.com"},
            {"id": "start_date", "label": "Start date", "value": "2026-12-01"},
            {"id": "department", "label": "Department", "value": ("Engineering", "Sales", "Finance")[i % 3]},
            {"id": "laptops", "label": "Laptops", "value": 1 + i % 3},
            {"id": "notes", "label": "Notes", "value": "Needs a standing desk" if i % 4 == 0 else None}]


def requests(count: int) -> Iterator[tuple[Any, ...]]:
    """Rows for ``requests``: mostly decided, a tenth pending, spread over a year (datetimes aware)."""
    rng = random.Random(1)
    for i in range(1, count + 1):
        status = rng.choices(("pending", "approved", "rejected"), (10, 75, 15))[0]
        created = START + timedelta(seconds=i * 300)
        decided = None if status == "pending" else created + timedelta(hours=rng.randint(1, 48))
        yield (i, "new-employee", "Onboard a new employee", f"U0REQ{i % 500:04d}", status,
               rng.randint(0, 1) if status == "pending" else 2 if status == "approved" else 0,
               json.dumps(STEPS), False, json.dumps(_answers(i)), "f" * 64, f"V{i:010d}", created,
               decided or created, decided)


def audit_events(count: int) -> Iterator[tuple[Any, ...]]:
    """A valid chain of ``count`` events, hashed exactly as AuditRepository.append does; the
    last tuple's hash is the head."""
    prev = GENESIS_HASH
    for seq in range(1, count + 1):
        moment = START + timedelta(milliseconds=seq * 31)
        request = 1 + seq // 10
        kind = KINDS[seq % len(KINDS)]
        actor = f"U0HR{1 + seq % 2}"
        details = canonical_details({"action": "new-employee", "step": seq % 2, "channel": "D0HR2",
                                     "text": f"event {seq} about REQ-{request}"})
        digest = event_hash(prev, seq, moment, actor, f"REQ-{request}", kind, "ok", details)
        yield (seq, moment, actor, f"REQ-{request}", kind, "ok", details, prev, digest)
        prev = digest


def _batches(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _sqlite_value(value: Any) -> Any:
    """What SQLAlchemy's UTCDateTime/DateTime writes on SQLite: naive UTC text with microseconds."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def fill_sqlite(path: str, n_requests: int, n_events: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        for table, columns, rows in (("requests", REQUEST_COLUMNS, requests(n_requests)),
                                     ("audit_events", AUDIT_COLUMNS, audit_events(n_events))):
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            last: tuple[Any, ...] = ()
            for batch in _batches(rows):
                conn.executemany(sql, [tuple(_sqlite_value(v) for v in row) for row in batch])
                last = batch[-1]
        conn.execute("INSERT OR REPLACE INTO audit_head (id, last_seq, last_hash) VALUES (1, ?, ?)",
                     (last[0], last[-1]))
        conn.execute("COMMIT")
    finally:
        conn.close()


async def fill_postgres(dsn: str, n_requests: int, n_events: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            for batch in _batches(requests(n_requests)):
                await conn.copy_records_to_table("requests", records=batch, columns=list(REQUEST_COLUMNS))
            last: tuple[Any, ...] = ()
            for batch in _batches(audit_events(n_events)):
                await conn.copy_records_to_table("audit_events", records=batch, columns=list(AUDIT_COLUMNS))
                last = batch[-1]
            await conn.execute("INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, $1, $2) "
                               "ON CONFLICT (id) DO UPDATE SET last_seq = $1, last_hash = $2", last[0], last[-1])
            await conn.execute("SELECT setval(pg_get_serial_sequence('requests', 'id'), $1)", n_requests)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
