"""The catalog in force, and replacing it with the file's newer contents.

A reload that finds problems changes nothing: the old catalog stays in force and the problems
are returned, like `selfserve check` lists them. What changed is summarised per action and per
role, so an admin sees at once what their edit did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from domain.catalog import Catalog, load_catalog
from domain.usergroups import UserGroups


class NoCatalogFile(Exception):
    """The catalog was handed in, not loaded from a file, so there is nothing to reload."""


@dataclass(frozen=True)
class CatalogChange:
    """What a reload changed, by id."""

    fingerprint: str
    actions_added: tuple[str, ...] = ()
    actions_removed: tuple[str, ...] = ()
    actions_changed: tuple[str, ...] = ()
    roles_added: tuple[str, ...] = ()
    roles_removed: tuple[str, ...] = ()
    roles_changed: tuple[str, ...] = ()

    @property
    def nothing(self) -> bool:
        return not any((self.actions_added, self.actions_removed, self.actions_changed, self.roles_added,
                        self.roles_removed, self.roles_changed))

    def as_details(self) -> dict[str, object]:
        """For the audit log: only what changed."""
        return {key: list(value) for key, value in vars(self).items() if value and key != "fingerprint"} | {
            "catalog": self.fingerprint}


class CatalogKeeper:
    """Callable: returns the catalog in force. ``reload()`` reads ``path`` again."""

    def __init__(self, catalog: Catalog | Callable[[], Catalog], path: str | None = None,
                 groups: UserGroups | None = None) -> None:
        """``groups``: where the members of roles' Slack user groups come from."""
        self._source = catalog if callable(catalog) else None
        self._catalog = catalog if isinstance(catalog, Catalog) else None
        self._path = path
        self.groups = groups or UserGroups(None)

    def __call__(self) -> Catalog:
        catalog = self._source() if self._source is not None else self._catalog
        assert catalog is not None
        catalog.use_group_members(self.groups.members)
        return catalog

    async def refresh_groups(self, roles: Iterable[str] | None = None) -> None:
        """Look up again the user groups of ``roles`` (all the catalog's when None) if stale."""
        catalog = self()
        await self.groups.refresh(catalog.usergroups_of(catalog.roles if roles is None else roles))

    def reload(self) -> CatalogChange:
        """Load the file and put it in force; raises ``CatalogError`` (nothing changes) or
        ``NoCatalogFile``."""
        if self._path is None or self._source is not None:
            raise NoCatalogFile()
        old, new = self(), load_catalog(self._path)
        self._catalog = new
        return compare(old, new)


def compare(old: Catalog, new: Catalog) -> CatalogChange:
    def diff(before: dict[str, object], after: dict[str, object]) -> tuple[tuple[str, ...], ...]:
        added = tuple(key for key in after if key not in before)
        removed = tuple(key for key in before if key not in after)
        changed = tuple(key for key in after if key in before and before[key] != after[key])
        return added, removed, changed

    actions = diff(dict(old.actions), dict(new.actions))
    roles = diff(dict(old.roles), dict(new.roles))
    return CatalogChange(new.fingerprint, *actions, *roles)
