"""Identifiers in Slack's formats, so code that parses, sorts or compares them behaves as in production."""

from __future__ import annotations

import hashlib
import secrets
import string
import time

_UPPER_ALNUM = string.ascii_uppercase + string.digits
_MIXED_ALNUM = string.ascii_letters + string.digits


def slack_id(prefix: str, length: int = 10) -> str:
    """A random id like Slack's object ids ("V0123ABCD45")."""
    return prefix + "".join(secrets.choice(_UPPER_ALNUM) for _ in range(length))


def stable_id(prefix: str, seed: str) -> str:
    """A deterministic id, so the same input (e.g. a user's DM) always maps to the same id."""
    return prefix + hashlib.sha1(seed.encode()).hexdigest()[:10].upper()


def short_id() -> str:
    """Like the block_id / action_id Slack invents when the app leaves one out ("hspI3")."""
    return "".join(secrets.choice(_MIXED_ALNUM) for _ in range(5))


def view_hash() -> str:
    """A view hash like Slack's ("1596530361.3wRYuk3R"); a new one per view version."""
    return f"{int(time.time())}.{secrets.token_hex(4)}"


def trigger_id() -> str:
    """A trigger id like Slack's ("4916855695380.4367485638.f8a0...")."""
    return f"{time.time_ns() // 1_000_000}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"


class TsClock:
    """Message timestamps ("1700000000.000100"): wall-clock based, unique and strictly increasing."""

    def __init__(self) -> None:
        self._last_us = 0

    def next(self) -> str:
        """The next ts; never repeats, even for calls within the same microsecond."""
        self._last_us = max(time.time_ns() // 1000, self._last_us + 1)
        return f"{self._last_us // 1_000_000}.{self._last_us % 1_000_000:06d}"
