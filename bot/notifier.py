"""Turns outbox jobs into Slack calls, rendering from the request's state at delivery time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import Message
from bot.messages.approval import approval_message
from bot.messages.requester import decision_update, receipt, stuck
from domain import notifications
from domain.records import AuditEntry, DecisionRecord, MessageRecord, OutboxJob, RequestRecord
from storage.unit_of_work import UnitOfWork


@dataclass
class Delivery:
    """What a delivered job leaves behind: messages to remember and events to audit."""

    messages: list[MessageRecord] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)


Outcome = tuple[OutboxJob, Delivery | Exception]


@dataclass(frozen=True)
class Snapshot:
    """A request as one job group renders it: read once, then extended with what it posts."""

    request: RequestRecord
    decisions: list[DecisionRecord]
    approval_messages: list[MessageRecord]
    rendered: dict[int, Message] = field(default_factory=dict, compare=False)  # shared by `after` copies

    def approval(self, step: int) -> Message:
        """The approval DM of ``step`` as of this snapshot, rendered once for all its recipients."""
        if step not in self.rendered:
            self.rendered[step] = approval_message(self.request, step, self.decisions)
        return self.rendered[step]

    def approvals_of(self, step: int) -> list[MessageRecord]:
        return [m for m in self.approval_messages if m.step == step]

    def after(self, delivery: Delivery) -> Snapshot:
        posted = [m for m in delivery.messages if m.purpose == "approval"]
        return replace(self, approval_messages=[*self.approval_messages, *posted]) if posted else self


class SlackNotifier:
    def __init__(self, client: AsyncWebClient, reader: Callable[[], UnitOfWork]) -> None:
        self._client = client
        self._reader = reader
        self._dm_channels: dict[str, str] = {}
        self._handlers: dict[str, Callable[[Snapshot, OutboxJob], Awaitable[Delivery]]] = {
            notifications.REQUESTER_RECEIPT: self._receipt,
            notifications.APPROVER_ASK: self._ask,
            notifications.APPROVER_REFRESH: self._refresh,
            notifications.REQUESTER_UPDATE: self._update,
            notifications.REQUESTER_STUCK: self._stuck,
        }

    async def deliver(self, jobs: Sequence[OutboxJob]) -> list[Outcome]:
        """Perform one request's jobs in order, rendered from one read of its state.

        Reading once per group rather than per job is safe because every later change to
        the request queues its own job; messages posted by earlier jobs of the group are
        added to the snapshot. Slack or network errors are returned per job, for retry.
        """
        try:
            snapshot = await self._snapshot(jobs[0].request_id)
        except Exception as error:
            return [(job, error) for job in jobs]
        outcomes: list[Outcome] = []
        for job in jobs:
            try:
                delivery = await self._deliver_one(job, snapshot)
            except Exception as error:
                outcomes.append((job, error))
                continue
            outcomes.append((job, delivery))
            snapshot = snapshot.after(delivery) if snapshot else None
        return outcomes

    async def _deliver_one(self, job: OutboxJob, snapshot: Snapshot | None) -> Delivery:
        handler = self._handlers.get(job.kind)
        if handler is None:
            raise ValueError(f"unknown outbox job kind {job.kind!r}")
        return Delivery() if snapshot is None else await handler(snapshot, job)

    async def _snapshot(self, request_id: int | None) -> Snapshot | None:
        if request_id is None:
            return None
        async with self._reader() as uow:
            request = await uow.requests.get(request_id)
            if request is None:
                return None
            decisions = await uow.requests.decisions(request.id)
            approval = await uow.requests.messages(request.id, "approval")
            return Snapshot(request, decisions, approval)

    async def dm_channel(self, user_id: str) -> str:
        """The bot's DM channel with ``user_id``, opened once and remembered."""
        if user_id not in self._dm_channels:
            response = await self._client.conversations_open(users=user_id)
            self._dm_channels[user_id] = response["channel"]["id"]
        return self._dm_channels[user_id]

    async def _post(self, snapshot: Snapshot, recipient: str, purpose: str, step: int | None,
                    message: Message) -> Delivery:
        channel = await self.dm_channel(recipient)
        response = await self._client.chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks_json(), unfurl_links=False, unfurl_media=False
        )
        ref = snapshot.request.ref
        posted = MessageRecord(snapshot.request.id, purpose, step, recipient, response["channel"], response["ts"])
        details = {"purpose": purpose, "recipient": recipient, "channel": posted.channel, "ts": posted.ts}
        return Delivery([posted], [AuditEntry("message_sent", "ok", None, ref, details)])

    async def _receipt(self, snapshot: Snapshot, job: OutboxJob) -> Delivery:
        request = snapshot.request
        return await self._post(snapshot, request.requester_id, "receipt", None, receipt(request))

    async def _ask(self, snapshot: Snapshot, job: OutboxJob) -> Delivery:
        step, approver = int(job.payload["step"]), str(job.payload["approver"])
        if any(m.recipient_id == approver for m in snapshot.approvals_of(step)):
            return Delivery()  # posted before a crash cut the job short; never ask twice
        return await self._post(snapshot, approver, "approval", step, snapshot.approval(step))

    async def _update(self, snapshot: Snapshot, job: OutboxJob) -> Delivery:
        step, verdict, by = int(job.payload["step"]), str(job.payload["verdict"]), str(job.payload["by"])
        message = decision_update(snapshot.request, step, verdict, by, snapshot.decisions)
        return await self._post(snapshot, snapshot.request.requester_id, "update", step, message)

    async def _stuck(self, snapshot: Snapshot, job: OutboxJob) -> Delivery:
        step, eligible = int(job.payload["step"]), int(job.payload["eligible"])
        message = stuck(snapshot.request, step, eligible)
        return await self._post(snapshot, snapshot.request.requester_id, "stuck", step, message)

    async def _refresh(self, snapshot: Snapshot, job: OutboxJob) -> Delivery:
        """Redraw every approver DM of the step; chat.update is idempotent, so retries are safe."""
        step = int(job.payload["step"])
        message = snapshot.approval(step)
        messages = snapshot.approvals_of(step)
        await asyncio.gather(*(
            self._client.chat_update(channel=m.channel, ts=m.ts, text=message.text, blocks=message.blocks_json())
            for m in messages
        ))
        details = {"step": step, "messages": len(messages)}
        return Delivery([], [AuditEntry("messages_updated", "ok", None, snapshot.request.ref, details)])
