"""Typed refusals. Each carries the facts a user needs; ``bot/refusals.py`` turns them into
words in one place, and the service audits every one of them."""

from __future__ import annotations

from dataclasses import dataclass, field


class DomainError(Exception):
    """A refusal that is part of normal operation, not a bug. ``code`` goes to the audit log."""

    code = "refused"


@dataclass
class UnknownAction(DomainError):
    name: str
    suggestions: tuple[str, ...] = ()
    code = "unknown_action"


@dataclass
class NotAuthorized(DomainError):
    """The actor may not do this. ``reason`` is a stable code: not_a_requester,
    not_an_approver, self_approval."""

    reason: str
    role: str | None = None
    code = "not_authorized"


@dataclass
class UnknownRequest(DomainError):
    ref: str
    code = "unknown_request"


@dataclass
class RequestClosed(DomainError):
    """The request was decided before this click; ``decided_by`` says by whom."""

    ref: str
    status: str
    decided_by: tuple[str, ...] = field(default=())
    code = "request_closed"


@dataclass
class StepAlreadyDecided(DomainError):
    """The click was for an earlier step that others have completed meanwhile."""

    ref: str
    step: int
    decided_by: tuple[str, ...] = field(default=())
    code = "step_already_decided"


@dataclass
class AlreadyDecided(DomainError):
    """This actor already gave a verdict on this step (a double click, or a second device)."""

    ref: str
    verdict: str
    code = "already_decided"
