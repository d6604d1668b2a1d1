"""Inputs of an open request form: a field that shows or hides others, and long option lists.

A change in a field that other fields depend on (``show_if``) redraws the modal with
views.update, guarded by the view's hash so an older redraw never overwrites a newer one;
Slack keeps what the person typed in inputs that stay. An external select asks for options as
the person types (block_suggestion), answered from the catalog within Slack's 3 s.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import ids
from bot.deps import Deps
from bot.modals.request_form import request_form, submitted_values
from bot.payloads import FormChange, OptionsQuery
from domain.forms import matching_options

logger = logging.getLogger(__name__)
Ack = Callable[..., Awaitable[Any]]
ANY = re.compile(r".+")


async def in_request_form(body: dict[str, Any]) -> bool:
    view = body.get("view")
    return isinstance(view, dict) and view.get("callback_id") == ids.REQUEST_FORM


def register(app: AsyncApp, deps: Deps) -> None:
    async def on_change(ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        change = FormChange.parse(body)
        await ack()
        action = deps.service.catalog.actions.get(change.action_name)
        if action is None:
            return  # the catalog lost the action; the submission will say so
        view = request_form(action, submitted_values(action, change.view)).to_dict()
        deps.tasks.spawn(_redraw(client, change, view), "form-redraw")

    async def on_suggest(ack: Ack, body: dict[str, Any]) -> None:
        query = OptionsQuery.parse(body)
        action = deps.service.catalog.actions.get(query.action_name)
        field = next((f for f in action.fields if f.id == query.field_id), None) if action else None
        if field is None or not field.options:
            await ack(options=[])
            return
        await ack(options=[{"text": {"type": "plain_text", "text": c.label}, "value": c.value}
                           for c in matching_options(field, query.query)])

    app.block_action(ANY, matchers=[in_request_form])(on_change)
    app.options(ANY, matchers=[in_request_form])(on_suggest)


async def _redraw(client: AsyncWebClient, change: FormChange, view: dict[str, Any]) -> None:
    try:
        await client.views_update(view_id=change.view_id, hash=change.view_hash or None, view=view)
    except SlackApiError as error:
        if error.response.get("error") != "hash_conflict":  # a newer change redraws it anyway
            raise
