"""Steps several listeners share: opening a request form after the ack."""

from __future__ import annotations

from collections.abc import Mapping

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.modals.request_form import request_form, request_form_json
from domain.catalog import Action
from domain.forms import Raw, initial_values


async def open_form(deps: Deps, client: AsyncWebClient, user_id: str, trigger_id: str, action: Action,
                    prefilled: Mapping[str, Raw] | None = None) -> None:
    """views.open with the trigger Slack gave us (valid 3 s, so this runs right after the ack);
    ``prefilled`` values (typed after the command) override the catalog's defaults."""
    view = request_form(action, initial_values(action, prefilled)).to_dict() if prefilled else \
        request_form_json(action)
    try:
        response = await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        await deps.desk.form_opened(user_id, action.id, None, str(error.response.get("error")))
        raise
    await deps.desk.form_opened(user_id, action.id, response["view"]["id"])
