"""The catalog's shape: the YAML document schema and the immutable objects built from it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    AllowInfNan,
    BaseModel,
    ConfigDict,
    PrivateAttr,
    Strict,
    StringConstraints,
    ValidationInfo,
    model_validator,
)
from pydantic import Field as PydanticField

from domain.catalog.fields import Field, FieldType, show_if_issues
from domain.catalog.fulfilment import Duration, Fulfilment, Steps, fulfilment_issues
from domain.catalog.identifiers import ActionId, ChannelId, FieldId, RoleName, UsergroupId, UserId
from domain.catalog.issues import duplicate_issues, raise_issues, sized
from domain.catalog.references import approvals_problem, check_role_exists
from domain.catalog.service_levels import BusinessHours, ServiceLevel
from domain.catalog.template_check import template_issues

RoleRef = Annotated[str, Strict(), AfterValidator(check_role_exists)]
Keyword = Annotated[str, Strict(), StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
DisplayName = Annotated[str, Strict(), StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class _Frozen(BaseModel):
    """Catalog objects are shared across requests, so they are immutable and reject unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


DEFAULT_ADMIN_ROLE = "admins"
DEFAULT_SUPPORT_ROLE = "support"


class Settings(_Frozen):
    support_channel: ChannelId | None = None  # where escalations are posted; unset: no escalations
    support_role: RoleRef | None = None  # who may triage escalations; unset: the role called "support"
    admin_role: RoleRef | None = None  # may see every request; unset: the role called "admins", if any
    out_of_office: dict[UserId, UserId] = {}  # who answers for whom while they are away
    business_hours: BusinessHours | None = None  # service-level clocks count only these; unset: all hours

    @property
    def admins(self) -> str:
        """The role whose holders may see every request."""
        return self.admin_role or DEFAULT_ADMIN_ROLE

    @property
    def support(self) -> str:
        """The role whose holders may claim, resolve, reassign and reopen escalations."""
        return self.support_role or DEFAULT_SUPPORT_ROLE


class AutoApprove(_Frozen):
    """When a step is skipped: the requester holds one of ``requester_in``, or number field
    ``field`` is at most ``at_most``."""

    requester_in: Annotated[tuple[RoleRef, ...], sized(non_empty=True)] | None = None
    field: FieldId | None = None
    at_most: Annotated[float, Strict(), AllowInfNan(False)] | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> Self:
        issues: list[tuple[tuple[str | int, ...], str]] = []
        if (self.requester_in is None) == (self.field is None):
            issues.append(((), "give either 'requester_in' or 'field' with 'at_most'"))
        elif self.field is not None and self.at_most is None:
            issues.append(((), "'field' needs 'at_most'"))
        elif self.at_most is not None and self.field is None:
            issues.append((("at_most",), "has no effect without 'field'"))
        raise_issues("AutoApprove", issues)
        return self


class ApprovalStep(_Frozen):
    """One approval stage: ``min_approvals`` distinct people must approve, who hold ``role``, or
    any of the roles in ``any_of``, or were picked in the form's ``approver_field``."""

    role: RoleRef | None = None
    any_of: Annotated[tuple[RoleRef, ...], sized(non_empty=True)] | None = None
    approver_field: FieldId | None = None
    min_approvals: Annotated[int, Strict(), PydanticField(ge=1)] = 1
    auto_approve: AutoApprove | None = None
    backup: RoleRef | None = None  # asked too once the action's sla.decide_within has passed

    @model_validator(mode="after")
    def _satisfiable(self, info: ValidationInfo) -> Self:
        given = [key for key in ("role", "any_of", "approver_field") if getattr(self, key) is not None]
        if len(given) != 1:
            raise_issues("ApprovalStep", [((), "give exactly one of 'role', 'any_of' or 'approver_field'"
                                           + (f" (got {', '.join(given)})" if given else ""))])
        if self.approver_field is not None and self.min_approvals != 1:
            raise_issues("ApprovalStep", [(("min_approvals",), "a step decided by the person picked in a form "
                                                               "field has one approver")])
        problem = approvals_problem(self.roles, self.min_approvals, info) if self.roles else None
        raise_issues("ApprovalStep", [(("min_approvals",), problem)] if problem else [])
        return self

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles whose holders may decide (none for an ``approver_field`` step)."""
        return (self.role,) if self.role is not None else self.any_of or ()

    @property
    def describe(self) -> str:
        """Who decides, in a word or two (``hr``, ``hr or it``, the field's id)."""
        return " or ".join(self.roles) if self.roles else f"{self.approver_field}"


class RoleSpec(_Frozen):
    """A role as written in YAML, where its name is the mapping key: its holders are ``members``
    and the members of the Slack user groups in ``usergroups`` (looked up while the app runs)."""

    members: tuple[UserId, ...] = ()
    usergroups: tuple[UsergroupId, ...] = ()

    @model_validator(mode="after")
    def _unique_members(self) -> Self:
        issues = [*duplicate_issues(self.members, "members", "member"),
                  *duplicate_issues(self.usergroups, "usergroups", "user group")]
        if not self.members and not self.usergroups:
            issues.append(((), "a role needs 'members' or 'usergroups'"))
        raise_issues("Role", issues)
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
    sla: ServiceLevel | None = None
    manual_minutes: Annotated[int, Strict(), PydanticField(ge=1, le=100_000)] | None = None
    """What one request costs someone done by hand (emails, tickets, chasing): hours saved in reports."""
    on_approved: Steps = ()  # fulfilment: carried out after the last approval (domain.catalog.fulfilment)
    expires_after: Duration | None = None
    warn_before: Duration | None = None
    on_expired: Steps = ()

    @model_validator(mode="after")
    def _unique_field_ids(self) -> Self:
        ids = [field.id for field in self.fields]
        raise_issues("Action", duplicate_issues(ids, "fields", "field id", suffix=("id",)))
        raise_issues("Action", self._sla_issues())
        raise_issues("Action", show_if_issues(self.fields))
        raise_issues("Action", self._step_field_issues())
        raise_issues("Action", fulfilment_issues(self.fulfilment) or template_issues(self.fields, self.fulfilment))
        return self

    @property
    def fulfilment(self) -> Fulfilment:
        """What happens once the request is approved, and when its access ends."""
        return Fulfilment.model_construct(on_approved=self.on_approved, expires_after=self.expires_after,
                                          warn_before=self.warn_before, on_expired=self.on_expired)

    def _step_field_issues(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """Fields that steps name must exist and be of the right kind."""
        fields = {field.id: field for field in self.fields}
        for index, step in enumerate(self.approvals):
            if step.approver_field is not None:
                field = fields.get(step.approver_field)
                if field is None or field.type is not FieldType.USER or not field.required or field.show_if:
                    yield ("approvals", index, "approver_field"), (
                        f"'{step.approver_field}' must be a required, always shown field of type user")
            rule = step.auto_approve
            if rule is not None and rule.field is not None:
                field = fields.get(rule.field)
                if field is None or field.type is not FieldType.NUMBER:
                    yield ("approvals", index, "auto_approve", "field"), (
                        f"'{rule.field}' must be a number field of this action")

    def _sla_issues(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """Step clocks and backups need approval steps to act on."""
        if not self.approvals and self.sla is not None:
            for key in ("decide_within", "remind_every"):
                if getattr(self.sla, key) is not None:
                    yield ("sla", key), "has no effect: the action has no approval steps"
        for index, step in enumerate(self.approvals):
            if step.backup is not None and (self.sla is None or self.sla.decide_within is None):
                yield ("approvals", index, "backup"), "is asked when sla.decide_within passes; give the action one"

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
    people: dict[UserId, DisplayName] = {}
    roles: dict[RoleName, RoleSpec]
    actions: Annotated[dict[ActionId, ActionSpec], sized(non_empty=True)]

    @model_validator(mode="after")
    def _support_staffed(self) -> Self:
        """Escalations posted to a channel nobody may act on would be a dead end."""
        settings = self.settings
        if settings.support_channel and settings.support_role is None and DEFAULT_SUPPORT_ROLE not in self.roles:
            raise_issues("Catalog", [(("settings", "support_channel"), (
                f"escalations need a support role: define a role {DEFAULT_SUPPORT_ROLE!r} "
                "or name one in settings.support_role"))])
        return self


def _no_group_members(group: str) -> frozenset[str]:
    """Until the app says where user groups' members come from, they have none."""
    return frozenset()


class Catalog(_Frozen):
    """A validated catalog; ``fingerprint`` identifies the exact file a request was made under."""

    settings: Settings
    roles: dict[str, Role]
    actions: dict[str, Action]
    fingerprint: str
    people: dict[str, str] = {}
    """Display names by user id: what the playground calls people (Slack has its own directory)."""
    _group_members: Callable[[str], frozenset[str]] = PrivateAttr(default_factory=lambda: _no_group_members)

    @classmethod
    def from_document(cls, document: CatalogDocument, fingerprint: str) -> Catalog:
        """Attach each role's and action's key to it, so they can be passed around on their own."""
        return cls(
            settings=document.settings,
            roles={name: Role(name=name, **dict(spec)) for name, spec in document.roles.items()},
            actions={key: Action(id=key, **dict(spec)) for key, spec in document.actions.items()},
            fingerprint=fingerprint,
            people=dict(document.people),
        )

    def named_people(self) -> tuple[str, ...]:
        """Everyone the catalog names, in order of first mention: ``people``, role members and
        out-of-office stand-ins (user groups' members are only known to Slack)."""
        mentioned = [*self.people, *(m for role in self.roles.values() for m in role.members),
                     *(u for pair in self.settings.out_of_office.items() for u in pair)]
        return tuple(dict.fromkeys(mentioned))

    def members_of(self, role_name: str) -> frozenset[str]:
        """Slack user ids holding ``role_name``; empty for a role this catalog doesn't define.
        Members of its user groups are as last looked up (``domain.usergroups``)."""
        role = self.roles.get(role_name)
        if role is None:
            return frozenset()
        members = frozenset(role.members)
        for group in role.usergroups:
            members |= self._group_members(group)
        return members

    def usergroups_of(self, roles: Iterable[str]) -> set[str]:
        """The Slack user groups behind ``roles``."""
        return {group for name in roles if name in self.roles for group in self.roles[name].usergroups}

    def use_group_members(self, lookup: Callable[[str], frozenset[str]]) -> None:
        """Where members of user groups come from (the app's cache; none until set)."""
        self._group_members = lookup
