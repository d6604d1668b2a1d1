"""Fulfilment's part of the app: its job handlers, failure hook, desk and HTTP session."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.fulfilment.notices import KINDS as NOTICE_KINDS
from bot.fulfilment.notices import FulfilmentNotices
from bot.fulfilment.people import People
from bot.fulfilment.steps import StepPerformer
from bot.notifier import SlackNotifier
from domain.access import ACCESS_END, AccessTimer
from domain.catalog import Catalog
from domain.fulfilment import STEP_JOB
from domain.fulfilment_failure import StepFailed
from domain.fulfilment_run import StepRunner
from domain.jobs import FailureHook, JobHandler
from domain.ports import UnitOfWorkFactory
from domain.service import RequestService


@dataclass(frozen=True)
class FulfilmentOptions:
    """``redirect``: send every webhook to this base URL instead (the playground's sink);
    ``environ``: where ``${VAR}`` is read (default: the process environment)."""

    redirect: str | None = None
    environ: Mapping[str, str] | None = None


@dataclass
class WebhookSession:
    """The HTTP session webhooks share, opened when the app starts (``open``) and closed with it."""

    session: aiohttp.ClientSession | None = field(default=None)

    def get(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession()
        return self.session

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


def handlers(client: AsyncWebClient, notifier: SlackNotifier, service: RequestService, catalog: Callable[[], Catalog],
             unit_of_work: UnitOfWorkFactory, sessions: WebhookSession,
             options: FulfilmentOptions) -> dict[str, JobHandler]:
    """The job handlers of every fulfilment kind."""
    steps = StepPerformer(StepRunner(unit_of_work), notifier, People(client), sessions.get,
                          environ=options.environ, redirect=options.redirect)
    notices = FulfilmentNotices(notifier, service.view, catalog)
    return {STEP_JOB: steps, ACCESS_END: AccessTimer(), **dict.fromkeys(NOTICE_KINDS, notices)}


def failure_hooks(catalog: Callable[[], Catalog], options: FulfilmentOptions) -> dict[str, FailureHook]:
    """A step failing for good is escalated; its words are masked with the ``${VAR}``s the steps read."""
    return {STEP_JOB: StepFailed(catalog, options.environ)}
