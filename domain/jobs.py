"""What a job handler tells the engine, and the retry policy the engine applies.

A handler is an adapter for one outside system (Slack now; HTTP webhooks and timers later).
It receives the due jobs of one request that share it, in order, and yields one outcome per
job as soon as that job's effect is confirmed, so the engine records each job the moment it
is done instead of after the whole group: a crash can repeat at most the job in hand.
"""

from __future__ import annotations

import random
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from domain.records import AuditEntry, Job, MessageRecord

if TYPE_CHECKING:
    from domain.ports import UnitOfWork

PENDING, DONE, FAILED, CANCELLED = "pending", "done", "failed", "cancelled"
STATUSES = (PENDING, DONE, FAILED, CANCELLED)
MAX_BACKOFF_SECONDS = 300.0
TIMER_PREFIX = "timer."
"""Timers (reminders, breaches, expiries) are kinds named ``timer.*``; they belong to a request
and are cancelled when it finishes, so nobody is reminded of a decided request."""
Effect = Callable[["UnitOfWork"], Awaitable[None]]
"""A change an outcome brings with it (a step recorded, the next one queued), made in the
transaction that records the outcome and only if the claim still holds: a job's effect on the
domain and its completion commit together, so a crash can never keep one and lose the other."""
FailureHook = Callable[["UnitOfWork", Job, str], Awaitable[None]]
"""What a kind does when one of its jobs ends as failed, however that came about (its handler
said so, its attempts ran out, its runs never reported), in the transaction that records it."""


@dataclass(frozen=True)
class Done:
    """The job's effect happened: what it leaves behind is recorded with its completion."""

    messages: Sequence[MessageRecord] = ()
    audit: Sequence[AuditEntry] = ()
    effects: Sequence[Effect] = ()


@dataclass(frozen=True)
class Retry:
    """Try again later: after ``after`` seconds (the outside system said when), or after the
    engine's backoff when None. Counted against the job's attempts, unless ``rate_limited``: the
    outside system refused for now (a 429), which says nothing about the job, so a burst of them
    must not use up its attempts; jobs of its kind then hold off until that time."""

    error: str
    after: float | None = None
    rate_limited: bool = False
    effects: Sequence[Effect] = ()


@dataclass(frozen=True)
class Fail:
    """Retrying cannot help (e.g. the recipient does not exist): the job ends as failed."""

    error: str
    audit: Sequence[AuditEntry] = field(default=())
    effects: Sequence[Effect] = ()


Outcome = Done | Retry | Fail


class JobHandler(Protocol):
    """Performs jobs of the kinds it is registered for."""

    def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        """Perform ``jobs`` (one request's, oldest first) and yield each job's outcome as soon
        as it is known; a job not yielded is released for a later attempt. An exception is a
        bug or an outage: the job in hand and the rest are retried with backoff."""
        ...


def backoff(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` tries: exponential and capped, with full
    jitter (anywhere from a second up to the exponential bound) so that jobs that failed
    together (an outage) come back spread out instead of in waves.

    Written out rather than taken from tenacity's ``wait_random_exponential`` or backoff's
    ``full_jitter``: those are driven by their own in-process retry loop's state, while here the
    attempt count comes from the job's row and the delay is written to it as a due time."""
    return random.uniform(1.0, max(1.0, min(MAX_BACKOFF_SECONDS, 2.0 ** attempts)))


def after_rate_limit(seconds: float) -> float:
    """When to try a rate-limited job again: never sooner than asked, and spread over a quarter
    more, so jobs held back together do not all come back at the same instant."""
    return seconds * random.uniform(1.0, 1.25)
