"""What a person does on the page, sent to the bot by SlackClientSim exactly as Slack would send it.

Each handler takes the page's JSON and answers JSON: ``{"ok": true, ...}``, or ``{"ok": false, "error": ...}``
with HTTP 409 when Slack would not have let the person do it (a view already closed, an unknown option).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from slackstub.client_sim import SlackClientSim
from slackstub.sim_response import SimResponse
from slackstub.standin import SlackStandIn

Body = dict[str, Any]
Action = Callable[[Body], Awaitable[Body]]


class PageActions:
    """The page's POST endpoints, by name."""

    def __init__(self, stub: SlackStandIn, sim: SlackClientSim, commands: tuple[str, ...],
                 shortcuts: dict[str, str], changed: Callable[[], None]) -> None:
        """`commands`: the app's slash commands (Slack refuses others); `shortcuts`: its global shortcuts' names
        by callback id; `changed` is told after every action."""
        self._stub = stub
        self._sim = sim
        self._commands = commands
        self._shortcuts = shortcuts
        self._changed = changed

    def routes(self) -> dict[str, Action]:
        return {"message": self.message, "click": self.click, "fill": self.fill, "submit": self.submit,
                "close": self.close, "suggest": self.suggest, "home": self.home, "shortcut": self.shortcut}

    async def handle(self, request: web.Request) -> web.Response:
        """POST /client/api/{name}: run one action; the page redraws from the change it causes."""
        action = self.routes().get(request.match_info["name"])
        if action is None:
            raise web.HTTPNotFound()
        try:
            body = json.loads(await request.read())
            if not isinstance(body, dict) or not isinstance(body.get("user"), str):
                raise ValueError("expected a JSON object naming the acting user")
            answer = await action(body)
        except (LookupError, ValueError, AssertionError) as refused:
            return web.json_response({"ok": False, "error": str(refused)}, status=409)
        finally:
            self._changed()
        return web.json_response({"ok": True, **answer})

    async def message(self, body: Body) -> Body:
        """The message box: `/command text` runs the app's command, anything else is posted as the person."""
        user, channel, text = body["user"], str(body.get("channel") or ""), str(body.get("text") or "").strip()
        if not text:
            raise ValueError("nothing to send")
        if not text.startswith("/"):
            self._stub.post_user_message(channel, user, text)
            return {}
        command, _, rest = text.partition(" ")
        if command not in self._commands:
            raise ValueError(f"{command} is not a valid command (this app has {', '.join(self._commands)})")
        return _answer(await self._sim.slash_command(user, command, rest.strip(), channel_id=channel))

    async def click(self, body: Body) -> Body:
        """A button, overflow or select in a message (`surface`: channel and ts) or a view (`surface`: id)."""
        surface = body.get("surface")
        if not isinstance(surface, dict):
            raise ValueError("surface must name a message (channel, ts) or a view (id)")
        return _answer(await self._sim.click(surface, str(body["action_id"]), body["user"], body.get("value")))

    async def fill(self, body: Body) -> Body:
        """One input of an open modal changed (the app hears of it if the block dispatches actions)."""
        responses = await self._sim.fill({"id": body["view_id"]}, body["user"], {str(body["block_id"]): body["value"]},
                                         press_enter=bool(body.get("enter")))
        return {"dispatched": len(responses)}

    async def submit(self, body: Body) -> Body:
        """Submit: every input's value as the page holds it, by block_id."""
        values = body.get("values") or {}
        if not isinstance(values, dict):
            raise ValueError("values must map block ids to values")
        return _answer(await self._sim.submit_view({"id": body["view_id"]}, body["user"], values))

    async def close(self, body: Body) -> Body:
        """Cancel (or Back, on a pushed view): closes the top view of the stack."""
        response = await self._sim.close_view({"id": body["view_id"]}, body["user"])
        return _answer(response) if response is not None else {}

    async def suggest(self, body: Body) -> Body:
        """Typing in an external select: the options the app answers with."""
        options = await self._sim.suggest({"id": body["view_id"]}, str(body["action_id"]), body["user"],
                                          str(body.get("query") or ""))
        return {"options": options}

    async def shortcut(self, body: Body) -> Body:
        """A global shortcut picked from the composer's shortcuts menu."""
        callback_id = str(body.get("callback_id"))
        if callback_id not in self._shortcuts:
            raise ValueError(f"the app has no shortcut {callback_id!r}")
        return _answer(await self._sim.shortcut(callback_id, body["user"]))

    async def home(self, body: Body) -> Body:
        """The person opened the app's Home tab."""
        return _answer(await self._sim.app_home_opened(body["user"]))


def _answer(response: SimResponse) -> Body:
    """The app's HTTP answer, for the page's console (the effect arrives as a change)."""
    return {"status": response.status}
