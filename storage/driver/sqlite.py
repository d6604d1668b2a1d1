"""SQLite on the event loop's own thread.

Why not aiosqlite: it runs every cursor call on a worker thread, and each hop (queue put,
wake-up through the loop's self-pipe, future) cost more CPU than the statement itself: a
request's transaction took ~2.8 ms of CPU through SQLAlchemy and aiosqlite, ~0.2 ms here.
Running inline is safe because nothing here can wait long:

* Writers of this process queue on an ``asyncio.Lock`` and use one connection, so they
  never meet SQLite's lock. Readers use WAL snapshots and never wait for the writer.
* Another *process* holding the write lock (a CLI command) makes ``BEGIN IMMEDIATE`` fail at
  once (``busy_timeout=0``); the attempt is retried after an ``asyncio.sleep``, so the loop
  keeps serving while it waits, up to ``BUSY_TIMEOUT_SECONDS`` as before.
* Commits do not fsync (WAL with ``synchronous=NORMAL``: a crash of the bot loses nothing,
  a power cut can lose the last transactions); the fsync of a checkpoint is the one slow
  step, so automatic checkpoints are off on these connections and ``Checkpointer`` runs them
  in a worker thread instead, holding the write gate: SQLite only rewinds the WAL when a
  write starts on a fully checkpointed log, which writers racing the checkpoint prevented
  (the WAL grew without limit).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any, TypeVar

from sqlalchemy.engine import URL

from storage.driver import DriverTransaction, IntegrityViolation

logger = logging.getLogger(__name__)
BUSY_TIMEOUT_SECONDS = 10.0
CHECKPOINT_EVERY_COMMITS = 500
WAL_SIZE_LIMIT_BYTES = 32 * 1024 * 1024  # the WAL file is cut back to this when it is rewound
STATEMENT_CACHE = 256  # statements compiled per connection (each count of a PerSize is one)
T = TypeVar("T")


def _is_busy(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", 0) & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


async def _patiently(call: Callable[..., T], *args: Any) -> T:
    """``call(*args)``, retried with growing async sleeps while another process holds a lock.

    A statement refused with SQLITE_BUSY had no effect, so retrying it is always safe."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BUSY_TIMEOUT_SECONDS
    delay = 0.001
    while True:
        try:
            return call(*args)
        except sqlite3.OperationalError as error:
            if not _is_busy(error) or loop.time() >= deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)


class SqliteTransaction(DriverTransaction):
    def __init__(self, connection: sqlite3.Connection, driver: SqliteDriver) -> None:
        super().__init__(driver.dialect)
        self._connection: sqlite3.Connection | None = connection

    def end(self) -> None:
        """Called when the block ends: the handle must not run anything afterwards."""
        self._connection = None

    async def _fetch(self, sql: str, parameters: tuple[Any, ...]) -> list[Any]:
        return (await self._cursor(sql, parameters)).fetchall()

    async def _execute(self, sql: str, parameters: tuple[Any, ...]) -> int:
        return (await self._cursor(sql, parameters)).rowcount

    async def _cursor(self, sql: str, parameters: tuple[Any, ...]) -> sqlite3.Cursor:
        if self._connection is None:
            raise RuntimeError("this transaction has ended")
        try:
            return await _patiently(self._connection.execute, sql, parameters)
        except sqlite3.IntegrityError as error:
            raise IntegrityViolation(str(error)) from error


class Checkpointer:
    """Moves the WAL into the database file in a worker thread, every so many commits.

    Twice: first beside the writers (that copies nearly everything), then holding the
    process's write gate, which only has the frames written meanwhile left to copy. Writers
    wait (on the loop, not blocking it) for that short second pass only, and the next write
    after a complete checkpoint starts the WAL from its beginning. PASSIVE never waits for
    readers; frames a reader still needs are copied next time."""

    def __init__(self, path: str, gate: asyncio.Lock) -> None:
        self._path = path
        self._gate = gate
        self._commits = 0
        self._task: asyncio.Task[None] | None = None
        self.closing = False

    def committed(self) -> None:
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY_COMMITS and self._task is None and not self.closing:
            self._commits = 0
            self._task = asyncio.get_running_loop().create_task(self.run(), name="sqlite-checkpoint")
            self._task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._task = None
        if not task.cancelled() and task.exception() is not None:
            logger.error("WAL checkpoint failed; the next one retries", exc_info=task.exception())

    async def run(self) -> None:
        await asyncio.to_thread(self._checkpoint)  # the bulk, while writers keep writing
        async with self._gate:
            await asyncio.to_thread(self._checkpoint)  # the few frames written meanwhile

    def _checkpoint(self) -> None:
        connection = sqlite3.connect(self._path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            connection.close()

    async def drain(self) -> None:
        """Wait for a running checkpoint; its failure was logged and must not stop a close."""
        if self._task is not None:
            await asyncio.gather(asyncio.shield(self._task), return_exceptions=True)


class SqliteDriver:
    """One writer connection (behind an ``asyncio.Lock``) and a free list of read-only ones."""

    def __init__(self, url: URL) -> None:
        if not url.database or url.database == ":memory:":
            raise ValueError("selfserve needs a SQLite *file*: an in-memory database is private to one connection")
        self.dialect = url.get_dialect()()
        self._path = url.database
        self._gate = asyncio.Lock()
        self._writer: sqlite3.Connection | None = None
        self._idle_readers: list[sqlite3.Connection] = []
        self._readers: list[sqlite3.Connection] = []
        self._checkpointer = Checkpointer(self._path, self._gate)
        self._closed = False

    async def _connect(self, *, read_only: bool) -> sqlite3.Connection:
        # timeout=0: opening must not wait in SQLite's busy handler on the loop's thread either
        connection = sqlite3.connect(self._path, isolation_level=None, timeout=0,  # we issue BEGIN ourselves
                                     cached_statements=STATEMENT_CACHE)
        try:
            for pragma in ("busy_timeout=0", "journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                           "wal_autocheckpoint=0", f"journal_size_limit={WAL_SIZE_LIMIT_BYTES}",
                           f"query_only={int(read_only)}"):
                await _patiently(connection.execute, f"PRAGMA {pragma}")
        except BaseException:
            connection.close()
            raise
        return connection

    @asynccontextmanager
    async def transaction(self, *, read_only: bool = False) -> AsyncIterator[SqliteTransaction]:
        async with nullcontext() if read_only else self._gate:
            if self._closed:
                raise RuntimeError("the database driver is closed")
            connection = await (self._reader() if read_only else self._writer_connection())
            tx = SqliteTransaction(connection, self)
            try:
                await _patiently(connection.execute, "BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")
                yield tx
                await _patiently(connection.execute, "COMMIT")
                tx.committed = True
            finally:
                tx.end()
                self._put_back(connection, read_only)
        if not read_only:
            self._checkpointer.committed()

    def snapshot(self) -> AbstractAsyncContextManager[SqliteTransaction]:
        """Any read-only transaction: it reads one WAL snapshot, taken at its first statement."""
        return self.transaction(read_only=True)

    def _put_back(self, connection: sqlite3.Connection, read_only: bool) -> None:
        """End what the block left open; a reader goes back on the free list unless closed."""
        if self._closed:
            connection.close()  # close() ran meanwhile (readers do not wait for it)
            return
        if connection.in_transaction:
            connection.rollback()
        if read_only:
            self._idle_readers.append(connection)

    async def _writer_connection(self) -> sqlite3.Connection:
        if self._writer is None:
            self._writer = await self._connect(read_only=False)
        return self._writer

    async def _reader(self) -> sqlite3.Connection:
        if self._idle_readers:
            return self._idle_readers.pop()
        connection = await self._connect(read_only=True)
        self._readers.append(connection)  # closed by close(), or by _put_back if close() came first
        return connection

    async def checkpoint(self) -> None:
        """Checkpoint now (tests, and before the bot stops)."""
        await self._checkpointer.run()

    async def close(self) -> None:
        """Wait for the running write and checkpoint, then close every connection. Readers
        still open fail on their next statement."""
        async with self._gate:
            self._closed = True
            self._checkpointer.closing = True
        await self._checkpointer.drain()
        async with self._gate:
            for connection in [*self._readers, *([self._writer] if self._writer else [])]:
                connection.close()
            self._readers.clear()
            self._idle_readers.clear()
            self._writer = None
