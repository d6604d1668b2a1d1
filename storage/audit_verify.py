"""Checking the audit chain end to end, in one streaming pass."""

from __future__ import annotations

from dataclasses import dataclass
from typing import AsyncIterable

from storage.audit_chain import GENESIS_HASH, event_hash
from storage.records import AuditEvent
from storage.repositories.audit import ChainHead


@dataclass(frozen=True)
class ChainReport:
    """``broken_at`` is the first event that does not fit (None when intact)."""

    checked: int
    broken_at: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def _problem(event: AuditEvent, expected_seq: int, prev_hash: str) -> str | None:
    if event.seq != expected_seq:
        return f"expected event {expected_seq} here (events missing or reordered)"
    if event.prev_hash != prev_hash:
        return "its prev_hash does not match the previous event (an event before it was removed or changed)"
    digest = event_hash(event.prev_hash, event.seq, event.occurred_at, event.actor, event.request_ref,
                        event.kind, event.outcome, event.details)
    if digest != event.hash:
        return "its content does not match its hash (the event was edited)"
    return None


async def verify_chain(events: AsyncIterable[AuditEvent], head: ChainHead) -> ChainReport:
    """Recompute every hash in order, then check the chain ends where the head says."""
    checked, prev_hash = 0, GENESIS_HASH
    async for event in events:
        problem = _problem(event, checked + 1, prev_hash)
        if problem:
            return ChainReport(checked, event.seq, problem)
        checked, prev_hash = checked + 1, event.hash
    if (checked, prev_hash) != (head.last_seq, head.last_hash):
        return ChainReport(checked, checked + 1,
                           f"the log ends at event {checked} but the chain head records event {head.last_seq} "
                           "(events were removed from or added at the end)")
    return ChainReport(checked)
