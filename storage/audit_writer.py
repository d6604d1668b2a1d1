"""Group commit for audit events that are written on their own.

Commands, form opens, refusals and the like change nothing but the audit log, and each
used to pay for a whole write transaction (and the chain head's lock) alone. Here every
event joins the next batch: when no batch is being written, one starts at once; while one
is, the next forms behind it. Callers still wait until their event is committed, so the
guarantee is unchanged; under load, many events share one transaction.

One bad event must not take its batch down with it: when a batch's transaction fails after it
began, its entries are retried one by one, each in its own transaction. An entry that fails
alone is replaced by an ``audit_refused`` event naming its kind and the error type (never the
bad value itself), and only its caller gets the error; if even that replacement fails (the
database is away), it and the entries not yet retried fail as a whole batch did before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

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
            except Exception as error:
                if batch:  # the transaction began, so an entry may be to blame: isolate it
                    await self._write_one_by_one(batch)
                else:  # BEGIN failed: no entry is to blame; fail every waiting caller
                    batch, self._pending = self._pending, []
                    _settle(batch, error)
            else:
                _settle(batch, None)

    async def _write_one_by_one(self, batch: Pending) -> None:
        """Commit each entry of a failed batch alone, so the innocent ones are kept."""
        for index, (entry, committed) in enumerate(batch):
            try:
                await self._commit([entry])
            except Exception as error:
                try:
                    await self._commit([refusal(entry, error)])
                except Exception as replacement_error:  # the database itself fails: stop trying
                    _settle(batch[index:], replacement_error)
                    return
                _settle([(entry, committed)], error)
            else:
                _settle([(entry, committed)], None)

    async def _commit(self, entries: list[AuditEntry]) -> None:
        async with self._uow() as uow:
            for entry in entries:
                uow.audit(entry)


REFUSED_KIND = "audit_refused"
KIND_SHOWN = 64
"""At most this many characters of a refused event's kind are kept in the refusal."""


def refusal(entry: AuditEntry, error: Exception) -> AuditEntry:
    """What is recorded instead of ``entry`` when the database refused it: that it happened,
    for whom and which kind of event it was, and why (the error type only: its message may
    quote the bad value in full). Actor and request reference are kept (cut to fit by the
    repository) unless they hold unprintable characters such as NUL, which PostgreSQL refuses
    and which would make the refusal fail too; then they are left out and named in the details."""
    details: dict[str, Any] = {"refused_kind": entry.kind[:KIND_SHOWN], "error": type(error).__name__}
    if len(entry.kind) > KIND_SHOWN:
        details["refused_kind_length"] = len(entry.kind)
    actor, request_ref = _printable(entry.actor), _printable(entry.request_ref)
    left_out = [name for name, kept, given in (("actor", actor, entry.actor), ("request_ref", request_ref,
                                                                                 entry.request_ref)) if kept != given]
    if left_out:
        details["left_out"] = left_out
    return AuditEntry(REFUSED_KIND, "error", actor, request_ref, details)


def _printable(value: str | None) -> str | None:
    return value if value is None or value.isprintable() else None


def _settle(batch: Pending, error: Exception | None) -> None:
    for _, committed in batch:
        if committed.done():  # its caller was cancelled
            continue
        if error is None:
            committed.set_result(None)
        else:
            committed.set_exception(error)
