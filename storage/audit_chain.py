"""The hash chain behind the audit log, with no database in sight.

Each event's hash is SHA-256 over the previous hash and the event's canonical content, so
editing, reordering or deleting any event changes every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

GENESIS_HASH = "0" * 64

EventRow = Sequence[Any]
"""One stored event as text, in column order: seq, time (``format_time`` text), actor,
request_ref, kind, outcome, details, prev_hash, hash."""


def canonical_details(details: Mapping[str, Any] | None) -> str:
    """Details as compact JSON with sorted keys: one text for one meaning, on every backend."""
    return json.dumps(details or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def format_time(moment: datetime) -> str:
    """A fixed-width UTC timestamp with microseconds, stable across database round trips."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
    [digest] = chain_hashes([(seq, format_time(occurred_at), actor, request_ref, kind, outcome, details, prev_hash,
                              None)])  # the hash itself is not hashed
    return digest


def chain_hashes(events: Iterable[EventRow]) -> list[str]:
    """The hash each event must have, chained to the prev_hash it records.

    The hashed content is the compact JSON array [seq, time, actor, request_ref, kind,
    outcome, details] with non-ASCII kept, as json.dumps writes it, but put together directly
    with the encoder's own string escaping: json.dumps per event was most of what
    ``audit verify`` spent on a large log.
    """
    quote = encode_basestring
    return [
        hashlib.sha256(
            f'{prev_hash}\n[{seq},{quote(time)},{"null" if actor is None else quote(actor)},'
            f'{"null" if request_ref is None else quote(request_ref)},{quote(kind)},{quote(outcome)},'
            f'{quote(details)}]'.encode()
        ).hexdigest()
        for seq, time, actor, request_ref, kind, outcome, details, prev_hash, _ in events
    ]
