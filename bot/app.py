"""Wiring: one engine, one Web API client, one Bolt app and the aiohttp server around them."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.deps import Deps
from bot.handlers import actions, commands, errors, form_inputs, views
from bot.http import SlackEndpoint
from bot.notifier import SlackNotifier
from bot.tasks import TaskSupervisor
from domain.catalog import Catalog
from domain.desk import ActionDesk
from domain.job_desk import JobDesk
from domain.job_runner import JobRunner
from domain.notifications import ALL_KINDS
from domain.service import RequestService
from storage.audit_writer import AuditWriter
from storage.database import Database

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


@dataclass(frozen=True)
class Runtime:
    """The long-lived pieces, exposed so tests and the benchmark can reach them."""

    bolt: AsyncApp
    deps: Deps
    client: AsyncWebClient
    database: Database


RUNTIME = web.AppKey("runtime", Runtime)


def build_bolt(settings: Settings, catalog: Callable[[], Catalog], engine: AsyncEngine,
               idle_wait: float = 60.0) -> Runtime:
    """The Bolt app with every listener registered, and the job runner its changes feed."""
    db = Database(engine)
    # No SDK retries: a call retried blindly after a dropped connection can post twice. The job
    # engine retries instead, and a retried post first looks for the earlier one (bot.notifier).
    client = AsyncWebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url,
                            retry_handlers=[])
    audit = AuditWriter(db.unit_of_work).write
    tasks = TaskSupervisor()
    service = RequestService(catalog, db.unit_of_work, db.reader, audit)
    notifier = SlackNotifier(client, service.view)
    deps = Deps(
        service=service,
        desk=ActionDesk(catalog, audit, lambda work: tasks.spawn(work, "audit")),
        tasks=tasks,
        jobs=JobRunner(db.unit_of_work, db.reader, dict.fromkeys(ALL_KINDS, notifier), db.wakeup(),
                       owner=f"{socket.gethostname()}:{os.getpid()}", idle_wait=idle_wait),
    )
    db.run_jobs_in(deps.jobs)
    bolt = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=True,  # answer the moment a listener returns; slow work is spawned after ack
        request_verification_enabled=False,  # bot.http verifies the raw bytes before parsing
        logger=logging.getLogger("slack_bolt"),
    )
    for module in (commands, actions, views, form_inputs, errors):
        module.register(bolt, deps)
    return Runtime(bolt, deps, client, db)


def build_web_app(settings: Settings, catalog: Callable[[], Catalog], engine: AsyncEngine,
                  idle_wait: float = 60.0) -> web.Application:
    """The aiohttp application: ``POST /slack/events`` and ``GET /healthz``."""
    runtime = build_bolt(settings, catalog, engine, idle_wait)
    app = web.Application()
    app[RUNTIME] = runtime
    endpoint = SlackEndpoint(runtime.bolt, settings.slack_signing_secret.get_secret_value(), lambda kind, error: (
        runtime.deps.desk.failed(None, kind, f"{type(error).__name__}: {error}", malformed=False)))
    app.router.add_post(EVENTS_PATH, endpoint.handle)
    app.router.add_get("/healthz", _health(JobDesk(runtime.database.unit_of_work, runtime.database.reader)))

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        # One HTTP session for every Web API call (Bolt's per-request clients share it too):
        # without it slack_sdk opens a new session and TCP (and TLS) connection per call.
        runtime.client.session = aiohttp.ClientSession()
        await runtime.deps.jobs.start()
        yield
        await runtime.deps.tasks.drain()
        await runtime.deps.jobs.stop()
        await runtime.client.session.close()
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
