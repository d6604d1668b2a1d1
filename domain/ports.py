"""What the domain needs from storage, declared here so ``domain/`` imports nothing from it.

``storage/`` implements these protocols (``storage.unit_of_work.UnitOfWork`` and its
repositories); ``bot/app.py`` and ``cli/`` wire an implementation in. Tests run the service
against an in-memory implementation (``tests/memory_uow.py``) as well as the real one.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from domain.records import AuditEntry, DecisionRecord, MessageRecord, NewRequest, RequestRecord


class DuplicateSubmission(Exception):
    """Another transaction stored a request for the same modal first (the unit of work is
    then unusable: roll it back and look the first one up)."""


class RequestStore(Protocol):
    """Requests, their decisions and the Slack messages posted about them."""

    async def add(self, new: NewRequest, status: str, now: datetime) -> RequestRecord:
        """Insert a request; a second one for the same modal raises ``DuplicateSubmission``."""

    async def get(self, request_id: int, *, for_update: bool = False) -> RequestRecord | None:
        """One request; ``for_update`` locks it until the unit of work ends."""

    async def find_by_view(self, view_id: str) -> RequestRecord | None:
        """The request a modal submission already created."""

    async def set_progress(self, request: RequestRecord, status: str, current_step: int,
                           now: datetime) -> RequestRecord:
        """Move ``request`` on; returns it as now stored."""

    async def decisions(self, request_id: int) -> list[DecisionRecord]:
        """The request's decisions, oldest first."""

    async def add_decision(self, decision: DecisionRecord) -> None:
        """Store one verdict."""

    async def messages(self, request_id: int, purpose: str) -> list[MessageRecord]:
        """Messages posted about the request for ``purpose``, oldest first."""

    async def add_messages(self, messages: Sequence[MessageRecord], now: datetime) -> None:
        """Remember posted messages."""


class UnitOfWork(Protocol):
    """One transaction: every change in it, the work it enqueues and the audit entries it
    records are committed together, or none of them."""

    @property
    def requests(self) -> RequestStore:
        """Requests, decisions and posted messages, inside this transaction."""

    def now(self) -> datetime:
        """The time of this unit of work (one clock for every row it writes)."""

    def audit(self, entry: AuditEntry) -> None:
        """Record ``entry`` as part of this transaction."""

    def enqueue(self, kind: str, request_id: int | None, payload: Mapping[str, Any]) -> None:
        """Queue durable after-commit work as part of this transaction."""


class UnitOfWorkScope(Protocol):
    """``async with factory() as uow``: committed when the block ends normally."""

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWorkScope]
AuditSink = Callable[[AuditEntry], Coroutine[Any, Any, None]]
"""Appends one stand-alone audit event; returns once it is committed."""
