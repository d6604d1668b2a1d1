"""The request modal, built from a catalog action and the values entered so far; and reading
its state back.

Each field becomes one input block whose block_id and action_id are the field id, so Slack's
inline errors (keyed by block_id) land on the right input. A field with ``show_if`` is left out
while its condition does not hold; the field it depends on dispatches its changes
(``dispatch_action``) so the modal can be redrawn with views.update.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    DatePickerElement,
    DateTimePickerElement,
    EmailInputElement,
    ExternalDataMultiSelectElement,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticMultiSelectElement,
    StaticSelectElement,
    TimePickerElement,
    UrlInputElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.blocks.block_elements import InputInteractiveElement
from slack_sdk.models.views import View

from bot import ids
from bot.mrkdwn import escape, truncate
from domain.catalog import Action, Field, FieldType
from domain.catalog.fields import Choice, format_number
from domain.forms import Raw, initial_values, visible_fields

TITLE_LIMIT = 24
TEXT_LIMIT = 3000


TICKED = "true"  # the value of a lone checkbox's one option


def _one(value: Raw) -> str | None:
    if isinstance(value, list):
        return value[0] if value else None
    return value or None


def _many(value: Raw) -> list[str]:
    return value if isinstance(value, list) else [value] if value else []


def _option(choice: Choice) -> Option:
    return Option(value=choice.value, text=choice.label)


def _picked(field: Field, value: Raw) -> list[Option]:
    return [_option(choice) for item in _many(value) if (choice := field.choice(item)) is not None]


def _text(field: Field, value: Raw) -> InputInteractiveElement:
    return PlainTextInputElement(
        action_id=field.id,
        multiline=field.type == FieldType.TEXTAREA,
        min_length=field.min_length,
        max_length=field.max_length or TEXT_LIMIT,
        placeholder=field.placeholder,
        initial_value=_one(value),
    )


def _number(field: Field, value: Raw) -> InputInteractiveElement:
    return NumberInputElement(
        action_id=field.id,
        is_decimal_allowed=field.decimals > 0,
        min_value=None if field.min is None else format_number(field.min),
        max_value=None if field.max is None else format_number(field.max),
        placeholder=field.placeholder,
        initial_value=_one(value),
    )


def _select(field: Field, value: Raw) -> InputInteractiveElement:
    """A select, or a multi-select; served option by option as the person types (external) when
    the list is longer than Slack shows."""
    placeholder = field.placeholder or ("Type to search…" if field.external else "Choose…")
    picked = _picked(field, value)
    options = [_option(c) for c in field.options]
    if field.type is FieldType.MULTI_SELECT:
        if field.external:
            return ExternalDataMultiSelectElement(action_id=field.id, placeholder=placeholder, min_query_length=0,
                                                  initial_options=picked or None)
        return StaticMultiSelectElement(action_id=field.id, placeholder=placeholder, options=options,
                                        initial_options=picked or None)
    initial = next(iter(picked), None)
    if field.external:
        return ExternalDataSelectElement(action_id=field.id, placeholder=placeholder, min_query_length=0,
                                         initial_option=initial)
    return StaticSelectElement(action_id=field.id, placeholder=placeholder, options=options, initial_option=initial)


def _datetime(field: Field, value: Raw) -> InputInteractiveElement:
    text = _one(value)
    epoch = None
    if text:
        try:
            epoch = int(text) if text.isdigit() else int(datetime.fromisoformat(text.replace("Z", "+00:00"))
                                                           .timestamp())
        except ValueError:
            epoch = None
    return DateTimePickerElement(action_id=field.id, initial_date_time=epoch)


def _checkbox(field: Field, value: Raw) -> InputInteractiveElement:
    box = Option(value=TICKED, text=truncate(field.label, 75))
    ticked = any(item.lower() in ("true", "yes", "on", "1") for item in _many(value))
    return CheckboxesElement(action_id=field.id, options=[box], initial_options=[box] if ticked else None)


ELEMENTS: dict[FieldType, Callable[[Field, Raw], InputInteractiveElement]] = {
    FieldType.TEXT: _text,
    FieldType.TEXTAREA: _text,
    FieldType.EMAIL: lambda f, v: EmailInputElement(action_id=f.id, placeholder=f.placeholder,
                                                    initial_value=_one(v)),
    FieldType.URL: lambda f, v: UrlInputElement(action_id=f.id, placeholder=f.placeholder, initial_value=_one(v)),
    FieldType.NUMBER: _number,
    FieldType.DATE: lambda f, v: DatePickerElement(action_id=f.id, placeholder=f.placeholder,
                                                   initial_date=_one(v)),
    FieldType.TIME: lambda f, v: TimePickerElement(action_id=f.id, placeholder=f.placeholder,
                                                   initial_time=_one(v)),
    FieldType.DATETIME: _datetime,
    FieldType.SELECT: _select,
    FieldType.MULTI_SELECT: _select,
    FieldType.USER: lambda f, v: UserSelectElement(action_id=f.id, placeholder=f.placeholder or "Choose someone…",
                                                   initial_user=_one(v)),
    FieldType.USERS: lambda f, v: UserMultiSelectElement(action_id=f.id, placeholder=f.placeholder or "Choose…",
                                                         initial_users=_many(v) or None),
    FieldType.CHANNEL: lambda f, v: ConversationSelectElement(
        action_id=f.id, placeholder=f.placeholder or "Choose a channel…", initial_conversation=_one(v),
        filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True)),
    FieldType.CHECKBOX: _checkbox,
    FieldType.CHECKBOXES: lambda f, v: CheckboxesElement(action_id=f.id, options=[_option(c) for c in f.options],
                                                         initial_options=_picked(f, v) or None),
    FieldType.RADIO: lambda f, v: RadioButtonsElement(action_id=f.id, options=[_option(c) for c in f.options],
                                                      initial_option=next(iter(_picked(f, v)), None)),
}


def request_form(action: Action, values: Mapping[str, Raw] | None = None) -> View:
    """The modal for ``action`` showing ``values`` (default: the catalog's defaults);
    ``private_metadata`` names the action for the submission."""
    values = initial_values(action) if values is None else values
    shown = visible_fields(action, values)
    controlling = {field.show_if.field for field in action.fields if field.show_if is not None}
    blocks: list[Block] = []
    if action.description:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=escape(action.description), verbatim=True)]))
    for field in action.fields:
        if field.id not in shown:
            continue
        blocks.append(
            InputBlock(
                block_id=field.id,
                label=field.label,
                element=ELEMENTS[field.type](field, values.get(field.id)),
                hint=field.hint,
                optional=not field.required,
                dispatch_action=True if field.id in controlling else None,
            )
        )
    return View(
        type="modal",
        callback_id=ids.REQUEST_FORM,
        title=truncate(action.title, TITLE_LIMIT),
        submit="Submit",
        close="Cancel",
        notify_on_close=True,  # a form closed unsent is abandonment, counted in the funnel
        private_metadata=json.dumps({"action": action.id}),
        blocks=blocks,
    )


@lru_cache(maxsize=256)
def request_form_json(action: Action) -> dict[str, Any]:
    """``request_form`` as sent to views.open, built once per action (catalog actions are
    immutable and hashable): validating and serialising Block Kit took a millisecond per open."""
    return request_form(action).to_dict()


_TEXT_KEYS = ("value", "selected_date", "selected_time", "selected_user", "selected_conversation",
              "selected_channel")
_LIST_KEYS = ("selected_users", "selected_conversations", "selected_channels")


def _raw_value(state: Mapping[str, Any]) -> Raw:
    """The user's input for one element, as text or a list of texts, whatever the element type."""
    for key in _TEXT_KEYS:
        if isinstance(state.get(key), str):
            return str(state[key])
    moment = state.get("selected_date_time")
    if isinstance(moment, int) and not isinstance(moment, bool):
        return str(moment)
    option = state.get("selected_option")
    if isinstance(option, Mapping) and isinstance(option.get("value"), str):
        return str(option["value"])
    options = state.get("selected_options")
    if isinstance(options, list):
        return [str(o["value"]) for o in options if isinstance(o, Mapping) and isinstance(o.get("value"), str)]
    for key in _LIST_KEYS:
        if isinstance(state.get(key), list):
            return [item for item in state[key] if isinstance(item, str)]
    return None


def submitted_values(action: Action, view: Mapping[str, Any]) -> dict[str, Raw]:
    """Field id -> raw input from a view_submission's ``view.state.values``.

    Anything missing or of the wrong shape reads as empty, and validation then says so.
    """
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    values = values if isinstance(values, Mapping) else {}
    raw: dict[str, Raw] = {}
    for field in action.fields:
        block = values.get(field.id)
        element = block.get(field.id) if isinstance(block, Mapping) else None
        raw[field.id] = _raw_value(element) if isinstance(element, Mapping) else None
    return raw
