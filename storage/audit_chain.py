"""The hash chain behind the audit log, with no database in sight.

Each event's hash is SHA-256 over the previous hash and the event's canonical content, so
editing, reordering or deleting any event changes every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Mapping

GENESIS_HASH = "0" * 64


def canonical_details(details: Mapping[str, Any] | None) -> str:
    """Details as compact JSON with sorted keys: one text for one meaning, on every backend."""
    return json.dumps(details or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def format_time(moment: datetime) -> str:
    """A fixed-width UTC timestamp with microseconds, stable across database round trips."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    prev_hash: str,
    seq: int,
    occurred_at: datetime,
    actor: str | None,
    request_ref: str | None,
    kind: str,
    outcome: str,
    details: str,
) -> str:
    """Hash of one event chained to its predecessor."""
    content = json.dumps(
        [seq, format_time(occurred_at), actor, request_ref, kind, outcome, details],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()
