"""The fast audit export/verify path gives exactly what the straightforward code gave.

The reference for each piece is the code it replaced: ``json.dumps`` of the hashed array and
of each event as a dict, ``csv.writer``, and events read through SQLAlchemy
(``AuditRepository.stream``). Inputs are chosen to hit every escape and fallback.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
from collections.abc import Sequence
from contextlib import aclosing
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import storage.audit_reader
from cli.audit_format import COLUMNS, csv_header, csv_rows, details_json, jsonl
from domain.records import AuditEntry
from storage.audit_chain import EventRow, canonical_details, chain_hashes, event_hash, format_time
from storage.audit_reader import open_reader
from storage.audit_verify import verify_rows
from storage.database import Database
from storage.repositories.audit import ChainHead
from storage.unit_of_work import UnitOfWork
from tests.audit_log import stored_events, stored_head

TRICKY_TEXTS = ["U0HR1", "", "ünïcödé €", 'say "hi"', "back\\slash", "line\nbreak", "cr\ronly", "crlf\r\n", "tab\t",
                "bell\x07", "del\x7f", "sep\u2028", "emoji 😀", "comma, here", "<&>"]
TRICKY_DETAILS = [
    canonical_details(None),
    canonical_details({"n": 1, "text": "ünïcode <&>", "quote": 'a "b"', "slash": "a\\b/c", "nl": "x\ny\x01"}),
    canonical_details({"list": [1, 2.5, None, True, "x"], "nested": {"z": [], "a": {}}, "big": 10**30}),
    canonical_details({"floats": [0.1, 1e16, -0.0, 1.5e-07], "nan": float("nan"), "inf": float("-inf")}),
    canonical_details({"when": datetime(2026, 1, 2, tzinfo=UTC)}),  # default=str
]
NOT_CANONICAL = [' {"a":1}', '{"a": 1}', '{"b":1,"a":2}', '{"a":1,"a":2}', '{"a":"\\u00e9"}', '{"a":"\\/"}',
                 '{"a":1.50}', '{"a":-0}', '{"a":1E5}', '[1,2]', '"x"', "1", "null", '{"a":"\\ud83d\\ude00"}']


def reference_hash(prev_hash: str, seq: int, time: str, actor: str | None, request_ref: str | None, kind: str,
                   outcome: str, details: str) -> str:
    """event_hash as first written: json.dumps of the array."""
    content = json.dumps([seq, time, actor, request_ref, kind, outcome, details], separators=(",", ":"),
                         ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def reference_jsonl(rows: Sequence[EventRow]) -> str:
    """The first export: each event as a dict with details parsed, one json.dumps per line."""
    lines = []
    for row in rows:
        record = dict(zip(COLUMNS, row, strict=True))
        record["details"] = json.loads(row[6])
        lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    return "".join(lines)


def reference_csv(rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def tricky_rows(details: str) -> list[EventRow]:
    """A batch with every awkward text in every text field, None where allowed."""
    return [(seq, "2025-01-01T00:00:00.000000Z", value if seq % 3 else None, None if seq % 5 else value,
             value or "kind", value or "ok", details, value or f"{seq - 1:064x}", value or f"{seq:064x}")
            for seq, value in enumerate(TRICKY_TEXTS, start=1)]


def batches() -> list[list[EventRow]]:
    """Batches the fast paths take (canonical details, plain text) and batches they must hand back."""
    return [plain_rows(50)] + [tricky_rows(details) for details in TRICKY_DETAILS + NOT_CANONICAL]


def plain_rows(count: int) -> list[EventRow]:
    """Rows like the app writes: nothing to escape, canonical details."""
    return [(n, f"2025-01-01T00:00:{n % 60:02d}.{n:06d}Z", f"U{n}" if n % 4 else None, f"REQ-{n}" if n % 3 else None,
             "decision", "ok", canonical_details({"step": n, "text": f"event {n}"}), f"{n - 1:064x}", f"{n:064x}")
            for n in range(1, count + 1)]


# Pure functions: hashes and export formats


def test_chain_hashes_match_json_dumps_for_every_kind_of_text() -> None:
    for rows in batches():
        assert chain_hashes(rows) == [reference_hash(row[7], *row[:7]) for row in rows]


@pytest.mark.parametrize("moment", [
    datetime(2026, 11, 1, 9, 30, 0, 0, tzinfo=UTC),  # microsecond 0
    datetime(2026, 11, 1, 9, 30, 0, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-7))),
])
def test_event_hash_is_unchanged(moment: datetime) -> None:
    for actor, request_ref, details in ((None, None, "{}"), ("U0HR1", "REQ-1", TRICKY_DETAILS[1]),
                                        ('q"\\\n', "ünï", TRICKY_DETAILS[2])):
        assert event_hash("a" * 64, 7, moment, actor, request_ref, "kind", "ok", details) == \
            reference_hash("a" * 64, 7, format_time(moment), actor, request_ref, "kind", "ok", details)


def test_canonical_details_pass_through_and_others_are_reencoded() -> None:
    reencoded = [json.dumps(json.loads(t), ensure_ascii=False, separators=(",", ":")) for t in NOT_CANONICAL]
    assert details_json(TRICKY_DETAILS) == TRICKY_DETAILS
    assert details_json(NOT_CANONICAL) == reencoded
    assert details_json(TRICKY_DETAILS + NOT_CANONICAL[:1]) == TRICKY_DETAILS + reencoded[:1]
    assert details_json(['{"a":1}', '{"a":1,"a":1}']) == ['{"a":1}', '{"a":1}']


def test_details_that_only_join_into_valid_json_are_rejected_like_json_loads() -> None:
    texts = ["1,2", "[3", "4]"]  # "[1,2,[3,4]]" round-trips as a whole
    with pytest.raises(json.JSONDecodeError):
        json.loads(texts[0])
    with pytest.raises(json.JSONDecodeError):
        details_json(texts)


def test_jsonl_matches_json_dumps_per_event() -> None:
    for batch in batches() + [[row for rows in batches() for row in rows]]:
        assert jsonl(batch) == reference_jsonl(batch)


def test_csv_matches_csv_writer() -> None:
    assert csv_header() == reference_csv([COLUMNS])
    odd: list[list[Any]] = [[(1, "t", None, None, "k", "o", "{}", "p", "h")],
           [(1, "t", "a", "r", "k", "o", '{"a":1}', "p", "h"), (2, "t", "", "", "k", "o", b"{}", "p", "h")]]
    for rows in batches() + odd:
        assert csv_rows(rows) == reference_csv(rows)


# The reader against the repository's stream, on each backend


async def append(database: Database, entries: Sequence[AuditEntry], at: datetime | None = None) -> None:
    for entry in entries:
        async with UnitOfWork(database.driver, clock=lambda: at or datetime.now(UTC)) as uow:
            uow.audit(entry)


async def repository_rows(engine: AsyncEngine, **filters: Any) -> list[tuple[Any, ...]]:
    return [(e.seq, format_time(e.occurred_at), e.actor, e.request_ref, e.kind, e.outcome, e.details,
             e.prev_hash, e.hash) for e in await stored_events(engine, **filters)]


async def reader_rows(database: Database, **filters: Any) -> list[tuple[Any, ...]]:
    async with open_reader(database.driver) as reader, aclosing(reader.batches(**filters)) as batches:
        return [tuple(row) async for rows in batches for row in rows]


ENTRIES = [AuditEntry("command", "ok", "U0HR1", None, {"text": "new-employee"}),
           AuditEntry("request_created", "ok", "U0HR1", "REQ-1", {"note": 'a "quote",\nü'}),
           AuditEntry("decision", "ok", None, "REQ-2", {}),
           AuditEntry("message_sent", "ok", "U0IT1", "REQ-1", {"problems": ["x", "y"]})]


async def test_reader_returns_what_the_repository_streams(engine: AsyncEngine, database: Database,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage.audit_reader, "BATCH", 3)  # several batches, and a partial last one
    whole_second = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    await append(database, ENTRIES)
    await append(database, ENTRIES, at=whole_second)  # microsecond 0 stored and compared
    await append(database, ENTRIES)
    stored = await repository_rows(engine)
    moment = datetime.fromisoformat(stored[2][1]).astimezone(timezone(timedelta(hours=2)))
    for filters in ({}, {"request_ref": "REQ-1"}, {"until_seq": 5}, {"since": moment}, {"since": whole_second},
                    {"request_ref": "REQ-2", "since": moment, "until_seq": 7}, {"request_ref": "REQ-9"}):
        assert await reader_rows(database, **filters) == await repository_rows(engine, **filters), filters
    recorded = await stored_head(engine)
    async with open_reader(database.driver) as reader:
        assert await reader.head() == recorded == ChainHead(stored[-1][0], stored[-1][8])


async def test_reader_on_an_empty_log(database: Database) -> None:
    async with open_reader(database.driver) as reader, aclosing(reader.batches()) as batches:
        assert await reader.head() == ChainHead(0, "0" * 64)
        assert [rows async for rows in batches] == []


@pytest.mark.parametrize("batch", [2, 500])  # odd times in a batch with more to come, and in the only one
async def test_times_not_stored_as_the_app_stores_them_read_as_sqlalchemy_reads_them(
    engine: AsyncEngine, database: Database, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(storage.audit_reader, "BATCH", batch)
    await append(database, ENTRIES * 2)
    odd = (["2025-01-01T02:00:00+02:00", "2025-01-01 00:00:00", "0999-12-31 23:59:59.000001", "2025-06-01T12:00:00.5",
            "2025-06-01T12:00:00.000001",  # read as is: "T" or " " make no difference
            "9999-12-31 23:59:59.999999"]
           if engine.dialect.name == "sqlite" else
           ["0999-12-31 23:59:59.000001+00", "infinity", "-infinity", "2025-06-01 12:00:00+05:30",
            "9999-12-31 23:59:59.999999+00", "9999-12-30 23:59:59.999999+00", "1000-01-01 00:00:00+00"])
    stored_as = ":v" if engine.dialect.name == "sqlite" else "CAST(CAST(:v AS text) AS timestamptz)"
    async with engine.begin() as conn:
        for seq, value in enumerate(odd, start=1):
            await conn.execute(text(f"UPDATE audit_events SET occurred_at = {stored_as} WHERE id = :id"),
                               {"v": value, "id": seq})
    assert await reader_rows(database) == await repository_rows(engine)


async def test_reader_sees_one_snapshot_and_lets_writers_write(engine: AsyncEngine, database: Database,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage.audit_reader, "BATCH", 2)
    await append(database, ENTRIES)
    async with open_reader(database.driver) as reader, aclosing(reader.batches()) as batches:
        head = await reader.head()
        seen = list(await anext(batches))
        await asyncio.wait_for(append(database, ENTRIES[:1]), timeout=5)  # SQLite would time out on a write lock
        seen += [row async for rows in batches for row in rows]
        assert (len(seen), head.last_seq) == (len(ENTRIES), len(ENTRIES))
    assert len(await reader_rows(database)) == len(ENTRIES) + 1


async def test_verify_stops_at_a_broken_event_in_an_early_batch(engine: AsyncEngine, database: Database,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage.audit_reader, "BATCH", 2)
    await append(database, ENTRIES * 3)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE audit_events SET kind = 'edited' WHERE id = 3"))
    for _ in range(2):  # the second round shows the first left the database usable
        async with open_reader(database.driver) as reader:
            head = await reader.head()
            async with aclosing(reader.batches(until_seq=head.last_seq)) as batches:
                report = await verify_rows(batches, head)
        assert (report.checked, report.broken_at) == (2, 3) and "edited" in (report.problem or "")
