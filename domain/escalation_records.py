"""The records of escalations: what support staff triage, and what happened to each.

Kept apart from ``domain.records`` (requests and jobs) because an escalation may concern no
request at all (``/selfserve help-me``); storage reads and writes these like the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.records import parse_ref

ESCALATION_REF_PREFIX = "ESC-"


class EscalationStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


def escalation_ref(escalation_id: int) -> str:
    """The id people see: ``ESC-<n>``."""
    return f"{ESCALATION_REF_PREFIX}{escalation_id}"


def parse_escalation_ref(ref: str) -> int | None:
    """``ESC-7`` (any case, or a bare ``7``) -> 7; anything else -> None."""
    return parse_ref(ref, ESCALATION_REF_PREFIX)


@dataclass(frozen=True)
class EscalationEvent:
    """One line of an escalation's history: ``what`` happened (opened, again, claimed,
    reassigned, resolved, reopened), ``by`` whom (None: the bot), why (``reason``: for opened and
    again), with its ``text`` (the requester's words, or the resolution note) and, for a
    reassignment, ``to`` whom."""

    what: str
    by: str | None
    at: datetime
    reason: str | None = None
    text: str | None = None
    to: str | None = None


@dataclass(frozen=True)
class NewEscalation:
    request_id: int | None
    requester_id: str
    """Whom it is for: the request's requester, or who asked for help."""
    opened_by: str | None
    reason: str
    words: str | None
    history: tuple[EscalationEvent, ...]


@dataclass(frozen=True)
class Thread:
    """A message the bot posted for an escalation, whose thread carries the conversation."""

    channel: str
    ts: str


@dataclass(frozen=True)
class EscalationRecord:
    id: int
    request_id: int | None
    requester_id: str
    opened_by: str | None
    reason: str
    words: str | None
    status: str
    assignee: str | None
    note: str | None
    history: tuple[EscalationEvent, ...]
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    support_post: Thread | None = None
    """The escalation's message in the support channel (None until posted)."""
    requester_post: Thread | None = None
    """The bot's DM to the requester that opened their side of the conversation."""

    @property
    def ref(self) -> str:
        return escalation_ref(self.id)

    @property
    def is_open(self) -> bool:
        return self.status != EscalationStatus.RESOLVED
