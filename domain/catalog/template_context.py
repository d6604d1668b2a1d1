"""What a fulfilment template can refer to, for real and with sample values.

* ``request``: ``id`` (REQ-n), ``number``, ``action``, ``title``, ``created_at``
* ``requester``: ``id``, ``mention``, ``name``, ``email`` (looked up in Slack when the step runs)
* ``form``: every field of the action by id (None when it was not shown or left empty)
* ``steps``: what earlier webhook steps saved with ``save_as`` (their JSON answers)
* ``access`` (in ``on_expired`` steps): ``granted_at``, ``expires_at``

The sample context has the same shape, so ``selfserve check`` and ``preview`` find exactly the
variables a real run would lack.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.catalog.fields import Field, FieldType
from domain.records import RequestRecord
from domain.templating import Trusted

TOP_LEVEL = ("request", "requester", "form", "steps", "access")
REQUEST_KEYS = ("id", "number", "action", "title", "created_at")
REQUESTER_KEYS = ("id", "mention", "name", "email")
ACCESS_KEYS = ("granted_at", "expires_at")
SAMPLE_TIME = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Person:
    """The requester as Slack knows them (name and email need the users:read scopes)."""

    id: str
    name: str
    email: str | None


class SampleAnswer(dict[str, Any]):
    """A webhook's JSON answer as ``check`` imagines it: any key holds a sample string."""

    def __missing__(self, key: str) -> Any:
        return SampleAnswer() if key.startswith("_") else f"sample-{key}"


def context(request: RequestRecord, person: Person, saved: Mapping[str, Any],
            access: tuple[datetime, datetime] | None, field_ids: Iterable[str]) -> dict[str, Any]:
    """The context of one step of ``request``."""
    form: dict[str, Any] = dict.fromkeys(field_ids)
    form.update({answer.field_id: answer.value for answer in request.answers})
    values: dict[str, Any] = {
        "request": {"id": request.ref, "number": request.id, "action": request.action_id,
                    "title": request.action_title, "created_at": request.created_at.isoformat()},
        "requester": {"id": person.id, "mention": Trusted(f"<@{person.id}>"), "name": person.name,
                      "email": person.email},
        "form": form,
        "steps": dict(saved),
    }
    if access is not None:
        values["access"] = {"granted_at": access[0].isoformat(), "expires_at": access[1].isoformat()}
    return values


def sample_context(fields: Iterable[Field], saved: Iterable[str], *, expired: bool,
                   expires_after: timedelta | None = None) -> dict[str, Any]:
    """Sample values of the shape ``context`` makes; ``saved``: the ``save_as`` names in reach."""
    values: dict[str, Any] = {
        "request": {"id": "REQ-42", "number": 42, "action": "sample-action", "title": "Sample request",
                    "created_at": SAMPLE_TIME.isoformat()},
        "requester": {"id": "U0SAMPLE", "mention": Trusted("<@U0SAMPLE>"), "name": "Sam Example",
                      "email": "sam@example.com"},
        "form": {field.id: sample_value(field) for field in fields},
        "steps": {name: SampleAnswer() for name in saved},
    }
    if expired:
        until = SAMPLE_TIME + (expires_after or timedelta(hours=8))
        values["access"] = {"granted_at": SAMPLE_TIME.isoformat(), "expires_at": until.isoformat()}
    return values


_SAMPLES: dict[FieldType, Any] = {
    FieldType.TEXT: "sample text", FieldType.TEXTAREA: "sample text", FieldType.EMAIL: "someone@example.com",
    FieldType.URL: "https://example.com/", FieldType.NUMBER: 1, FieldType.DATE: "2026-01-31",
    FieldType.TIME: "09:00", FieldType.DATETIME: "2026-01-31T09:00:00+00:00", FieldType.USER: "U0SAMPLE",
    FieldType.USERS: ["U0SAMPLE"], FieldType.CHANNEL: "C0SAMPLE", FieldType.CHECKBOX: True,
}


def sample_value(field: Field) -> Any:
    """A value ``field`` could hold: its default, its first option, or one of its type."""
    if field.default is not None:
        return field.default
    if field.options:
        first = field.options[0].value
        return [first] if field.type in (FieldType.MULTI_SELECT, FieldType.CHECKBOXES) else first
    return _SAMPLES.get(field.type, "sample")
