"""The append-only audit log: appends extend the hash chain under a lock on its head."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, select, update

from domain.records import AuditEntry
from storage.audit_chain import GENESIS_HASH, canonical_details, event_hash
from storage.driver import Transaction, first, insert_many
from storage.driver.statement import InsertMany, Statement, insert_into
from storage.models import AuditEventRow, AuditHeadRow, table_of

HEAD_ID = 1
EVENTS = table_of(AuditEventRow)
HEAD = table_of(AuditHeadRow)
_HEAD = select(HEAD.c.last_seq, HEAD.c.last_hash).where(HEAD.c.id == HEAD_ID)
READ_HEAD = Statement(_HEAD)
LOCK_HEAD = Statement(_HEAD.with_for_update())
CREATE_HEAD = insert_into(HEAD, ["id", "last_seq", "last_hash"])
INSERT_EVENTS = InsertMany(EVENTS, ["id", "occurred_at", "actor", "request_ref", "kind", "outcome", "details",
                                    "prev_hash", "hash"])
_MOVE: dict[str, Any] = {"last_seq": bindparam("last_seq"), "last_hash": bindparam("last_hash")}
MOVE_HEAD = Statement(update(HEAD).where(HEAD.c.id == HEAD_ID).values(_MOVE))
MOVE_HEAD_IF_AT = Statement(update(HEAD).where(HEAD.c.id == HEAD_ID, HEAD.c.last_seq == bindparam("was_seq"),
                                               HEAD.c.last_hash == bindparam("was_hash")).values(_MOVE))


@dataclass(frozen=True)
class ChainHead:
    last_seq: int
    last_hash: str


class KnownHead:
    """The chain head as this process last wrote it, to skip reading it on the next append.

    Only a hint: the next append moves the head *on condition* that it is still there, which
    takes the same row lock a read would, and falls back to reading it when another process
    (or a rolled-back transaction of ours) moved it. One statement fewer per audited
    transaction in the common case; never a wrong link.
    """

    def __init__(self) -> None:
        self.value: ChainHead | None = None


class AuditRepository:
    def __init__(self, db: Transaction, known_head: KnownHead | None = None) -> None:
        self._db = db
        self._known_head = known_head

    async def append(self, entries: Sequence[AuditEntry], now: datetime) -> None:
        """Chain ``entries`` after the current head. Locks the head row until commit, which
        serialises appenders across processes; call it last in a transaction."""
        if not entries:
            return
        rows: list[dict[str, Any]] = []
        head: ChainHead | None = None
        hint = self._known_head.value if self._known_head else None
        if hint is not None:
            rows, head = _chain(entries, hint, now)
            moved = await self._db.run(MOVE_HEAD_IF_AT, {"last_seq": head.last_seq, "last_hash": head.last_hash,
                                                         "was_seq": hint.last_seq, "was_hash": hint.last_hash})
            if moved != 1:
                head = None  # moved by another process, or by a transaction of ours that rolled back
        if head is None:
            rows, head = _chain(entries, await self._locked_head(), now)
            await self._db.run(MOVE_HEAD, {"last_seq": head.last_seq, "last_hash": head.last_hash})
        await insert_many(self._db, INSERT_EVENTS, rows)
        if self._known_head:
            self._known_head.value = head

    async def _locked_head(self) -> ChainHead:
        row = await first(self._db, LOCK_HEAD)
        if row is None:
            await self._db.run(CREATE_HEAD, {"id": HEAD_ID, "last_seq": 0, "last_hash": GENESIS_HASH})
            return ChainHead(0, GENESIS_HASH)
        return ChainHead(row.last_seq, row.last_hash)

    async def head(self) -> ChainHead:
        row = await first(self._db, READ_HEAD)
        return ChainHead(0, GENESIS_HASH) if row is None else ChainHead(row.last_seq, row.last_hash)


TRUNCATION_MARK = "…"
"""Ends a value cut to fit its column, so a stored value never passes for the original."""


def _column_length(name: str) -> int:
    """The declared length of a short text column of ``audit_events`` (read from the table,
    so the policy cannot drift from the schema)."""
    column_type = EVENTS.c[name].type
    assert isinstance(column_type, String) and column_type.length, f"audit_events.{name} has no length"
    return column_type.length


SHORT_COLUMNS: dict[str, int] = {name: _column_length(name) for name in ("actor", "request_ref", "kind", "outcome")}


def bounded(entry: AuditEntry) -> AuditEntry:
    """``entry`` as the audit log stores it: every short field fits its column.

    PostgreSQL refuses an over-long value (failing the whole transaction, and with it every
    other event in a group commit) while SQLite stores it whole, so both backends get this one
    policy instead: a value longer than its column keeps its first ``length - 1`` characters
    followed by ``TRUNCATION_MARK``, and the details gain ``{"truncated": {field: original
    length}}`` (merged into a ``truncated`` mapping already there), so the event stays honest
    about what was cut. Values that fit are untouched; the hash covers the stored values.
    """
    cut: dict[str, int] = {}
    fields: dict[str, str] = {}
    for name, length in SHORT_COLUMNS.items():
        value: str | None = getattr(entry, name)
        if value is not None and len(value) > length:
            cut[name] = len(value)
            fields[name] = value[: length - len(TRUNCATION_MARK)] + TRUNCATION_MARK
    if not cut:
        return entry
    details = dict(entry.details or {})
    earlier = details.get("truncated")
    details["truncated"] = {**(earlier if isinstance(earlier, dict) else {}), **cut}
    return replace(entry, **fields, details=details)


def _chain(entries: Sequence[AuditEntry], after: ChainHead, now: datetime) -> tuple[list[dict[str, Any]], ChainHead]:
    """The rows that extend the chain from ``after`` with ``entries`` (bounded, see
    ``bounded``), and the new head."""
    seq, prev = after.last_seq, after.last_hash
    rows = []
    for entry in map(bounded, entries):
        seq += 1
        details = canonical_details(entry.details)
        digest = event_hash(prev, seq, now, entry.actor, entry.request_ref, entry.kind, entry.outcome, details)
        rows.append({"id": seq, "occurred_at": now, "actor": entry.actor, "request_ref": entry.request_ref,
                     "kind": entry.kind, "outcome": entry.outcome, "details": details, "prev_hash": prev,
                     "hash": digest})
        prev = digest
    return rows, ChainHead(seq, prev)
