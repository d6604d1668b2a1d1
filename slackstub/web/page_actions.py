"""What a person does on the page, sent to the bot by SlackClientSim exactly as Slack would send it.

Each handler takes the page's JSON and answers JSON: ``{"ok": true, ...}``, or ``{"ok": false, "error": ...}``
with HTTP 400 for a body the page does not send, 409 when Slack would not have let the person do it (a view
already closed, an unknown option), and 503 while there is no app to send it to (the catalog has problems).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from slackstub.client_sim import SlackClientSim
from slackstub.sim_response import SimResponse
from slackstub.standin import SlackStandIn
from slackstub.web.page_request import BadRequest, Body, mapping, read_body, text

Action = Callable[[Body], Awaitable[Body]]
SLACK_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
"""What Slack's client does to what a person types, so typed text never becomes a link or a mention."""


class NotRunning(Exception):
    """There is no app to send the action to yet."""


class PageActions:
    """The page's POST endpoints, by name."""

    def __init__(self, stub: SlackStandIn, sim: SlackClientSim | None, commands: tuple[str, ...],
                 shortcuts: dict[str, str], changed: Callable[[], None]) -> None:
        """`sim`: the app's way in (None until there is an app); `commands`: the app's slash commands (Slack
        refuses others); `shortcuts`: its global shortcuts' names by callback id; `changed` is told after
        every action."""
        self._stub = stub
        self.sim = sim
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
            answer = await action(await read_body(request))
        except BadRequest as malformed:
            return _refusal(str(malformed), 400)
        except NotRunning:
            return _refusal("The app is not running: the catalog has problems.", 503)
        except (LookupError, ValueError, AssertionError) as refused:
            return _refusal(str(refused), 409)
        finally:
            self._changed()
        return web.json_response({"ok": True, **answer})

    def _app(self) -> SlackClientSim:
        if self.sim is None:
            raise NotRunning()
        return self.sim

    async def message(self, body: Body) -> Body:
        """The message box (or a thread's, with `thread_ts`): `/command text` runs the app's command, anything else
        is posted as the person and sent to the app as its `message` event, as Slack does."""
        user, channel, typed = body["user"], text(body, "channel"), text(body, "text", "").strip()
        thread_ts = text(body, "thread_ts", "") or None
        if not channel:
            raise BadRequest("channel must name the conversation typed in")
        if not typed:
            raise ValueError("nothing to send")
        if not typed.startswith("/") or thread_ts:
            message = self._stub.post_user_message(channel, user, typed.translate(SLACK_ESCAPES), thread_ts=thread_ts)
            if self.sim is not None:
                await self.sim.message_events(message)
            return {}
        command, _, rest = typed.partition(" ")
        if command not in self._commands:
            raise ValueError(f"{command} is not a valid command (this app has {', '.join(self._commands)})")
        return _answer(await self._app().slash_command(user, command, rest.strip().translate(SLACK_ESCAPES),
                                                       channel_id=channel))

    async def click(self, body: Body) -> Body:
        """A button, overflow or select in a message (`surface`: channel and ts) or a view (`surface`: id)."""
        surface = mapping(body, "surface")
        if not all(isinstance(surface.get(key, ""), str) for key in ("channel", "ts", "id")):
            raise BadRequest("surface must name a message (channel, ts) or a view (id), as strings")
        return _answer(await self._app().click(surface, text(body, "action_id"), body["user"], body.get("value")))

    async def fill(self, body: Body) -> Body:
        """One input of an open modal changed (the app hears of it if the block dispatches actions)."""
        entered = {text(body, "block_id"): body.get("value")}
        responses = await self._app().fill({"id": text(body, "view_id")}, body["user"], entered,
                                           press_enter=body.get("enter") is True)
        return {"dispatched": len(responses)}

    async def submit(self, body: Body) -> Body:
        """Submit: every input's value as the page holds it, by block_id."""
        values = mapping(body, "values")
        return _answer(await self._app().submit_view({"id": text(body, "view_id")}, body["user"], values))

    async def close(self, body: Body) -> Body:
        """Cancel (or Back, on a pushed view): closes the top view of the stack."""
        response = await self._app().close_view({"id": text(body, "view_id")}, body["user"])
        return _answer(response) if response is not None else {}

    async def suggest(self, body: Body) -> Body:
        """Typing in an external select: the options the app answers with."""
        options = await self._app().suggest({"id": text(body, "view_id")}, text(body, "action_id"), body["user"],
                                            text(body, "query", ""))
        return {"options": options}

    async def shortcut(self, body: Body) -> Body:
        """A global shortcut picked from the composer's shortcuts menu."""
        callback_id = text(body, "callback_id")
        if callback_id not in self._shortcuts:
            raise ValueError(f"the app has no shortcut {callback_id!r}")
        return _answer(await self._app().shortcut(callback_id, body["user"]))

    async def home(self, body: Body) -> Body:
        """The person opened the app's Home tab."""
        return _answer(await self._app().app_home_opened(body["user"]))


def _answer(response: SimResponse) -> Body:
    """The app's HTTP answer, for the page's console (the effect arrives as a change)."""
    return {"status": response.status}


def _refusal(error: str, status: int) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)
