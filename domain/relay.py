"""Relaying the conversation between the support thread and the requester's DM thread.

A message in the thread of an escalation's support-channel message goes to the requester's DM
thread, and a message in that DM thread goes back to the support thread, each as a job (the
Slack side posts it, marked with who wrote it). Slack retries an event it got no timely answer
for, with the same event id: the id is remembered in the same transaction as the relay, so a
retry, even one arriving while the first is being handled, relays nothing. Nothing is relayed
from a thread that is not an escalation's. Every relayed message is audited with its text.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.escalation_records import Thread
from domain.escalations import ESCALATION_RELAY
from domain.ports import UnitOfWorkFactory
from domain.records import AuditEntry, request_ref

AUDITED_TEXT = 4000
"""Characters of a relayed message the audit log keeps (Slack's messages may be ten times that)."""
RELAYED, DUPLICATE, NOT_ESCALATION = "relayed", "duplicate", "not_an_escalation"


@dataclass(frozen=True)
class ThreadMessage:
    """A person's message in a thread, as the Events API delivered it."""

    event_id: str
    channel: str
    thread_ts: str
    ts: str
    author: str
    text: str


class Relay:
    def __init__(self, unit_of_work: UnitOfWorkFactory) -> None:
        self._uow = unit_of_work

    async def relay(self, message: ThreadMessage) -> str:
        """Relay ``message`` if its thread is an escalation's: RELAYED, DUPLICATE (seen before) or
        NOT_ESCALATION."""
        async with self._uow() as uow:
            if not await uow.seen_events.first_time(message.event_id, uow.now()):
                return DUPLICATE
            escalation = await uow.escalations.by_thread(message.channel, message.thread_ts)
            if escalation is None:
                return NOT_ESCALATION
            from_support = escalation.support_post == Thread(message.channel, message.thread_ts)
            if not from_support and message.author != escalation.requester_id:
                return NOT_ESCALATION  # only the requester talks in their DM with the bot
            to = "requester" if from_support else "support"
            uow.enqueue(ESCALATION_RELAY, escalation.request_id, {
                "escalation": escalation.id, "to": to, "author": message.author, "text": message.text})
            uow.audit(AuditEntry("relayed", "ok", message.author,
                                 request_ref(escalation.request_id) if escalation.request_id else None,
                                 {"escalation": escalation.ref, "to": to, "channel": message.channel,
                                  "ts": message.ts, "chars": len(message.text),
                                  "text": message.text[:AUDITED_TEXT]}))
            return RELAYED
