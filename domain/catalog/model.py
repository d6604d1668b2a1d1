"""The catalog's shape: the YAML document schema and the immutable objects built from it."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Strict, StringConstraints, ValidationInfo, model_validator
from pydantic import Field as PydanticField

from domain.catalog.fields import Field, show_if_issues
from domain.catalog.identifiers import ActionId, ChannelId, RoleName, UserId
from domain.catalog.issues import duplicate_issues, raise_issues, sized
from domain.catalog.references import approvals_problem, check_role_exists

RoleRef = Annotated[str, Strict(), AfterValidator(check_role_exists)]
Keyword = Annotated[str, Strict(), StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class _Frozen(BaseModel):
    """Catalog objects are shared across requests, so they are immutable and reject unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Settings(_Frozen):
    support_channel: ChannelId | None = None


class ApprovalStep(_Frozen):
    """One approval stage: ``min_approvals`` distinct members of ``role`` must approve."""

    role: RoleRef
    min_approvals: Annotated[int, Strict(), PydanticField(ge=1)] = 1

    @model_validator(mode="after")
    def _satisfiable(self, info: ValidationInfo) -> Self:
        problem = approvals_problem(self.role, self.min_approvals, info)
        raise_issues("ApprovalStep", [(("min_approvals",), problem)] if problem else [])
        return self


class RoleSpec(_Frozen):
    """A role as written in YAML, where its name is the mapping key."""

    members: Annotated[tuple[UserId, ...], sized(non_empty=True)]

    @model_validator(mode="after")
    def _unique_members(self) -> Self:
        raise_issues("Role", duplicate_issues(self.members, "members", "member"))
        return self


class Role(RoleSpec):
    name: RoleName


class ActionSpec(_Frozen):
    """An action as written in YAML, where its id is the mapping key."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=3000)] | None = None
    keywords: Annotated[tuple[Keyword, ...], sized(maximum=50)] = ()  # other words people use for it
    requesters: Annotated[tuple[RoleRef, ...], sized(non_empty=True)] | None = None
    fields: Annotated[tuple[Field, ...], sized(non_empty=True, maximum=50)]
    approvals: tuple[ApprovalStep, ...] = ()
    allow_self_approval: Annotated[bool, Strict()] = False

    @model_validator(mode="after")
    def _unique_field_ids(self) -> Self:
        ids = [field.id for field in self.fields]
        raise_issues("Action", duplicate_issues(ids, "fields", "field id", suffix=("id",)))
        raise_issues("Action", show_if_issues(self.fields))
        return self

    def field(self, field_id: str) -> Field:
        """The field with ``field_id``; KeyError if the action has none."""
        for field in self.fields:
            if field.id == field_id:
                return field
        raise KeyError(field_id)


class Action(ActionSpec):
    id: ActionId


class CatalogDocument(_Frozen):
    """The whole catalog.yaml file."""

    settings: Settings = Settings()
    roles: dict[RoleName, RoleSpec]
    actions: Annotated[dict[ActionId, ActionSpec], sized(non_empty=True)]


class Catalog(_Frozen):
    """A validated catalog; ``fingerprint`` identifies the exact file a request was made under."""

    settings: Settings
    roles: dict[str, Role]
    actions: dict[str, Action]
    fingerprint: str

    @classmethod
    def from_document(cls, document: CatalogDocument, fingerprint: str) -> Catalog:
        """Attach each role's and action's key to it, so they can be passed around on their own."""
        return cls(
            settings=document.settings,
            roles={name: Role(name=name, **dict(spec)) for name, spec in document.roles.items()},
            actions={key: Action(id=key, **dict(spec)) for key, spec in document.actions.items()},
            fingerprint=fingerprint,
        )

    def members_of(self, role_name: str) -> frozenset[str]:
        """Slack user ids holding ``role_name``; empty for a role this catalog doesn't define."""
        role = self.roles.get(role_name)
        return frozenset(role.members) if role else frozenset()
