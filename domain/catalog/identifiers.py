"""Names and ids used in the catalog, each rejected with a message that states the rule."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, Strict
from pydantic_core import PydanticCustomError

RESERVED_SUBCOMMANDS = frozenset(
    {"help", "list", "status", "mine", "pending", "cancel", "away", "escalate", "help-me", "queue", "audit", "stats",
     "admin", "feedback"}
)


def _matching(pattern: str, what: str, rule: str) -> Callable[[str], str]:
    """Validator accepting strings that fully match ``pattern``; the error explains ``rule``."""
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if not regex.fullmatch(value):
            raise PydanticCustomError("identifier", f"invalid {what} {value!r} ({rule})")
        return value

    return check


def _not_reserved(value: str) -> str:
    """Action ids share the /selfserve namespace with built-in subcommands, so those are taken."""
    if value in RESERVED_SUBCOMMANDS:
        raise PydanticCustomError(
            "identifier", f"{value!r} is a built-in subcommand; choose another action id"
        )
    return value


_SLUG_RULE = "lowercase letters, digits and '-', starting with a letter, at most 40 characters"

ActionId = Annotated[
    str,
    Strict(),
    AfterValidator(_matching(r"[a-z][a-z0-9-]{0,39}", "action id", _SLUG_RULE)),
    AfterValidator(_not_reserved),
]
RoleName = Annotated[
    str,
    Strict(),
    AfterValidator(
        _matching(
            r"[a-z][a-z0-9_-]{0,39}",
            "role name",
            "lowercase letters, digits, '_' and '-', starting with a letter, at most 40 characters",
        )
    ),
]
FieldId = Annotated[
    str,
    Strict(),
    AfterValidator(
        _matching(
            r"[a-z][a-z0-9_]{0,49}",
            "field id",
            "lowercase letters, digits and '_', starting with a letter, at most 50 characters",
        )
    ),
]
UserId = Annotated[
    str,
    Strict(),
    AfterValidator(_matching(r"[UW][A-Z0-9]{2,}", "Slack user id", "expected an id like U012AB3CD")),
]
UsergroupId = Annotated[
    str,
    Strict(),
    AfterValidator(_matching(r"S[A-Z0-9]{2,}", "Slack user group id", "expected an id like S012AB3CD")),
]
ChannelId = Annotated[
    str,
    Strict(),
    AfterValidator(_matching(r"[CG][A-Z0-9]{2,}", "Slack channel id", "expected an id like C012AB3CD")),
]
