"""Slack notices about fulfilment, one job each: the requester's failure notice and access
notices (DMs), and, only where the catalog sets no support channel (so a failure is not escalated,
``domain.fulfilment_failure``), the admins' alert with the technical detail and a Retry button.

Each is rendered from the request's state when it is delivered and posted once per job
(``SlackNotifier.post_once``). A heads-up that comes due after the access ended (downtime) says
nothing: the ended notice follows.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.messages import Message
from bot.messages.fulfilment import access_ended, access_warning, failed_notice, support_alert
from bot.notifier import SlackNotifier, outcome_of
from domain.access import ACCESS_ENDED, ACCESS_WARNING
from domain.catalog import Catalog
from domain.fulfilment import ADMIN_ALERT, FAILED_NOTICE, plan_of
from domain.fulfilment_records import APPROVED, StepRecord
from domain.jobs import Done, Outcome, Retry
from domain.records import AuditEntry, Job, MessageRecord
from domain.service import RequestView

KINDS = (FAILED_NOTICE, ADMIN_ALERT, ACCESS_WARNING, ACCESS_ENDED)
ALERT = "fulfilment_alert"
"""The purpose of the admins' alert messages, as recorded."""
LoadView = Callable[[int], Awaitable[RequestView | None]]


class FulfilmentNotices:
    def __init__(self, notifier: SlackNotifier, load_view: LoadView, catalog: Callable[[], Catalog]) -> None:
        """``catalog``: the catalog now (its support channel and admin role)."""
        self._notifier = notifier
        self._load_view = load_view
        self._catalog = catalog

    async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        for job in jobs:
            try:
                view = None if job.request_id is None else await self._load_view(job.request_id)
                yield job, Done() if view is None else await self._perform(job, view)
            except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
                yield job, outcome_of(error)
            except (KeyError, ValueError, StopIteration) as error:
                yield job, Retry(f"{type(error).__name__}: {error}")

    async def _perform(self, job: Job, view: RequestView) -> Outcome:
        request, plan = view.request, view.plan
        if job.kind == ACCESS_WARNING:
            if plan is None or plan.expires_at is None or plan.ended_at is not None:
                return Done()
            return await self._dm(job, view, "access_warning", access_warning(request, plan.expires_at))
        if job.kind == ACCESS_ENDED:
            return await self._dm(job, view, "access_ended", access_ended(request, plan))
        phase, index = str(job.payload["phase"]), int(job.payload["index"])
        step = next(s for s in view.steps if (s.phase, s.index) == (phase, index))
        if job.kind == FAILED_NOTICE:
            return await self._dm(job, view, "fulfilment_failed", failed_notice(request, step))
        return await self._alert(job, view, step)

    async def _dm(self, job: Job, view: RequestView, purpose: str, message: Message) -> Done:
        channel = await self._notifier.dm_channel(view.request.requester_id)
        channel, ts = await self._notifier.post_once(channel, job, message)
        return Done([MessageRecord(view.request.id, purpose, None, view.request.requester_id, channel, ts)],
                    [AuditEntry("message_sent", "ok", None, view.request.ref,
                                {"purpose": purpose, "recipient": view.request.requester_id, "channel": channel})])

    async def _alert(self, job: Job, view: RequestView, step: StepRecord) -> Done:
        """To each admin by DM, with the call as the catalog writes it (``${VAR}`` unresolved, so no
        secret) and the recorded detail; in the support channel for a job queued before failures were
        escalated, or when one was set since the failure."""
        call = None
        if view.plan is not None:
            plan = plan_of(view.plan)
            hook = (plan.on_approved if step.phase == APPROVED else plan.on_expired)[step.index].webhook
            call = None if hook is None else f"{hook.method} {hook.url}"
        message = support_alert(view.request, step, call)
        catalog = self._catalog()
        admins = sorted(catalog.members_of(catalog.settings.admins))
        channels = ([catalog.settings.support_channel] if catalog.settings.support_channel else
                    [await self._notifier.dm_channel(admin) for admin in admins])
        posted = [await self._notifier.post_once(channel, job, message) for channel in channels]
        ref = view.request.ref
        return Done([MessageRecord(view.request.id, ALERT, step.index, "support", channel, ts)
                     for channel, ts in posted],
                    [AuditEntry("message_sent", "ok", None, ref, {"purpose": ALERT, "channels": channels})])
