"""The Slack adapter of ``dm.approver.remind`` jobs: a reminder is a reply in the thread of the
approver's approval DM (one conversation per request, not a flood of new DMs).

A reminder is checked against the request as it is when the job runs: one for a step that was
decided, or by an approver who has decided since, is not sent. Like every post of the engine it
carries its job's key, and a retried job first looks for an earlier attempt's reply in the thread.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages.service_levels import standing_line
from bot.mrkdwn import escape, user
from bot.notifier import JOB_EVENT, LoadView, outcome_of
from domain.jobs import Done, Outcome
from domain.lifecycle import Status
from domain.records import AuditEntry, Job, MessageRecord
from domain.service import RequestView
from domain.service_levels import STEP, Standing

PURPOSE = "reminder"


def reminder_text(view: RequestView, number: int, payload: Mapping[str, Any]) -> str:
    """The reminder, with when the decision is due (in the reader's time zone) and how long is left
    as the reminder's job counted it (a step without a deadline: without)."""
    request = view.request
    again = "" if number == 1 else f" (reminder {number})"
    text = (f":alarm_clock: Reminder{again}: *{escape(request.ref)}* ({escape(request.action_title)}) from "
            f"{user(request.requester_id)} is still waiting for your decision. Approve or reject it above.")
    if "due_at" not in payload:
        return text
    due = Standing(STEP, request.current_step, datetime.fromisoformat(str(payload["due_at"])),
                   timedelta(seconds=int(payload["left_seconds"])), breached=False)
    return f"{text}\n{standing_line(due)}"


class SlackReminders:
    """A ``domain.jobs.JobHandler`` for ``domain.notifications.APPROVER_REMIND``."""

    def __init__(self, client: AsyncWebClient, load_view: LoadView) -> None:
        self._client = client
        self._load_view = load_view

    async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        for job in jobs:
            try:
                view = None if job.request_id is None else await self._load_view(job.request_id)
                yield job, Done() if view is None else await self._remind(view, job)
            except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
                yield job, outcome_of(error)

    async def _remind(self, view: RequestView, job: Job) -> Done:
        step, approver, number = int(job.payload["step"]), str(job.payload["approver"]), int(job.payload["number"])
        request = view.request
        decided = any(d.step == step and d.approver_id == approver for d in view.decisions)
        if request.status != Status.PENDING or request.current_step != step or decided:
            return Done()  # nothing to be reminded of any more
        asked = next((m for m in view.messages if m.purpose == "approval" and m.step == step
                      and m.recipient_id == approver), None)
        if asked is None:  # their approval DM never went out (its job failed): nothing to reply to
            return Done(audit=[AuditEntry("reminder_skipped", "no_approval_dm", None, request.ref,
                                          {"step": step, "approver": approver, "number": number})])
        ts = await self._earlier_reply(asked, job.key) if job.attempts > 1 else None
        if ts is None:
            response = await self._client.chat_postMessage(
                channel=asked.channel, thread_ts=asked.ts, text=reminder_text(view, number, job.payload),
                metadata={"event_type": JOB_EVENT, "event_payload": {"job": job.key}})
            ts = str(response["ts"])
        details = {"purpose": PURPOSE, "recipient": approver, "channel": asked.channel, "ts": ts,
                   "thread_ts": asked.ts, "number": number}
        return Done([MessageRecord(request.id, PURPOSE, step, approver, asked.channel, ts)],
                    [AuditEntry("message_sent", "ok", None, request.ref, details)])

    async def _earlier_reply(self, parent: MessageRecord, key: str) -> str | None:
        """The ts of this job's reply in the approval DM's thread, if an earlier attempt posted it."""
        response = await self._client.conversations_replies(channel=parent.channel, ts=parent.ts,
                                                            include_all_metadata=True)
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == JOB_EVENT and (metadata.get("event_payload") or {}).get("job") == key:
                return str(message["ts"])
        return None
