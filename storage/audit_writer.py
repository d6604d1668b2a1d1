"""Group commit for audit events that are written on their own.

Commands, form opens, refusals and the like change nothing but the audit log, and each
used to pay for a whole write transaction (and the chain head's lock) alone. Here every
event joins the next batch: when no batch is being written, one starts at once; while one
is, the next forms behind it. Callers still wait until their event is committed, so the
guarantee is unchanged; under load, many events share one transaction.
"""

from __future__ import annotations

import asyncio
from typing import Callable

from domain.records import AuditEntry
from storage.unit_of_work import UnitOfWork

Pending = list[tuple[AuditEntry, "asyncio.Future[None]"]]


class AuditWriter:
    def __init__(self, unit_of_work: Callable[[], UnitOfWork]) -> None:
        self._uow = unit_of_work
        self._pending: Pending = []
        self._writing: asyncio.Task[None] | None = None

    async def write(self, entry: AuditEntry) -> None:
        """Append ``entry`` to the chain; returns once it is committed (raises if that failed)."""
        loop = asyncio.get_running_loop()
        committed: asyncio.Future[None] = loop.create_future()
        self._pending.append((entry, committed))
        if self._writing is None or self._writing.done():
            self._writing = loop.create_task(self._write_batches(), name="audit-writer")
        await committed

    async def _write_batches(self) -> None:
        while self._pending:
            batch: Pending = []
            try:
                async with self._uow() as uow:
                    batch, self._pending = self._pending, []  # taken once the transaction is ours
                    for entry, _ in batch:
                        uow.audit(entry)
            except Exception as error:  # fail this batch's callers (all waiting ones if BEGIN failed)
                if not batch:
                    batch, self._pending = self._pending, []
                _settle(batch, error)
            else:
                _settle(batch, None)


def _settle(batch: Pending, error: Exception | None) -> None:
    for _, committed in batch:
        if committed.done():  # its caller was cancelled
            continue
        if error is None:
            committed.set_result(None)
        else:
            committed.set_exception(error)
