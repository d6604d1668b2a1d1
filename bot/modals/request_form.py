"""The request modal, built from a catalog action; and reading its submitted state back.

Each field becomes one input block whose block_id and action_id are the field id, so
Slack's inline errors (keyed by block_id) land on the right input.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DatePickerElement,
    EmailInputElement,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
    UrlInputElement,
)
from slack_sdk.models.blocks.block_elements import InputInteractiveElement
from slack_sdk.models.views import View

from bot import ids
from bot.mrkdwn import escape, truncate
from domain.catalog import Action, Field, FieldType
from domain.catalog.fields import format_number

TITLE_LIMIT = 24
TEXT_LIMIT = 3000


def _text(field: Field) -> InputInteractiveElement:
    multiline = field.type == FieldType.TEXTAREA
    return PlainTextInputElement(
        action_id=field.id,
        multiline=multiline,
        min_length=field.min_length,
        max_length=field.max_length or TEXT_LIMIT,
        placeholder=field.placeholder,
    )


def _number(field: Field) -> InputInteractiveElement:
    return NumberInputElement(
        action_id=field.id,
        is_decimal_allowed=field.decimals > 0,
        min_value=None if field.min is None else format_number(field.min),
        max_value=None if field.max is None else format_number(field.max),
        placeholder=field.placeholder,
    )


def _select(field: Field) -> InputInteractiveElement:
    options = [Option(value=option, text=option) for option in field.options]
    return StaticSelectElement(action_id=field.id, options=options, placeholder=field.placeholder or "Choose…")


ELEMENTS: dict[FieldType, Callable[[Field], InputInteractiveElement]] = {
    FieldType.TEXT: _text,
    FieldType.TEXTAREA: _text,
    FieldType.EMAIL: lambda f: EmailInputElement(action_id=f.id, placeholder=f.placeholder),
    FieldType.URL: lambda f: UrlInputElement(action_id=f.id, placeholder=f.placeholder),
    FieldType.NUMBER: _number,
    FieldType.DATE: lambda f: DatePickerElement(action_id=f.id, placeholder=f.placeholder),
    FieldType.SELECT: _select,
}


def request_form(action: Action) -> View:
    """The modal for ``action``; ``private_metadata`` names the action for the submission."""
    blocks: list[Block] = []
    if action.description:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=escape(action.description), verbatim=True)]))
    for field in action.fields:
        blocks.append(
            InputBlock(
                block_id=field.id,
                label=field.label,
                element=ELEMENTS[field.type](field),
                hint=field.hint,
                optional=not field.required,
            )
        )
    return View(
        type="modal",
        callback_id=ids.REQUEST_FORM,
        title=truncate(action.title, TITLE_LIMIT),
        submit="Submit",
        close="Cancel",
        private_metadata=json.dumps({"action": action.id}),
        blocks=blocks,
    )


@lru_cache(maxsize=256)
def request_form_json(action: Action) -> dict[str, Any]:
    """``request_form`` as sent to views.open, built once per action (catalog actions are
    immutable and hashable): validating and serialising Block Kit took a millisecond per open."""
    return request_form(action).to_dict()


def _raw_value(state: Mapping[str, Any]) -> str | None:
    """The user's input for one element, as text, whatever the element type."""
    for key in ("value", "selected_date"):
        if isinstance(state.get(key), str):
            return str(state[key])
    option = state.get("selected_option")
    if isinstance(option, Mapping) and isinstance(option.get("value"), str):
        return str(option["value"])
    return None


def submitted_values(action: Action, view: Mapping[str, Any]) -> dict[str, str | None]:
    """Field id -> raw input from a view_submission's ``view.state.values``.

    Anything missing or of the wrong shape reads as empty, and validation then says so.
    """
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    values = values if isinstance(values, Mapping) else {}
    raw: dict[str, str | None] = {}
    for field in action.fields:
        block = values.get(field.id)
        element = block.get(field.id) if isinstance(block, Mapping) else None
        raw[field.id] = _raw_value(element) if isinstance(element, Mapping) else None
    return raw
