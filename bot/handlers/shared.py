"""Steps several listeners share: opening a request form after the ack, and answering a click."""

from __future__ import annotations

from collections.abc import Mapping

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.modals.notice import notice
from bot.modals.request_form import request_form, request_form_json
from bot.payloads import ButtonClick
from domain.catalog import Action
from domain.forms import Raw, initial_values


async def open_form(deps: Deps, client: AsyncWebClient, user_id: str, trigger_id: str, action: Action,
                    prefilled: Mapping[str, Raw] | None = None, *, push: bool = False) -> None:
    """views.open with the trigger Slack gave us (valid 3 s, so this runs right after the ack);
    ``prefilled`` values (typed after the command) override the catalog's defaults. ``push``: on
    top of the modal the trigger came from (views.push) instead."""
    view = request_form(action, initial_values(action, prefilled)).to_dict() if prefilled else \
        request_form_json(action)
    try:
        show = client.views_push if push else client.views_open
        response = await show(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        await deps.desk.form_opened(user_id, action.id, None, str(error.response.get("error")))
        raise
    await deps.desk.form_opened(user_id, action.id, response["view"]["id"])


async def tell(client: AsyncWebClient, respond: AsyncRespond, click: ButtonClick, text: str) -> None:
    """An answer only the clicker sees: ephemeral, under the clicked message; for a button in the
    Home tab or a modal (no message, no response_url), a small modal opened with the click's trigger
    (pushed onto the modal it was clicked in)."""
    if click.response_url:
        await respond(text=text, response_type="ephemeral", replace_original=False)
    elif click.view_type == "modal":
        await client.views_push(trigger_id=click.trigger_id, view=notice("selfserve", text))
    else:
        await client.views_open(trigger_id=click.trigger_id, view=notice("selfserve", text))
