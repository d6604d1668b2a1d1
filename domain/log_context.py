"""What a log line is about: the request and the Slack user being served, where there are some.

Context variables, so every line logged while serving one Slack request (including the work it
spawns) or running one request's jobs carries them, with no logger passed around. Only ids go
here, never what someone typed.
"""

from __future__ import annotations

from contextvars import ContextVar

REQUEST: ContextVar[str | None] = ContextVar("selfserve_request", default=None)
USER: ContextVar[str | None] = ContextVar("selfserve_user", default=None)


def bind(*, request: str | None = None, user: str | None = None) -> None:
    """Name the request and/or user of what runs from here on in this context (and tasks it starts)."""
    if request is not None:
        REQUEST.set(request)
    if user is not None:
        USER.set(user)
