"""What the admin role may do from Slack: reload the catalog, and see who holds which role.

Only holders of the catalog's admin role (``settings.admin_role``, default ``admins``) may; a
refusal is audited like every other. A reload by SIGHUP has no actor: the operator sent it.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.catalog import CatalogError
from domain.catalog_keeper import CatalogChange, CatalogKeeper
from domain.errors import NotAuthorized
from domain.ports import AuditSink
from domain.records import AuditEntry
from domain.refusals import refusal_entry

PROBLEMS_KEPT = 50


@dataclass(frozen=True)
class RoleHolders:
    name: str
    members: tuple[str, ...]


class AdminDesk:
    def __init__(self, keeper: CatalogKeeper, audit: AuditSink) -> None:
        self._keeper = keeper
        self._audit = audit

    async def ensure_admin(self, actor: str, what: str) -> None:
        """Refuse (``NotAuthorized``, audited as ``what``) anyone who does not hold the admin role."""
        await self._check(actor, what)

    async def _check(self, actor: str, what: str) -> None:
        role = self._keeper().settings.admins
        await self._keeper.refresh_groups([role])  # a role filled from user groups, as Slack has it now
        catalog = self._keeper()
        if actor not in catalog.members_of(role):
            refusal = NotAuthorized("not_an_admin", role=role)
            await self._audit(refusal_entry(actor, what, refusal, {}))
            raise refusal

    async def reload(self, actor: str | None) -> CatalogChange:
        """Put the catalog file's current contents in force (``actor`` None: a SIGHUP). Raises
        ``CatalogError`` with every problem (the old catalog stays), ``NoCatalogFile`` or
        ``NotAuthorized``; each outcome is audited."""
        if actor is not None:
            await self._check(actor, "catalog_reloaded")
        try:
            change = self._keeper.reload()
        except CatalogError as error:
            await self._audit(AuditEntry("catalog_reloaded", "refused", actor, None, {
                "problems": [str(problem) for problem in error.problems[:PROBLEMS_KEPT]]}))
            raise
        await self._audit(AuditEntry("catalog_reloaded", "ok", actor, None, change.as_details()))
        await self.warm_up()
        return change

    async def warm_up(self) -> None:
        """Look up the members of every Slack user group the catalog's roles name."""
        await self._keeper.refresh_groups()

    async def roles(self, actor: str) -> list[RoleHolders]:
        """Every role with its holders, in catalog order."""
        await self._check(actor, "roles_listed")
        catalog = self._keeper()
        await self._audit(AuditEntry("roles_listed", "ok", actor, None, {"roles": len(catalog.roles)}))
        return [RoleHolders(name, tuple(sorted(catalog.members_of(name)))) for name in catalog.roles]
