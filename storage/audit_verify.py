"""Checking the audit chain end to end, in one streaming pass."""

from __future__ import annotations

from collections.abc import AsyncIterable, Sequence
from dataclasses import dataclass

from storage.audit_chain import GENESIS_HASH, EventRow, chain_hashes
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


def _problem(row: EventRow, digest: str, expected_seq: int, prev_hash: str) -> str | None:
    if row[0] != expected_seq:
        return f"expected event {expected_seq} here (events missing or reordered)"
    if row[7] != prev_hash:
        return "its prev_hash does not match the previous event (an event before it was removed or changed)"
    if row[8] != digest:
        return "its content does not match its hash (the event was edited)"
    return None


async def verify_rows(batches: AsyncIterable[Sequence[EventRow]], head: ChainHead) -> ChainReport:
    """Recompute every hash in order, then check the chain ends where the head says."""
    checked, prev_hash = 0, GENESIS_HASH
    async for rows in batches:
        for row, digest in zip(rows, chain_hashes(rows), strict=True):
            problem = _problem(row, digest, checked + 1, prev_hash)
            if problem:
                return ChainReport(checked, row[0], problem)
            checked, prev_hash = checked + 1, digest
    if (checked, prev_hash) != (head.last_seq, head.last_hash):
        return ChainReport(checked, checked + 1,
                           f"the log ends at event {checked} but the chain head records event {head.last_seq} "
                           "(events were removed from or added at the end)")
    return ChainReport(checked)

