"""The process's handle on storage: units of work for writing, readers for reading.

It owns the hot path's driver (``storage.driver``) beside the SQLAlchemy engine that
migrations and the CLI use; both point at the same database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.driver import Driver, open_driver
from storage.driver.postgres import PostgresDriver
from storage.repositories.audit import KnownHead
from storage.unit_of_work import Dispatcher, UnitOfWork, utcnow
from storage.wakeup import LocalWakeup, PostgresWakeup


class Database:
    def __init__(self, engine: AsyncEngine, clock: Callable[[], datetime] = utcnow) -> None:
        """``clock`` is every unit of work's time (tests move it to reach a timer's due time)."""
        self.engine = engine
        self.clock = clock
        self.driver: Driver = open_driver(engine.url.render_as_string(hide_password=False))
        self._dispatcher: Dispatcher | None = None
        self._known_head = KnownHead()

    def run_jobs_in(self, dispatcher: Dispatcher) -> None:
        """From now on, jobs committed by this process and due at once go straight to
        ``dispatcher``, and it is told of jobs committed for later."""
        self._dispatcher = dispatcher

    def wakeup(self) -> LocalWakeup:
        """What an idle job runner of this process waits on (see ``storage.wakeup``)."""
        if isinstance(self.driver, PostgresDriver):
            return PostgresWakeup(self.driver.connect_options)
        return LocalWakeup()

    def unit_of_work(self) -> UnitOfWork:
        """A read-write transaction, committed when its ``async with`` block ends without error."""
        return UnitOfWork(self.driver, self.clock, dispatcher=self._dispatcher, known_head=self._known_head)

    def reader(self) -> UnitOfWork:
        """Reads that must not write and never wait for a writer. On SQLite they share one
        snapshot; on PostgreSQL each statement sees what was committed when it started (READ
        COMMITTED, as before), so a reader must tolerate a change between its statements:
        every change queues its own notification, which redraws from the newer state."""
        return UnitOfWork(self.driver, self.clock, read_only=True)

    async def close(self) -> None:
        """Close the driver's connections (the engine is the caller's to dispose)."""
        await self.driver.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()
