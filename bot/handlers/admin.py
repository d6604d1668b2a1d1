"""``/selfserve admin reload`` and ``/selfserve admin roles``, for the admin role."""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.messages import Message
from bot.messages.admin import change_text, problems_text, roles_text
from bot.payloads import SlashCommand
from bot.refusals import refusal_text
from domain.catalog import CatalogError
from domain.catalog_keeper import NoCatalogFile
from domain.errors import DomainError

USAGE = "`/selfserve admin reload` loads the catalog file again; `/selfserve admin roles` lists who holds which role."


async def admin(deps: Deps, command: SlashCommand, details: dict[str, Any]) -> Message:
    what = command.arguments.strip().lower()
    try:
        if what == "reload":
            return Message(text=change_text(await deps.admin.reload(command.user_id)), blocks=())
        if what == "roles":
            return Message(text=roles_text(await deps.admin.roles(command.user_id)), blocks=())
    except DomainError as refusal:
        return Message(text=refusal_text(refusal), blocks=())
    except CatalogError as error:
        return Message(text=problems_text(error), blocks=())
    except NoCatalogFile:
        return Message(text="This app was given its catalog directly, not from a file: there is nothing to reload.",
                       blocks=())
    return Message(text=USAGE, blocks=())
