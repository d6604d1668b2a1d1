"""The process's handle on storage: units of work for writing, readers for reading.

On SQLite only one transaction can write at a time. When two write transactions of this
process collide, SQLite's busy handler makes the loser *sleep* with growing back-off (up to
100 ms per try) even after the lock is free, which turned contention into tail latency of
hundreds of milliseconds. Write units therefore queue on an ``asyncio.Lock`` first (FIFO,
woken the moment the lock is released) and SQLite's own locking only ever arbitrates
between processes (a CLI command beside the bot). PostgreSQL needs no gate: its row locks
queue waiters properly. Readers never take the gate (WAL lets them read beside a writer).
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import read_only
from storage.repositories.audit import KnownHead
from storage.unit_of_work import Dispatcher, UnitOfWork


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._reads = read_only(engine)
        self._gate = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self._dispatcher: Dispatcher | None = None
        self._known_head = KnownHead()

    def dispatch_outbox_to(self, dispatcher: Dispatcher) -> None:
        """From now on, outbox jobs committed by this process go straight to ``dispatcher``."""
        self._dispatcher = dispatcher

    def unit_of_work(self) -> UnitOfWork:
        """A read-write transaction, committed when its ``async with`` block ends without error."""
        return UnitOfWork(self.engine, gate=self._gate, dispatcher=self._dispatcher, known_head=self._known_head)

    def reader(self) -> UnitOfWork:
        """A read-only transaction: it must not write, and on SQLite it never waits for a writer."""
        return UnitOfWork(self._reads)
