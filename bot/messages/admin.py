"""What an admin reads after a reload, a refused reload, or asking who holds which role."""

from __future__ import annotations

from collections.abc import Sequence

from bot.mrkdwn import escape, truncate, user
from domain.admin import RoleHolders
from domain.catalog import CatalogError
from domain.catalog_keeper import CatalogChange

TEXT_LIMIT = 3000
PROBLEMS_SHOWN = 20


def _names(ids: Sequence[str]) -> str:
    return ", ".join(f"`{escape(name)}`" for name in ids)


def change_text(change: CatalogChange) -> str:
    if change.nothing:
        return "Catalog reloaded: nothing changed."
    lines = ["Catalog reloaded. What changed:"]
    for label, ids in (("Actions added", change.actions_added), ("Actions removed", change.actions_removed),
                       ("Actions changed", change.actions_changed), ("Roles added", change.roles_added),
                       ("Roles removed", change.roles_removed), ("Roles changed", change.roles_changed)):
        if ids:
            lines.append(f"• {label}: {_names(ids)}")
    return truncate("\n".join(lines), TEXT_LIMIT)


def problems_text(error: CatalogError) -> str:
    shown = [f"• `{escape(str(problem))}`" for problem in error.problems[:PROBLEMS_SHOWN]]
    more = len(error.problems) - PROBLEMS_SHOWN
    if more > 0:
        shown.append(f"• …and {more} more (run `selfserve check`)")
    return truncate(f"The catalog file has {len(error.problems)} problem(s); the old catalog stays in force:\n"
                    + "\n".join(shown), TEXT_LIMIT)


def roles_text(roles: Sequence[RoleHolders]) -> str:
    lines = [f"*{escape(role.name)}*: " + (", ".join(user(m) for m in role.members) or "nobody")
             for role in roles]
    return truncate("Roles and their holders:\n" + "\n".join(lines), TEXT_LIMIT)
