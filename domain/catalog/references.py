"""Checks that actions only name roles the catalog defines, and that approvals can be met.

The role index is built from the raw document before validation, so these checks run (and
report) alongside every other problem instead of waiting until the rest of the file is valid.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from pydantic import ValidationInfo
from pydantic_core import PydanticCustomError


@dataclass(frozen=True)
class RoleIndex:
    """Role name -> its members (None when unknown: the list is invalid, or Slack user groups add to it).

    Members, not counts: a step that several roles may decide is decided by the people holding any of
    them, and someone holding two of its roles is one person, not two."""

    members: dict[str, frozenset[str] | None]

    @classmethod
    def from_document(cls, data: object) -> RoleIndex | None:
        """Index the ``roles`` section, or None when it is too malformed to check against."""
        roles = data.get("roles") if isinstance(data, dict) else None
        if not isinstance(roles, dict):
            return None
        return cls({name: _members(body) for name, body in roles.items()})

    def unknown_role_message(self, name: str) -> str:
        """Explain an unknown role, suggesting the likely intended one."""
        close = difflib.get_close_matches(name, self.members, n=1)
        if close:
            return f"unknown role {name!r} (did you mean {close[0]!r}?)"
        if not self.members:
            return f"unknown role {name!r} (no roles are defined)"
        return f"unknown role {name!r} (expected one of: {', '.join(self.members)})"


def _members(body: object) -> frozenset[str] | None:
    """The role's members, or None when unknown (invalid, or filled from Slack user groups)."""
    if isinstance(body, dict) and body.get("usergroups"):
        return None
    members = body.get("members") if isinstance(body, dict) else None
    if not isinstance(members, list) or not all(isinstance(member, str) for member in members):
        return None
    return frozenset(members)


def _index(info: ValidationInfo) -> RoleIndex | None:
    """The index passed as validation context; absent when models are built directly in code."""
    return info.context if isinstance(info.context, RoleIndex) else None


def check_role_exists(name: str, info: ValidationInfo) -> str:
    """Reject a reference to a role the catalog doesn't define (a typo would lock everyone out)."""
    index = _index(info)
    if index is not None and name not in index.members:
        raise PydanticCustomError("unknown_role", index.unknown_role_message(name))
    return name


def approvals_problem(roles: tuple[str, ...], min_approvals: int, info: ValidationInfo) -> str | None:
    """Why an approval step can never complete, if it can't: too few people hold its roles (a
    role filled from Slack user groups is counted when the app runs, not here). Each person counts
    once, however many of the roles they hold."""
    index = _index(info)
    held_by = [index.members.get(role) for role in roles] if index is not None else [None]
    if any(members is None for members in held_by):
        return None
    size = len(frozenset().union(*(members for members in held_by if members is not None)))
    if min_approvals <= size:
        return None
    members = "member" if size == 1 else "members"
    held = f"role {roles[0]!r} has" if len(roles) == 1 else f"roles {', '.join(map(repr, roles))} have"
    return f"needs {min_approvals} approvals but {held} only {size} {members}"
