"""The Slack adapter of the ``escalation.*`` jobs: the support channel's message, the requester's
DM thread, and messages relayed between the two.

Each job renders from the escalation as it is when delivered. The first post of each side is
remembered (``EscalationIntake.posted``) as the thread the conversation happens in; a post that is
retried first looks for the message an earlier attempt made (by the job key in its metadata), so
nothing is posted twice. A job that needs a thread not posted yet waits for it (retried).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import Message
from bot.messages.escalation import relayed, requester_notice, support_message
from bot.notifier import HISTORY_LOOKBACK, JOB_EVENT, outcome_of
from domain.escalation_intake import EscalationView
from domain.escalation_records import Thread
from domain.escalations import ESCALATION_POST, ESCALATION_RELAY, ESCALATION_TELL, OPENED
from domain.jobs import Done, Fail, Outcome, Retry
from domain.records import AuditEntry, Job, request_ref

logger = logging.getLogger(__name__)
LoadEscalation = Callable[[int], Awaitable[EscalationView | None]]
RecordPost = Callable[[int, str, Thread], Awaitable[None]]


class NotPostedYet(Exception):
    """The thread this job posts into is not there yet (its first post is still to come)."""


class EscalationNotifier:
    """A ``domain.jobs.JobHandler`` for ``domain.escalations.ALL_KINDS``."""

    def __init__(self, client: AsyncWebClient, load: LoadEscalation, record_post: RecordPost,
                 dm_channel: Callable[[str], Awaitable[str]]) -> None:
        self._client = client
        self._load = load
        self._record_post = record_post
        self._dm_channel = dm_channel
        self._kinds: dict[str, Callable[[EscalationView, Job], Awaitable[Done]]] = {
            ESCALATION_POST: self._post_to_support, ESCALATION_TELL: self._tell, ESCALATION_RELAY: self._relay}

    async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        for job in jobs:
            yield job, await self._one(job)

    async def _one(self, job: Job) -> Outcome:
        try:
            view = await self._load(int(job.payload["escalation"]))
        except (KeyError, ValueError, TypeError) as error:
            return Fail(f"malformed: {type(error).__name__}: {error}"[:200])
        except Exception as error:  # the database may be briefly away
            return Retry(f"reading the escalation failed: {type(error).__name__}")
        if view is None:
            return Done()  # gone with its request: nothing to say
        try:
            return await self._kinds[job.kind](view, job)
        except NotPostedYet as waiting:
            return Retry(str(waiting))
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            return outcome_of(error)
        except (KeyError, ValueError, TypeError) as error:
            logger.exception("job %s (%s) could not be performed", job.id, job.kind)
            return Fail(f"malformed: {type(error).__name__}: {error}"[:200])

    async def _post_to_support(self, view: EscalationView, job: Job) -> Done:
        """Post the escalation to the support channel (the first job), or redraw its message."""
        escalation = view.escalation
        message = support_message(view, datetime.now(UTC))
        post = escalation.support_post
        if post is not None:
            await self._client.chat_update(channel=post.channel, ts=post.ts, text=message.text,
                                           blocks=message.blocks_json())
            return _done(view, "support_redrawn", post)
        if not job.payload.get("first"):
            raise NotPostedYet("the escalation is not posted yet")
        if view.support_channel is None:
            return Done()  # escalations were switched off meanwhile
        post = await self._post(job, view.support_channel, message)
        await self._record_post(escalation.id, "support", post)
        return _done(view, "support_posted", post)

    async def _tell(self, view: EscalationView, job: Job) -> Done:
        escalation = view.escalation
        what, by = str(job.payload["what"]), job.payload.get("by")
        about = view.request.request.ref if view.request else None
        message = requester_notice(escalation, what, None if by is None else str(by), about)
        if what == OPENED:
            if escalation.requester_post is not None:
                return Done()  # an earlier attempt opened the thread
            post = await self._post(job, await self._dm_channel(escalation.requester_id), message)
            await self._record_post(escalation.id, "requester", post)
            return _done(view, "requester_told", post)
        thread = escalation.requester_post
        if thread is None:
            raise NotPostedYet("the requester's thread is not posted yet")
        return _done(view, "requester_told", await self._post(job, thread.channel, message, thread.ts))

    async def _relay(self, view: EscalationView, job: Job) -> Done:
        to, author, text = str(job.payload["to"]), str(job.payload["author"]), str(job.payload["text"])
        thread = view.escalation.requester_post if to == "requester" else view.escalation.support_post
        if thread is None:
            raise NotPostedYet(f"the {to} thread is not posted yet")
        side = "support" if to == "requester" else "requester"
        body = relayed(author, side, text)
        post = await self._post(job, thread.channel, Message(text=body, blocks=()), thread.ts)
        return _done(view, "relay_delivered", post)

    async def _post(self, job: Job, channel: str, message: Message, thread_ts: str | None = None) -> Thread:
        """Post once: a retried job first looks for the message an earlier attempt posted."""
        if job.attempts > 1:
            earlier = await self._earlier(channel, job.key, thread_ts)
            if earlier is not None:
                return Thread(channel, earlier)
        blocks = message.blocks_json() or None
        response = await self._client.chat_postMessage(
            channel=channel, text=message.text, blocks=blocks, thread_ts=thread_ts, unfurl_links=False,
            unfurl_media=False, metadata={"event_type": JOB_EVENT, "event_payload": {"job": job.key}})
        return Thread(str(response["channel"]), str(response["ts"]))

    async def _earlier(self, channel: str, key: str, thread_ts: str | None) -> str | None:
        if thread_ts is None:
            response = await self._client.conversations_history(channel=channel, limit=HISTORY_LOOKBACK,
                                                                 include_all_metadata=True)
        else:
            response = await self._client.conversations_replies(channel=channel, ts=thread_ts,
                                                                limit=HISTORY_LOOKBACK, include_all_metadata=True)
        for message in response.get("messages") or []:
            if _job_key(message) == key:
                return str(message["ts"])
        return None


def _job_key(message: dict[str, Any]) -> str | None:
    metadata = message.get("metadata")
    payload = metadata.get("event_payload") if isinstance(metadata, dict) else None
    ok = isinstance(metadata, dict) and metadata.get("event_type") == JOB_EVENT and isinstance(payload, dict)
    return str(payload["job"]) if ok and isinstance(payload, dict) and "job" in payload else None


def _done(view: EscalationView, what: str, post: Thread) -> Done:
    escalation = view.escalation
    ref = request_ref(escalation.request_id) if escalation.request_id else None
    return Done((), [AuditEntry("escalation_message", "ok", None, ref, {
        "escalation": escalation.ref, "what": what, "channel": post.channel, "ts": post.ts})])
