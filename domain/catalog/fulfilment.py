"""The catalog's fulfilment keys: what happens after the last approval, and when access ends.

``on_approved`` and ``on_expired`` are lists of steps, each exactly one of ``message`` (a DM to
the requester), ``webhook`` (an HTTP call into another system) or ``notify`` (a post in a
channel). A webhook's scheme and host are fixed text: a template there could send the request,
with its credentials, wherever a form value says.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    Strict,
    StringConstraints,
    model_validator,
)
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError

from domain.catalog.identifiers import ChannelId
from domain.catalog.issues import raise_issues, sized
from domain.catalog.service_levels import parse_duration

MAX_TIMEOUT = timedelta(seconds=30)
"""A call must end well within the job's lease (45 s of work per claim)."""
MAX_RETRIES = 7
"""The work engine gives up on any job after 8 attempts."""
_TEMPLATE_MARK = re.compile(r"\{\{|\{%|\{#|\$\{")
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}")
StepName = Annotated[str, Strict(), StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
SaveAs = Annotated[str, Strict(), StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Template = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=3000)]


def _duration(value: object) -> timedelta:
    """A duration as written (``8h``), or one already read (a request's stored plan, an action copied)."""
    return value if isinstance(value, timedelta) else parse_duration(value)


Duration = Annotated[timedelta, BeforeValidator(_duration),
                     PlainSerializer(lambda value: f"{int(value.total_seconds())}s", when_used="json")]
"""``8h``, ``1h30m``; stored (in a request's plan) as seconds: ``28800s``."""


def _fixed_origin(url: str) -> str:
    """The URL's scheme, host and port are written out (no template, no ``${VAR}``)."""
    head = re.split(r"[/?#]", url.split("://", 1)[1], maxsplit=1)[0] if "://" in url else url
    if _TEMPLATE_MARK.search(url.split("://", 1)[0]) or _TEMPLATE_MARK.search(head):
        raise PydanticCustomError("url", "the scheme and host must be fixed text, not a template or ${VAR} "
                                         "(the path and query may use them)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PydanticCustomError("url", f"expected an http:// or https:// address with a host, got {url!r}")
    if parts.username or parts.password:
        raise PydanticCustomError("url", "put credentials in a header with ${VAR}, not in the address")
    return url


def _header_name(name: str) -> str:
    if not _HEADER_NAME.fullmatch(name):
        raise PydanticCustomError("header", f"not a valid header name: {name!r}")
    if name.lower() == "idempotency-key":
        raise PydanticCustomError("header", "Idempotency-Key is set by selfserve (one per request and step)")
    return name


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Webhook(_Frozen):
    url: Annotated[str, Strict(), AfterValidator(_fixed_origin)]
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    headers: dict[Annotated[str, AfterValidator(_header_name)], Template] = {}
    body: Any = PydanticField(default=None, alias="json")
    timeout: Duration = timedelta(seconds=10)
    retries: Annotated[int, Strict(), PydanticField(ge=0, le=MAX_RETRIES)] = 5
    save_as: SaveAs | None = None

    def __hash__(self) -> int:
        """Actions are hashed (cached forms); headers and the body are mappings, so hash the JSON."""
        return hash(json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True, default=str))

    @model_validator(mode="after")
    def _sane(self) -> Self:
        issues: list[tuple[tuple[str | int, ...], str]] = []
        if self.timeout > MAX_TIMEOUT:
            issues.append((("timeout",), f"at most {int(MAX_TIMEOUT.total_seconds())}s"))
        if self.body is not None and self.method == "GET":
            issues.append((("json",), "a GET request has no body"))
        raise_issues("Webhook", issues)
        return self


class Notify(_Frozen):
    channel: ChannelId
    message: Template


class FulfilmentStep(_Frozen):
    """One step; ``name`` is how people see it in the progress list (a default is made up)."""

    name: StepName | None = None
    message: Template | None = None
    webhook: Webhook | None = None
    notify: Notify | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        given = [key for key in ("message", "webhook", "notify") if getattr(self, key) is not None]
        if len(given) != 1:
            raise_issues("FulfilmentStep", [((), "give exactly one of 'message', 'webhook' or 'notify'"
                                             + (f" (got {', '.join(given)})" if given else ""))])
        return self

    @property
    def kind(self) -> str:
        return "message" if self.message is not None else "webhook" if self.webhook is not None else "notify"

    @property
    def label(self) -> str:
        """What the step is called where people follow its progress."""
        if self.name:
            return self.name
        if self.webhook is not None:
            parts = urlsplit(self.webhook.url)
            path = parts.path.split("{", 1)[0].split("$", 1)[0].rstrip("/")
            return f"{self.webhook.method} {parts.hostname}{path}"
        if self.notify is not None:
            return f"Post in <#{self.notify.channel}>"
        return "Message to the requester"


Steps = Annotated[tuple[FulfilmentStep, ...], sized(maximum=20)]


class Fulfilment(_Frozen):
    """An action's fulfilment keys, as kept with each request (so a catalog edit never changes a
    request in flight)."""

    on_approved: Steps = ()
    expires_after: Duration | None = None
    warn_before: Duration | None = None
    on_expired: Steps = ()

    @property
    def heads_up(self) -> timedelta | None:
        """How long before access ends the requester is told: ``warn_before``, else a quarter of
        ``expires_after`` up to an hour."""
        if self.expires_after is None:
            return None
        return self.warn_before or min(timedelta(hours=1), self.expires_after / 4)


def fulfilment_issues(spec: Fulfilment) -> list[tuple[tuple[str | int, ...], str]]:
    """Keys that only make sense together."""
    issues: list[tuple[tuple[str | int, ...], str]] = []
    if spec.on_expired and spec.expires_after is None:
        issues.append((("on_expired",), "runs when access ends: give 'expires_after' too"))
    if spec.expires_after is not None and not spec.on_expired:
        issues.append((("expires_after",), "give 'on_expired': the steps that end the access"))
    if spec.warn_before is not None and (spec.expires_after is None or spec.warn_before >= spec.expires_after):
        issues.append((("warn_before",), "must be shorter than 'expires_after'"))
    names: dict[str, tuple[str, int]] = {}
    for phase in ("on_approved", "on_expired"):
        for index, step in enumerate(getattr(spec, phase)):
            name = step.webhook.save_as if step.webhook is not None else None
            if name is not None and name in names:
                issues.append(((phase, index, "webhook", "save_as"),
                               f"duplicate save_as {name!r} (already at {names[name][0]}[{names[name][1]}])"))
            elif name is not None:
                names[name] = (phase, index)
    return issues
