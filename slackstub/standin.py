"""SlackStandIn: a local Slack Web API the bot can talk to, recording every call and answering like Slack."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from slackstub.api_chat import ChatApi
from slackstub.api_history import HistoryApi
from slackstub.api_server import ApiServer
from slackstub.api_views import ViewsApi
from slackstub.api_workspace import WorkspaceApi
from slackstub.home_tabs import HomeTabs
from slackstub.identity import AppIdentity
from slackstub.instrumentation import Instrumented
from slackstub.replies import SlackMethodError
from slackstub.response_urls import ResponseUrls
from slackstub.socket_mode import SocketModeServer
from slackstub.triggers import TriggerBook
from slackstub.users import SlackUser
from slackstub.view_state import StateValues
from slackstub.views import View, ViewStore
from slackstub.workspace import Workspace


@contextmanager
def _as_lookup_error() -> Iterator[None]:
    """Test-facing helpers fail with LookupError, not with the Web API error the bot would get."""
    try:
        yield
    except SlackMethodError as failure:
        raise LookupError(failure.error) from None


class SlackStandIn(Instrumented):
    """Slack's side of the Web API for one workspace with the bot installed; start() before use.

    Call log and fault injection (calls, calls_to, wait_for, fail_next, ...) come from Instrumented.
    """

    def __init__(
        self,
        bot_token: str = "xoxb-test",
        team_id: str = "T0TEAM",
        bot_user_id: str = "U0BOT",
        *,
        bot_id: str = "B0BOT",
        app_id: str = "A0APP",
        team_name: str = "Selfserve Test",
        team_domain: str = "selfserve-test",
        bot_name: str = "selfserve",
        trigger_ttl: float = 3.0,
        host: str = "127.0.0.1",
        port: int = 0,
        app_token: str = "xapp-1-A0APP-1-test",
    ) -> None:
        """`app_token`: the app-level token apps.connections.open takes (Socket Mode, see `socket_mode`)."""
        super().__init__()
        self.identity = AppIdentity(bot_token, team_id, bot_user_id, bot_id, app_id, team_name, team_domain, bot_name)
        self._host, self._port = host, port
        self._workspace = Workspace()
        self._triggers = TriggerBook(trigger_ttl)
        self._views = ViewStore(self.identity)
        self._chat = ChatApi(self.identity, self._workspace)
        self._response_urls = ResponseUrls(self._chat, self._workspace)
        self._homes = HomeTabs(self.identity, self._workspace)
        methods = {
            **WorkspaceApi(self.identity, self._workspace).methods(),
            **self._chat.methods(),
            **HistoryApi(self._workspace).methods(),
            **ViewsApi(self._views, self._triggers).methods(),
            **self._homes.methods(),
        }
        self.socket_mode = SocketModeServer(app_id, lambda: self.base_url)
        """Slack's Socket Mode side: connections, envelopes, acks, disconnects (slackstub.socket_mode)."""
        self._server = ApiServer(bot_token, methods, self._recorder, self._faults, self._response_urls,
                                 app_token=app_token, app_methods=self.socket_mode.methods(),
                                 routes=self.socket_mode.add_routes)
        self.add_user(bot_user_id, name=bot_name, is_bot=True)

    # lifecycle

    async def start(self) -> None:
        """Start serving on host:port (port 0: a free one)."""
        await self._server.start(self._host, self._port)

    async def stop(self) -> None:
        """Stop serving; recorded state stays readable."""
        await self.socket_mode.close()
        await self._server.stop()

    async def __aenter__(self) -> SlackStandIn:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """"http://127.0.0.1:PORT/" once started."""
        return self._server.base_url

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL / AsyncWebClient(base_url=...) should be set to."""
        return f"{self.base_url}api/"

    # the workspace model

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        display_name: str | None = None,
        deleted: bool = False,
        is_bot: bool = False,
        tz: str = "Europe/London",
        email: str | None = None,
    ) -> dict[str, Any]:
        """Add (or replace) a member; returns them as users.info would (``email`` by default
        ``<name>@example.com``, as the users:read.email scope shows it). Unknown users get user_not_found."""
        handle = name or user_id.lower()
        full_name = real_name or handle
        user = SlackUser(user_id, handle, full_name, display_name or handle, deleted, is_bot, tz,
                         email or f"{handle}@example.com")
        self._workspace.add_user(user)
        return user.to_api(self.identity.team_id)

    def members(self) -> list[SlackUser]:
        """Every member of the workspace (the bot included), in the order they were added."""
        return self._workspace.members()

    def add_channel(self, channel_id: str, name: str) -> None:
        """Name a public channel ("C..."), as the workspace's channel list shows it."""
        if not channel_id.startswith("C"):
            raise LookupError(f"not a public channel id: {channel_id}")
        self._workspace.channel_names[channel_id] = name

    def channel_name(self, channel_id: str) -> str:
        """A public channel's name; its id, lower-cased, when it has none."""
        return self._workspace.channel_names.get(channel_id, channel_id.lower())

    def public_channels(self) -> list[str]:
        """Public channels that were named (add_channel) or have a message, named ones first."""
        return self._workspace.public_channels()

    def set_usergroup(self, group_id: str, members: list[str]) -> None:
        """Define (or change) a user group, as usergroups.users.list will answer for it."""
        self._workspace.usergroups[group_id] = list(members)

    def username(self, user_id: str) -> str:
        """The handle Slack shows for a member; the id itself for users the model lacks."""
        try:
            return self._workspace.user(user_id).name
        except SlackMethodError:
            return user_id

    def dm_channel(self, user_id: str) -> str:
        """The stable "D..." id of the member's DM with the bot."""
        with _as_lookup_error():
            return self._workspace.dm_channel(user_id)

    def add_bot_to_channel(self, channel: str) -> None:
        """Make the bot a member of public channel `channel` (posting there also does), so it may read its history."""
        if not channel.startswith("C"):
            raise LookupError(f"not a public channel id: {channel}")
        self._workspace.join(channel)

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Copies of a channel's messages as they are now (after updates), oldest first, each with `channel`.

        `channel` may be a user id, meaning their DM with the bot.
        """
        with _as_lookup_error():
            channel_id = self._workspace.resolve_channel(channel, allow_user=True)
        return [{**copy.deepcopy(message), "channel": channel_id} for message in self._workspace.history(channel_id)]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """A copy of one message as it is now (with `channel`); LookupError if it is gone or never existed."""
        with _as_lookup_error():
            return {**copy.deepcopy(self._workspace.message(channel, ts)), "channel": channel}

    def post_user_message(
        self, channel: str, user_id: str, text: str, blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> dict[str, Any]:
        """A message a human posted (the bot may not edit it), in the thread of `thread_ts` if given; returns it
        with `channel`."""
        with _as_lookup_error():
            channel_id = self._workspace.resolve_channel(channel, allow_user=True)
            author = self._workspace.user(user_id).id
        message: dict[str, Any] = {"type": "message", "user": author, "text": text, "ts": self._workspace.clock.next(),
                   "team": self.identity.team_id}
        if blocks:
            message["blocks"] = copy.deepcopy(blocks)
        if thread_ts:
            with _as_lookup_error():
                self._workspace.message(channel_id, thread_ts)  # a reply needs its thread's parent
            message["thread_ts"] = thread_ts
        self._workspace.append(channel_id, message)
        return {**copy.deepcopy(message), "channel": channel_id}

    @property
    def views(self) -> dict[str, View]:
        """Copies of the open views by id, as the bot last set them."""
        return self._views.snapshot()

    def home(self, user_id: str) -> View | None:
        """A copy of `user_id`'s App Home view as the bot last published it (views.publish), or None."""
        return self._homes.home(user_id)

    def home_by_id(self, view_id: str) -> tuple[str, View] | None:
        """(member, copy of their Home view) for a Home view id, or None."""
        return self._homes.by_id(view_id)

    def known_view(self, view_id: str) -> View | None:
        """The last version of a view the bot opened, even if it has been closed since."""
        return self._views.known(view_id)

    def view_user(self, view_id: str) -> str:
        """The user a view was opened for (KeyError if the bot never opened it)."""
        return self._views.owner(view_id)

    def view_values(self, view_id: str) -> StateValues:
        """What the user has entered in the view's inputs now, as state.values (initial values until changed).

        Kept across views.update for inputs whose block_id, action_id and element type stay the same;
        KeyError if the bot never opened the view.
        """
        return self._views.entered(view_id)

    def modal_stacks(self, user_id: str) -> list[list[View]]:
        """Copies of the modal stacks open for `user_id`, oldest first, each bottom view first."""
        return self._views.stacks_of(user_id)

    def view_errors(self, view_id: str) -> dict[str, str]:
        """Inline errors shown under the view's inputs now (the app's last `errors` ack), by block_id."""
        return self._views.errors(view_id)

    def ephemerals(self, user_id: str) -> list[dict[str, Any]]:
        """Copies of the ephemeral messages shown to `user_id` (each with `channel`), oldest first."""
        return copy.deepcopy(self._workspace.ephemerals(user_id))

    # what Slack's client side needs (used by SlackClientSim)

    def new_trigger_id(self, user_id: str, view_id: str | None = None) -> str:
        """A trigger id for an interaction by `user_id` (inside view `view_id`); valid for trigger_ttl, once."""
        return self._triggers.mint(user_id, view_id)

    def new_response_url(
        self, channel_id: str | None = None, message_ts: str | None = None, user_id: str | None = None
    ) -> str:
        """A response_url for `user_id`'s interaction in `channel_id` (on message `message_ts`, for clicks)."""
        return self._response_urls.mint(self.base_url, channel_id, message_ts, user_id)

    def app_replied(self, channel_id: str, user_id: str, body: dict[str, Any]) -> None:
        """The app acked a slash command with a message: posted if in_channel, else shown to `user_id` only."""
        self._chat.respond(channel_id, user_id, body)

    def enter_view_values(self, view_id: str, entries: StateValues) -> None:
        """The user changed inputs of open view `view_id`: `entries` ({block_id: {action_id: entry}}) replace
        those inputs' state (LookupError if the view is closed or lacks one)."""
        self._views.enter(view_id, entries)

    def view_submitted(self, view_id: str, ack: dict[str, Any] | None) -> None:
        """Apply the app's view_submission ack as Slack's client does (SlackMethodError when Slack would reject it)."""
        self._views.apply_ack(view_id, ack)

    def view_closed(self, view_id: str, cleared: bool = False) -> None:
        """The user closed the view (`cleared`: the whole stack)."""
        self._views.close(view_id, clear=cleared)
