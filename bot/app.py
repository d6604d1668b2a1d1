"""Wiring: one engine, the Web API clients, one Bolt app and the aiohttp server (and Socket Mode link) around them."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.respond.internals import _build_message
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.models.attachments import Attachment
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.deps import Deps
from bot.escalation_notifier import EscalationNotifier
from bot.fulfilment import wiring as fulfilment_wiring
from bot.fulfilment.wiring import FulfilmentOptions, WebhookSession
from bot.handlers import (
    actions,
    cancellation,
    commands,
    delegation,
    errors,
    escalations,
    feedback,
    form_inputs,
    home,
    relay,
    shortcut,
    views,
)
from bot.handlers import fulfilment as fulfilment_buttons
from bot.home_tab import HomePublisher
from bot.http import SlackEndpoint
from bot.metrics import CountingWebClient, Metrics, metrics_endpoint
from bot.notifier import SlackNotifier
from bot.reminders import SlackReminders
from bot.socket_mode import SocketModeConnection, SocketModeEdge
from bot.tasks import TaskSupervisor
from domain.admin import AdminDesk
from domain.analytics import Analytics
from domain.cancellation import Canceller
from domain.catalog import Catalog
from domain.catalog_keeper import CatalogKeeper
from domain.delegation import Delegation
from domain.desk import ActionDesk
from domain.escalation_desk import EscalationDesk
from domain.escalation_intake import EscalationIntake
from domain.escalations import ALL_KINDS as ESCALATION_KINDS
from domain.escalations import escalate_overdue
from domain.feedback import ASK as FEEDBACK_ASK
from domain.feedback import FeedbackDesk
from domain.fulfilment_desk import FulfilmentDesk
from domain.gauges import read_gauges
from domain.job_desk import JobDesk
from domain.job_purge import Retention
from domain.job_runner import JobRunner
from domain.jobs import JobHandler
from domain.matching import MODEL
from domain.notifications import ALL_KINDS, APPROVER_REMIND
from domain.relay import Relay
from domain.service import RequestService
from domain.service_levels import TIMER_KINDS
from domain.sla_timers import ServiceLevelTimers
from domain.social_proof import SocialProof
from domain.surfaces import HOME_REFRESH
from domain.tracking import Tracker
from domain.usergroups import UserGroups
from storage.audit_writer import AuditWriter
from storage.database import Database

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_RETRY_AFTER = 10
"""Seconds of Retry-After a rate-limited call outside the job engine still waits for; longer: it fails."""


@dataclass(frozen=True)
class Runtime:
    """The long-lived pieces, exposed so tests and the benchmark can reach them."""

    bolt: AsyncApp
    deps: Deps
    client: AsyncWebClient
    """Bolt's and the handlers' client: retries rate limits and connection errors (views.*, respond...)."""
    database: Database
    delivery_client: AsyncWebClient
    """The job engine's client (bot.notifier): no retries of its own."""
    socket_mode: SocketModeConnection | None = None
    catalog: CatalogKeeper | None = None
    """The catalog in force (and the members of its roles' Slack user groups)."""
    webhooks: WebhookSession | None = None
    """The HTTP session of fulfilment's webhooks."""
    metrics: Metrics | None = None
    """Set when SLACK_APP_TOKEN is: requests arrive over Socket Mode instead of POST /slack/events."""


RUNTIME = web.AppKey("runtime", Runtime)


def _usergroup_lookup(client: AsyncWebClient) -> Callable[[str], Awaitable[frozenset[str]]]:
    async def members(group: str) -> frozenset[str]:
        response = await client.usergroups_users_list(usergroup=group)
        return frozenset(str(user) for user in response.get("users") or [])

    return members


def build_bolt(settings: Settings, catalog: Callable[[], Catalog], engine: AsyncEngine,
               idle_wait: float = 60.0, *, fulfilment: FulfilmentOptions | None = None,
               clock: Callable[[], datetime] | None = None) -> Runtime:
    """The Bolt app with every listener registered, and the job runner its changes feed. ``catalog``
    is a ``CatalogKeeper`` when it can be reloaded from its file; ``clock`` replaces the time of
    every unit of work (tests reach a timer's due time with it)."""
    catalog = catalog if isinstance(catalog, CatalogKeeper) else CatalogKeeper(catalog)
    db = Database(engine) if clock is None else Database(engine, clock)
    token = settings.slack_bot_token.get_secret_value()
    # Two clients on one HTTP session (set in build_web_app). Calls made while someone waits (views.open,
    # views.update, respond ...) retry a rate limit (after Retry-After) or a failed connection, a bounded
    # number of times. The job engine's client has no SDK retries: chat.postMessage repeated blindly after a
    # dropped connection posts twice. The engine retries instead, and a retried post first looks for the
    # earlier one (bot.notifier).
    owner = f"{socket.gethostname()}:{os.getpid()}"
    metrics = Metrics(owner)
    client = CountingWebClient(token=token, base_url=settings.slack_api_url, metrics=metrics, retry_handlers=[
        _BoundedRateLimitRetry(max_retry_count=2), AsyncConnectionErrorRetryHandler(max_retry_count=2)])
    delivery_client = CountingWebClient(token=token, base_url=settings.slack_api_url, retry_handlers=[],
                                        metrics=metrics)
    audit = AuditWriter(db.unit_of_work).write
    tasks = TaskSupervisor()
    catalog.groups = UserGroups(_usergroup_lookup(delivery_client))  # no SDK retries: nobody waits long
    service = RequestService(catalog, db.unit_of_work, db.reader, audit, refresh_groups=catalog.refresh_groups)
    escalation_desk = EscalationDesk(catalog, db.unit_of_work, audit, refresh_groups=catalog.refresh_groups)
    intake = EscalationIntake(catalog, db.unit_of_work, db.reader, audit, escalation_desk)
    proof = SocialProof(db.reader, lambda work: tasks.spawn(work, "social-proof"))
    tracker = Tracker(catalog, db.reader, db.unit_of_work, audit, lambda work: tasks.spawn(work, "audit"),
                      refresh_groups=catalog.refresh_groups, escalations=intake.for_home,
                      proof=proof.line)
    feedback_desk = FeedbackDesk(db.unit_of_work, db.reader, audit)
    notifier = SlackNotifier(delivery_client, service.view, feedback_desk.wanted)
    homes = HomePublisher(delivery_client, tracker.home)
    webhooks = WebhookSession()
    fulfilment_handlers = fulfilment_wiring.handlers(delivery_client, notifier, service, catalog, db.unit_of_work,
                                                     webhooks, fulfilment or FulfilmentOptions())
    service_levels: dict[str, JobHandler] = {APPROVER_REMIND: SlackReminders(delivery_client, service.view),
                      **dict.fromkeys(TIMER_KINDS, ServiceLevelTimers(catalog, db.unit_of_work, escalate_overdue))}
    escalation_notifier = EscalationNotifier(delivery_client, intake.view, intake.posted, notifier.dm_channel)
    deps = Deps(
        service=service,
        desk=ActionDesk(catalog, audit, lambda work: tasks.spawn(work, "audit")),
        tasks=tasks,
        tracker=tracker,
        canceller=Canceller(catalog, db.unit_of_work, audit),
        jobs=JobRunner(db.unit_of_work, db.reader, {**dict.fromkeys((*ALL_KINDS, FEEDBACK_ASK), notifier),
                       **service_levels, **dict.fromkeys(ESCALATION_KINDS, escalation_notifier),
                       HOME_REFRESH: homes, **fulfilment_handlers}, db.wakeup(),
                       owner=f"{socket.gethostname()}:{os.getpid()}", idle_wait=idle_wait,
                       retention=Retention(timedelta(days=settings.job_retention_days),
                                           timedelta(days=settings.failed_job_retention_days)),
                       on_failure=fulfilment_wiring.failure_hooks(catalog, fulfilment or FulfilmentOptions())),
        delegation=Delegation(catalog, db.unit_of_work, audit),
        admin=AdminDesk(catalog, audit),
        homes=homes,
        feedback=feedback_desk,
        analytics=Analytics(catalog, db.reader),
        fulfilment=FulfilmentDesk(catalog, db.unit_of_work, audit),
        escalations=escalation_desk,
        intake=intake,
        relay=Relay(db.unit_of_work),
        proof=proof,
    )
    db.run_jobs_in(deps.jobs)
    bolt = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=True,  # answer the moment a listener returns; slow work is spawned after ack
        request_verification_enabled=False,  # bot.http verifies the raw bytes before parsing
        logger=logging.getLogger("slack_bolt"),
    )
    bolt.use(_RespondWith(client))
    bolt.use(_CountCalls(metrics))
    for module in (commands, actions, views, form_inputs, delegation, cancellation, home, shortcut, feedback,
                   fulfilment_buttons, escalations, relay, errors):
        module.register(bolt, deps)
    socket_mode = None
    app_token = settings.slack_app_token
    if app_token is not None:
        def edge() -> SocketModeEdge:
            return SocketModeEdge(
                bolt, app_token.get_secret_value(), client,
                lambda kind, message: deps.desk.failed(None, kind, message, malformed=True),
                lambda kind, error: deps.desk.failed(None, kind, f"{type(error).__name__}: {error}", malformed=False),
                observe=metrics.acked)
        socket_mode = SocketModeConnection(edge)
    return Runtime(bolt, deps, client, db, delivery_client, socket_mode, catalog, webhooks, metrics)


class _BoundedRateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's rate-limit retry (sleeps Retry-After), except when Slack asks for more than MAX_RETRY_AFTER s:
    nobody waits that long for a modal, and a trigger id is dead after 3 s anyway."""

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                               error: Exception | None = None) -> bool:
        if response is None or response.status_code != 429:
            return False
        values = next((v for name, v in response.headers.items() if name.lower() == "retry-after"), ["1"])
        wait = (values[0] if isinstance(values, list) and values else str(values)).strip()
        return wait.isdigit() and int(wait) <= MAX_RETRY_AFTER


class _RespondWith(AsyncMiddleware):
    """Listeners' ``respond`` posts to the response_url on ``client``'s session with its retry handlers (Bolt's
    own opens a session per call and retries only one connection error)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        if req.context.response_url:
            req.context["respond"] = _Respond(req.context.response_url, self._client)
        return await next()


class _CountCalls(AsyncMiddleware):
    """Listeners' ``client`` counts its Web API calls too (Bolt builds a plain one per request)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        if req.context.client is not None:
            req.context["client"] = CountingWebClient.like(req.context.client, self._metrics)
        return await next()


class _Respond(AsyncRespond):
    def __init__(self, response_url: str, client: AsyncWebClient) -> None:
        super().__init__(response_url=response_url, proxy=client.proxy, ssl=client.ssl)
        self._client = client

    async def __call__(self, text: str | dict[str, Any] = "", blocks: Sequence[dict[str, Any] | Block] | None = None,
                       attachments: Sequence[dict[str, Any] | Attachment] | None = None,
                       response_type: str | None = None, replace_original: bool | None = None,
                       delete_original: bool | None = None, unfurl_links: bool | None = None,
                       unfurl_media: bool | None = None, thread_ts: str | None = None,
                       metadata: dict[str, Any] | None = None) -> WebhookResponse:
        assert self.response_url is not None
        message = _build_message(**text) if isinstance(text, dict) else _build_message(
            text=text, blocks=blocks, attachments=attachments, response_type=response_type,
            replace_original=replace_original, delete_original=delete_original, unfurl_links=unfurl_links,
            unfurl_media=unfurl_media, thread_ts=thread_ts, metadata=metadata)
        webhook = AsyncWebhookClient(url=self.response_url, proxy=self.proxy, ssl=self.ssl,
                                     session=self._client.session, retry_handlers=self._client.retry_handlers)
        return await webhook.send_dict(message)


def build_web_app(settings: Settings, catalog: Callable[[], Catalog], engine: AsyncEngine,
                  idle_wait: float = 60.0, *, fulfilment: FulfilmentOptions | None = None,
                  clock: Callable[[], datetime] | None = None) -> web.Application:
    """The aiohttp application: ``POST /slack/events`` (or, with SLACK_APP_TOKEN, a Socket Mode connection
    instead) and ``GET /healthz``."""
    runtime = build_bolt(settings, catalog, engine, idle_wait, fulfilment=fulfilment, clock=clock)
    app = web.Application()
    app[RUNTIME] = runtime
    endpoint = SlackEndpoint(runtime.bolt, settings.slack_signing_secret.get_secret_value(), lambda kind, error: (
        runtime.deps.desk.failed(None, kind, f"{type(error).__name__}: {error}", malformed=False)),
        observe=runtime.metrics.acked if runtime.metrics else None)
    if runtime.socket_mode is None:
        app.router.add_post(EVENTS_PATH, endpoint.handle)
    if runtime.metrics is not None:
        app.router.add_get("/metrics", metrics_endpoint(runtime.metrics, lambda: read_gauges(runtime.database.reader)))
    app.router.add_get("/healthz", _health(JobDesk(runtime.database.unit_of_work, runtime.database.reader)))

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        # One HTTP session for every Web API call (Bolt's per-request clients share it too):
        # without it slack_sdk opens a new session and TCP (and TLS) connection per call.
        session = aiohttp.ClientSession()
        runtime.client.session = runtime.delivery_client.session = session
        await runtime.deps.jobs.start()
        runtime.deps.tasks.spawn(runtime.deps.admin.warm_up(), "usergroups")  # roles filled from Slack
        try:
            if runtime.socket_mode is not None:
                await runtime.socket_mode.start()
            # Once the app is sure to serve (a refused app token has stopped it by now), so the first
            # person to type words does not wait for the model, and a start that fails is not held up
            # at exit by a load nobody needs.
            MODEL.start()
            yield
            if runtime.socket_mode is not None:
                await runtime.socket_mode.stop()  # envelopes in flight are acked first
            await runtime.deps.tasks.drain()
        finally:
            await runtime.deps.jobs.stop()
            await session.close()
            if runtime.webhooks is not None:
                await runtime.webhooks.close()
            await runtime.database.close()

    app.cleanup_ctx.append(lifecycle)
    return app


def _health(jobs: JobDesk) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The database answers (on the connections the bot's requests use), and how the job queue
    stands: how many jobs are due and how long the oldest has waited (work falling behind)."""
    async def health(_: web.Request) -> web.Response:
        try:
            stats = await jobs.stats()
        except Exception as error:  # any failure means "not healthy", and says why
            return web.json_response({"status": "error", "database": type(error).__name__}, status=503)
        return web.json_response({"status": "ok", "database": "ok", "jobs": {
            "due": stats.due, "scheduled": stats.scheduled, "oldest_due_seconds": round(stats.oldest_due_seconds, 3)}})

    return health
