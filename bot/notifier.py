"""The Slack adapter of the work engine: performs ``dm.*`` jobs as Slack calls.

Messages are rendered from the request's state at delivery time, so a late or retried job never
shows a stale picture. Every post carries the job's idempotency key in its message metadata; a
job tried before (``attempts > 1``: the earlier attempt may have posted and then crashed, or Slack
may have stored the post and answered an error) first looks for that message in the DM's recent
history and updates it instead of posting a second one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import Message
from bot.messages.approval import approval_message
from bot.messages.feedback import feedback_question
from bot.messages.requester import decision_update, receipt, stuck
from domain import feedback, notifications
from domain.fulfilment_records import PlanRecord, StepRecord
from domain.jobs import Done, Fail, Outcome, Retry
from domain.records import AuditEntry, DecisionRecord, Job, MessageRecord, RequestRecord
from domain.service import RequestView

logger = logging.getLogger(__name__)
JOB_EVENT = "selfserve_job"  # message metadata event_type that carries a job's key
HISTORY_LOOKBACK = 50  # recent DM messages searched for an earlier attempt's post
TRANSIENT_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                              "request_timeout"})
LoadView = Callable[[int], Awaitable[RequestView | None]]
WantsFeedback = Callable[[str], Awaitable[bool]]


@dataclass(frozen=True)
class Snapshot:
    """A request as one job group renders it: read once, then extended with what it posts."""

    request: RequestRecord
    decisions: list[DecisionRecord]
    messages: list[MessageRecord]
    steps: list[StepRecord] = field(default_factory=list)
    plan: PlanRecord | None = None
    rendered: dict[int, Message] = field(default_factory=dict, compare=False)  # shared by `after` copies

    def approval(self, step: int) -> Message:
        """The approval DM of ``step`` as of this snapshot, rendered once for all its recipients."""
        if step not in self.rendered:
            self.rendered[step] = approval_message(self.request, step, self.decisions)
        return self.rendered[step]

    def approvals_of(self, step: int) -> list[MessageRecord]:
        return [m for m in self.messages if m.purpose == "approval" and m.step == step]

    def receipts(self) -> list[MessageRecord]:
        return [m for m in self.messages if m.purpose == "receipt"]

    def after(self, done: Done) -> Snapshot:
        return replace(self, messages=[*self.messages, *done.messages]) if done.messages else self


class SlackNotifier:
    """A ``domain.jobs.JobHandler`` for every kind in ``domain.notifications.ALL_KINDS`` and for
    ``domain.feedback.ASK``."""

    def __init__(self, client: AsyncWebClient, load_view: LoadView,
                 wants_feedback: WantsFeedback | None = None) -> None:
        """``load_view`` reads a request as its notifications render it; ``wants_feedback(user)`` says
        whether they still want the feedback question (None: everyone does)."""
        self._client = client
        self._load_view = load_view
        self._wants_feedback = wants_feedback
        self._dm_channels: dict[str, str] = {}
        self._handlers: dict[str, Callable[[Snapshot, Job], Awaitable[Done]]] = {
            notifications.REQUESTER_RECEIPT: self._receipt,
            notifications.APPROVER_ASK: self._ask,
            notifications.APPROVER_REFRESH: self._refresh,
            notifications.REQUESTER_UPDATE: self._update,
            notifications.REQUESTER_STUCK: self._stuck,
            notifications.RECEIPT_REFRESH: self._refresh_receipt,
            feedback.ASK: self._ask_feedback,
        }

    async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        """Perform one request's jobs in order, rendered from one read of its state.

        Reading once per group rather than per job is safe because every later change to
        the request queues its own job; messages posted by earlier jobs of the group are
        added to the snapshot. Slack or network errors become retries or failures per job.
        """
        request_id = jobs[0].request_id
        try:
            view = None if request_id is None else await self._load_view(request_id)
        except Exception as error:
            for job in jobs:
                yield job, Retry(f"reading the request failed: {type(error).__name__}")
            return
        snapshot = None if view is None else Snapshot(view.request, view.decisions, view.messages, view.steps,
                                                      view.plan)
        for job in jobs:
            handler = self._handlers.get(job.kind)
            if handler is None:
                yield job, Fail(f"unknown job kind {job.kind!r}")
                continue
            if snapshot is None:
                yield job, Done()  # the request is gone: nothing to say about it
                continue
            try:
                done = await handler(snapshot, job)
            except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
                yield job, outcome_of(error)
                continue
            except (KeyError, ValueError, TypeError) as error:  # a payload or an answer not as expected:
                logger.exception("job %s (%s) could not be performed", job.id, job.kind)  # the rest still run
                yield job, Fail(f"malformed: {type(error).__name__}: {error}"[:200])
                continue
            yield job, done
            snapshot = snapshot.after(done)

    async def dm_channel(self, user_id: str) -> str:
        """The bot's DM channel with ``user_id``, opened once and remembered."""
        if user_id not in self._dm_channels:
            response = await self._client.conversations_open(users=user_id)
            self._dm_channels[user_id] = response["channel"]["id"]
        return self._dm_channels[user_id]

    async def post_once(self, channel: str, job: Job, message: Message) -> tuple[str, str]:
        """Post ``message`` for ``job`` in ``channel`` (a DM or a channel the bot can read), or, when
        an earlier attempt of the job posted it already, update that one; returns (channel, ts)."""
        ts = await self._earlier_post(channel, job.key) if job.attempts > 1 else None
        if ts is None:
            response = await self._client.chat_postMessage(
                channel=channel, text=message.text, blocks=message.blocks_json(), unfurl_links=False,
                unfurl_media=False, metadata={"event_type": JOB_EVENT, "event_payload": {"job": job.key}})
            return str(response["channel"]), str(response["ts"])
        await self._client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks_json())
        return channel, ts

    async def _post(self, snapshot: Snapshot, job: Job, recipient: str, purpose: str, step: int | None,
                    message: Message) -> Done:
        channel, ts = await self.post_once(await self.dm_channel(recipient), job, message)
        ref = snapshot.request.ref
        posted = MessageRecord(snapshot.request.id, purpose, step, recipient, channel, ts)
        details = {"purpose": purpose, "recipient": recipient, "channel": channel, "ts": ts}
        return Done([posted], [AuditEntry("message_sent", "ok", None, ref, details)])

    async def _earlier_post(self, channel: str, key: str) -> str | None:
        """The ts of the bot's message carrying ``key`` among the DM's recent messages."""
        response = await self._client.conversations_history(channel=channel, limit=HISTORY_LOOKBACK,
                                                             include_all_metadata=True)
        for message in response.get("messages") or []:
            if _job_key(message) == key:
                return str(message["ts"])
        return None

    async def _receipt(self, snapshot: Snapshot, job: Job) -> Done:
        request = snapshot.request
        return await self._post(snapshot, job, request.requester_id, "receipt", None,
                                receipt(request, snapshot.steps, snapshot.plan))

    async def _ask(self, snapshot: Snapshot, job: Job) -> Done:
        step, approver = int(job.payload["step"]), str(job.payload["approver"])
        if any(m.recipient_id == approver for m in snapshot.approvals_of(step)):
            return Done()  # posted and recorded by an earlier attempt; never ask twice
        return await self._post(snapshot, job, approver, "approval", step, snapshot.approval(step))

    async def _ask_feedback(self, snapshot: Snapshot, job: Job) -> Done:
        """The question, at most once per request, unless the requester turned questions off."""
        request = snapshot.request
        if any(m.purpose == "feedback" for m in snapshot.messages):
            return Done()
        if self._wants_feedback is not None and not await self._wants_feedback(request.requester_id):
            return Done([], [AuditEntry("feedback_not_asked", "ok", None, request.ref, {"because": "turned_off"})])
        return await self._post(snapshot, job, request.requester_id, "feedback", None, feedback_question(request))

    async def _update(self, snapshot: Snapshot, job: Job) -> Done:
        step, verdict, by = int(job.payload["step"]), str(job.payload["verdict"]), str(job.payload["by"])
        message = decision_update(snapshot.request, step, verdict, by, snapshot.decisions)
        return await self._post(snapshot, job, snapshot.request.requester_id, "update", step, message)

    async def _stuck(self, snapshot: Snapshot, job: Job) -> Done:
        step, eligible = int(job.payload["step"]), int(job.payload["eligible"])
        message = stuck(snapshot.request, step, eligible)
        return await self._post(snapshot, job, snapshot.request.requester_id, "stuck", step, message)

    async def _refresh(self, snapshot: Snapshot, job: Job) -> Done:
        """Redraw every approver DM of the step; chat.update is idempotent, so retries are safe."""
        step = int(job.payload["step"])
        messages = snapshot.approvals_of(step)
        await self._update_all(messages, snapshot.approval(step))
        details = {"step": step, "messages": len(messages)}
        return Done([], [AuditEntry("messages_updated", "ok", None, snapshot.request.ref, details)])

    async def _update_all(self, messages: Sequence[MessageRecord], message: Message) -> None:
        """Show ``message`` in each of ``messages`` (chat.update is idempotent, so retries are safe)."""
        await asyncio.gather(*(
            self._client.chat_update(channel=m.channel, ts=m.ts, text=message.text, blocks=message.blocks_json())
            for m in messages
        ))

    async def _refresh_receipt(self, snapshot: Snapshot, job: Job) -> Done:
        """Redraw the requester's receipt with the request's state now (a receipt not posted yet
        needs nothing: it is rendered from the state when it is posted)."""
        messages = snapshot.receipts()
        await self._update_all(messages, receipt(snapshot.request, snapshot.steps, snapshot.plan))
        details = {"purpose": "receipt", "messages": len(messages)}
        return Done([], [AuditEntry("messages_updated", "ok", None, snapshot.request.ref, details)])


def _job_key(message: dict[str, Any]) -> str | None:
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != JOB_EVENT:
        return None
    payload = metadata.get("event_payload")
    return str(payload.get("job")) if isinstance(payload, dict) else None


def outcome_of(error: Exception) -> Outcome:
    """Slack's answer as the engine's outcome: retry what can succeed later, fail the rest."""
    if isinstance(error, SlackApiError):
        code = str(error.response.get("error", "slack_error"))
        if error.response.status_code == 429:
            after = str(error.response.headers.get("Retry-After", "1"))
            # not counted against the job's attempts; None: the engine's backoff
            return Retry(code, float(after) if after.isdigit() else None, rate_limited=True)
        if error.response.status_code >= 500 or code in TRANSIENT_ERRORS:
            return Retry(code)
        return Fail(code)
    return Retry(type(error).__name__)
