"""Group commit for audit events that are written on their own.

Commands, form opens, refusals and the like change nothing but the audit log; each joins the
next batch of ``domain.group_commit`` instead of paying for a whole write transaction (and the
chain head's lock) alone, and its caller still waits until it is committed. An event that fails
on its own (and only its caller) is replaced by an ``audit_refused`` event naming its kind and
the error type, never the bad value itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.group_commit import GroupCommit
from domain.ports import UnitOfWork, UnitOfWorkFactory
from domain.records import AuditEntry


class AuditWriter:
    def __init__(self, unit_of_work: UnitOfWorkFactory) -> None:
        self._group = GroupCommit(unit_of_work, _append, _append_refusal, name="audit-writer")

    async def write(self, entry: AuditEntry) -> None:
        """Append ``entry`` to the chain; returns once it is committed (raises if that failed)."""
        await self._group.submit(entry)


async def _append(uow: UnitOfWork, entries: Sequence[AuditEntry]) -> None:
    for entry in entries:
        uow.audit(entry)


async def _append_refusal(uow: UnitOfWork, entry: AuditEntry, error: Exception) -> None:
    uow.audit(refusal(entry, error))


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
