"""What escapes a listener: malformed payloads get 400, anything else is logged and audited."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.deps import Deps
from bot.payloads import MalformedPayload

logger = logging.getLogger(__name__)


def _actor(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    if isinstance(user, dict) and isinstance(user.get("id"), str):
        return str(user["id"])
    return body.get("user_id") if isinstance(body.get("user_id"), str) else None


def register(app: AsyncApp, deps: Deps) -> None:
    async def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
        malformed = isinstance(error, MalformedPayload)
        if not malformed:
            logger.error("listener failed", exc_info=error)
        deps.desk.failed(_actor(body), str(body.get("type", body.get("command", ""))),
                         f"{type(error).__name__}: {error}", malformed=malformed)
        return BoltResponse(status=400 if malformed else 500, body="")

    app.error(on_error)
