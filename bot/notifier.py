"""Turns outbox jobs into Slack calls, rendering from the request's state at delivery time."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import Message
from bot.messages.approval import approval_message
from bot.messages.requester import decision_update, receipt
from domain import notifications
from storage.records import AuditEntry, DecisionRecord, MessageRecord, OutboxJob, RequestRecord
from storage.unit_of_work import UnitOfWork


@dataclass
class Delivery:
    """What a delivered job leaves behind: messages to remember and events to audit."""

    messages: list[MessageRecord] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)


@dataclass(frozen=True)
class Snapshot:
    request: RequestRecord
    decisions: list[DecisionRecord]
    approval_messages: list[MessageRecord]


class SlackNotifier:
    def __init__(self, client: AsyncWebClient, unit_of_work: Callable[[], UnitOfWork]) -> None:
        self._client = client
        self._uow = unit_of_work
        self._dm_channels: dict[str, str] = {}
        self._handlers: dict[str, Callable[[Snapshot, OutboxJob], Awaitable[Delivery]]] = {
            notifications.REQUESTER_RECEIPT: self._receipt,
            notifications.APPROVER_ASK: self._ask,
            notifications.APPROVER_REFRESH: self._refresh,
            notifications.REQUESTER_UPDATE: self._update,
        }

    async def deliver(self, job: OutboxJob) -> Delivery:
        """Perform ``job``; raises on Slack or network errors so the worker can retry."""
        handler = self._handlers.get(job.kind)
        if handler is None:
            raise ValueError(f"unknown outbox job kind {job.kind!r}")
        snapshot = await self._snapshot(job)
        return Delivery() if snapshot is None else await handler(snapshot, job)

    async def _snapshot(self, job: OutboxJob) -> Snapshot | None:
        if job.request_id is None:
            return None
        async with self._uow() as uow:
            request = await uow.requests.get(job.request_id)
            if request is None:
                return None
            decisions = await uow.requests.decisions(request.id)
            step = job.payload.get("step")
            approval = await uow.requests.messages(request.id, "approval", step if isinstance(step, int) else None)
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
        if any(m.recipient_id == approver for m in snapshot.approval_messages):
            return Delivery()  # posted before a crash cut the job short; never ask twice
        message = approval_message(snapshot.request, step, snapshot.decisions)
        return await self._post(snapshot, approver, "approval", step, message)

    async def _update(self, snapshot: Snapshot, job: OutboxJob) -> Delivery:
        step, verdict, by = int(job.payload["step"]), str(job.payload["verdict"]), str(job.payload["by"])
        message = decision_update(snapshot.request, step, verdict, by, snapshot.decisions)
        return await self._post(snapshot, snapshot.request.requester_id, "update", step, message)

    async def _refresh(self, snapshot: Snapshot, job: OutboxJob) -> Delivery:
        """Redraw every approver DM of the step; chat.update is idempotent, so retries are safe."""
        message = approval_message(snapshot.request, int(job.payload["step"]), snapshot.decisions)
        await asyncio.gather(*(
            self._client.chat_update(channel=m.channel, ts=m.ts, text=message.text, blocks=message.blocks_json())
            for m in snapshot.approval_messages
        ))
        details = {"step": job.payload["step"], "messages": len(snapshot.approval_messages)}
        return Delivery([], [AuditEntry("messages_updated", "ok", None, snapshot.request.ref, details)])
