"""Request states and the vocabulary of decisions."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"  # by its requester, while it was pending
    FAILED = "failed"  # approved, but a fulfilment step failed for good (support can retry it)
    EXPIRED = "expired"  # approved and fulfilled; its time-bound access has ended


class Verdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    DELEGATE = "delegate"
    """Not a verdict on the request: the decider handed the step to someone else (the decision's
    ``reason`` holds who), by a Delegate click or because they were away."""


CLOSED_STATUSES = frozenset({Status.APPROVED, Status.REJECTED, Status.CANCELLED, Status.FAILED, Status.EXPIRED})
