"""Group commit: many small writes that arrive together share one transaction.

Every item joins the next batch: when no batch is being written, one starts at once; while
one is, the next forms behind it. A caller still waits until its own item is committed, so
nothing is acknowledged early; under load many items share a transaction (and on SQLite one
turn at the single writer).

One bad item must not take its batch down with it: when a batch's transaction fails after it
began, its items are retried one by one, each in its own transaction. An item that fails alone
is handed to ``refused`` (which may write a replacement, e.g. an event saying it was refused)
and only its caller gets the error; if even that fails (the database is away), it and the items
not yet retried fail together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from domain.ports import UnitOfWork, UnitOfWorkFactory

T = TypeVar("T")
Write = Callable[[UnitOfWork, Sequence[T]], Awaitable[None]]
Refused = Callable[[UnitOfWork, T, Exception], Awaitable[None]]


class GroupCommit(Generic[T]):
    def __init__(self, unit_of_work: UnitOfWorkFactory, write: Write[T], refused: Refused[T] | None = None,
                 name: str = "group-commit", linger: float = 0.0) -> None:
        """``write(uow, items)`` adds ``items`` to the unit of work; ``refused(uow, item, error)``
        records an item that failed on its own (nothing is written for it when None). With
        ``linger``, a batch that starts when none is being written waits up to that long for
        company, or until ``flush()``."""
        self._linger = linger
        self._flushed: asyncio.Future[None] | None = None  # the running linger, while one runs
        self._uow = unit_of_work
        self._write = write
        self._refused = refused
        self._name = name
        self._pending: list[tuple[T, asyncio.Future[None]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> None:
        """Write ``item``; returns once it is committed (raises if that failed)."""
        await self.add(item)

    def add(self, item: T) -> asyncio.Future[None]:
        """Queue ``item``; the future is done once it is committed (or failed). For callers that
        queue several items and wait for them together, without a task each."""
        loop = asyncio.get_running_loop()
        committed: asyncio.Future[None] = loop.create_future()
        self._pending.append((item, committed))
        if self._writing is None or self._writing.done():
            self._writing = loop.create_task(self._write_batches(), name=self._name)
        return committed

    def flush(self) -> None:
        """Write what is waiting now instead of at the end of the linger."""
        if self._flushed is not None and not self._flushed.done():
            self._flushed.set_result(None)

    async def _write_batches(self) -> None:
        if self._linger:
            loop = asyncio.get_running_loop()
            self._flushed = loop.create_future()
            timer = loop.call_later(self._linger, self.flush)
            try:
                await self._flushed
            finally:
                timer.cancel()
                self._flushed = None
        while self._pending:
            batch: list[tuple[T, asyncio.Future[None]]] = []
            try:
                async with self._uow() as uow:
                    batch, self._pending = self._pending, []  # taken once the transaction is ours
                    await self._write(uow, [item for item, _ in batch])
            except Exception as error:
                if batch:  # the transaction began, so an item may be to blame: isolate it
                    await self._write_one_by_one(batch)
                else:  # BEGIN failed: no item is to blame; fail every waiting caller
                    batch, self._pending = self._pending, []
                    _settle(batch, error)
            else:
                _settle(batch, None)

    async def _write_one_by_one(self, batch: list[tuple[T, asyncio.Future[None]]]) -> None:
        for index, (item, committed) in enumerate(batch):
            try:
                async with self._uow() as uow:
                    await self._write(uow, [item])
            except Exception as error:
                try:
                    if self._refused is not None:
                        async with self._uow() as uow:
                            await self._refused(uow, item, error)
                except Exception as replacement_error:  # the database itself fails: stop trying
                    _settle(batch[index:], replacement_error)
                    return
                _settle([(item, committed)], error)
            else:
                _settle([(item, committed)], None)


def _settle(batch: Sequence[tuple[object, asyncio.Future[None]]], error: Exception | None) -> None:
    for _, committed in batch:
        if committed.done():  # its caller was cancelled
            continue
        if error is None:
            committed.set_result(None)
        else:
            committed.set_exception(error)
