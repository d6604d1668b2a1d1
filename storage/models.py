"""Relational schema. Changes go through an Alembic migration in ``storage/migrations``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores naive text, so we normalise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use datetime.now(timezone.utc)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


def table_of(model: type[Base]) -> Table:
    """The Core table behind ``model`` (typed as a ``Table``, which ``__table__`` is not)."""
    return Base.metadata.tables[model.__tablename__]


class RequestRow(Base):
    """A request for a catalog action, with a snapshot of the policy it was made under."""

    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[str] = mapped_column(String(40))
    action_title: Mapped[str] = mapped_column(String(200))
    requester_id: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    current_step: Mapped[int] = mapped_column(Integer, default=0)
    steps: Mapped[list[Any]] = mapped_column(JSON)
    allow_self_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    answers: Mapped[list[Any]] = mapped_column(JSON)
    catalog_fingerprint: Mapped[str] = mapped_column(String(64))
    source_view_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    escalated: Mapped[bool] = mapped_column(Boolean, server_default=false())
    """Whether it was ever escalated (set with its first escalation, under the row's lock). No
    Python-side default: an insert by storage.driver leaves the column to the database."""


class DecisionRow(Base):
    """One approver's verdict on one step; the unique key makes double clicks harmless."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("request_id", "step", "approver_id", name="uq_decision_per_approver"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    approver_id: Mapped[str] = mapped_column(String(32))
    verdict: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)
    """What the approver wrote for whom they handed the step to (hand-overs only)."""


class SlackMessageRow(Base):
    """Every message the bot posted about a request, so it can be updated later."""

    __tablename__ = "slack_messages"
    __table_args__ = (
        UniqueConstraint("channel", "ts", name="uq_slack_message"),
        Index("ix_slack_messages_request_step", "request_id", "step"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    step: Mapped[int | None] = mapped_column(Integer)
    recipient_id: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class JobRow(Base):
    """Durable work: Slack deliveries now, webhooks and timers later.

    Written in the same transaction as the change that caused it, so a crash after the commit
    can delay the work but never lose it. ``due_at`` holds a job until its time (a timer, or a
    retry's backoff); ``lease_until`` lets several processes share the table: a worker claims a
    job by moving its lease forward and counting an attempt, and ``attempts`` then fences the
    claim (an outcome is recorded only if nobody claimed the job since). ``key`` is the job's
    idempotency key, handed to the outside system so a retry can find an earlier attempt's effect.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "due_at"), Index("ix_jobs_finished", "status", "done_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(48))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    throttled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # attempts a rate limit cut short
    due_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    owner: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class JobChoreRow(Base):
    """When the engine's next run of a chore (the purge of finished jobs) is due: the process
    that moves ``due_at`` forward runs it, so one process takes each run."""

    __tablename__ = "job_chores"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    due_at: Mapped[datetime]


class AuditEventRow(Base):
    """One link of the tamper-evident chain; ``id`` is the gap-free sequence number."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_request_ref", "request_ref", "id"),
                      Index("ix_audit_events_kind_time", "kind", "occurred_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str | None] = mapped_column(String(64))
    request_ref: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(48))
    outcome: Mapped[str] = mapped_column(String(16))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The chain's tip. Appenders lock this single row, which serialises them across processes
    and lets ``audit verify`` notice events removed from the end."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


class AwayRow(Base):
    """Someone away (``/selfserve away``): their approval steps go to ``stand_in`` meanwhile."""

    __tablename__ = "away"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    stand_in: Mapped[str] = mapped_column(String(32))
    until: Mapped[datetime | None]
    created_at: Mapped[datetime]


class HomeViewerRow(Base):
    """Someone who opened their App Home tab, and when they last did (``domain.surfaces``)."""

    __tablename__ = "home_viewers"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    opened_at: Mapped[datetime]


class FeedbackRow(Base):
    """The requester's answer to "Did this get you what you needed?": one per request (its key)."""

    __tablename__ = "feedback"

    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True,
                                            autoincrement=False)
    action_id: Mapped[str] = mapped_column(String(40))
    requester_id: Mapped[str] = mapped_column(String(32))
    rating: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)


class FeedbackOptOutRow(Base):
    """Someone who said ``/selfserve feedback off``: they are not asked any more."""

    __tablename__ = "feedback_optout"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime]

class FulfilmentPlanRow(Base):
    """What a request's approval sets in motion (the action's fulfilment keys when it was made),
    and its time-bound access once granted (``domain.fulfilment``)."""

    __tablename__ = "fulfilment_plans"

    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    granted_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(32))


class FulfilmentStepRow(Base):
    """One fulfilment step of a request and how it went (its last attempt's detail, secrets masked)."""

    __tablename__ = "fulfilment_steps"
    __table_args__ = (UniqueConstraint("request_id", "phase", "idx", name="uq_fulfilment_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    phase: Mapped[str] = mapped_column(String(16))
    idx: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

class ServiceLevelRow(Base):
    """A request's service-level clock (``domain.records.Deadline``): one per step that waited
    under an ``sla``, and one for the whole request."""

    __tablename__ = "service_levels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(16))
    step: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime | None]
    started_at: Mapped[datetime]
    breached_at: Mapped[datetime | None]
    reminders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class EscalationRow(Base):
    """A request (or a question) handed to support staff (``domain.escalations``).

    ``open_key`` is the request id while the escalation is not resolved, NULL otherwise: its
    unique index allows one open escalation per request however many processes escalate it."""

    __tablename__ = "escalations"
    __table_args__ = (
        Index("ix_escalations_support_post", "support_channel", "support_ts"),
        Index("ix_escalations_requester_post", "requester_channel", "requester_ts"),
        Index("ix_escalations_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    open_key: Mapped[int | None] = mapped_column(Integer, unique=True)
    requester_id: Mapped[str] = mapped_column(String(32))
    opened_by: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(64))
    words: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    history: Mapped[list[Any]] = mapped_column(JSON)
    support_channel: Mapped[str | None] = mapped_column(String(32))
    support_ts: Mapped[str | None] = mapped_column(String(32))
    requester_channel: Mapped[str | None] = mapped_column(String(32))
    requester_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class SeenEventRow(Base):
    """An Events API delivery already processed: a retry of it (same event id) is not."""

    __tablename__ = "seen_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)
