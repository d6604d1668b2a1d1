"""The outbox becomes the job table: due times, idempotency keys, owners, cancellation.

Pending outbox rows are copied over (due when they were available, keyed ``outbox-<id>``, with
their attempts and leases), so an upgrade in the middle of an outage loses no DM; finished rows
are history the audit log already holds and are not carried over.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", _WHEN, nullable=False),
        sa.Column("lease_until", _WHEN, nullable=True),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("done_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_due", ["status", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_request_id"), ["request_id"], unique=False)
    key = "'outbox-' || CAST(id AS VARCHAR(20))"
    op.execute(
        "INSERT INTO jobs (kind, key, request_id, payload, status, attempts, due_at, lease_until, last_error,"
        " created_at)"
        f" SELECT kind, {key}, request_id, payload, status, attempts, available_at, lease_until, last_error,"
        " created_at FROM outbox WHERE status = 'pending' ORDER BY id"
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_request_id"))
        batch_op.drop_index("ix_outbox_due")
    op.drop_table("outbox")


def downgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", _WHEN, nullable=False),
        sa.Column("lease_until", _WHEN, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("done_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "available_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_request_id"), ["request_id"], unique=False)
    op.execute(
        "INSERT INTO outbox (kind, request_id, payload, status, attempts, available_at, lease_until, last_error,"
        " created_at) SELECT kind, request_id, payload, status, attempts, due_at, lease_until, last_error,"
        " created_at FROM jobs WHERE status = 'pending' ORDER BY id"
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_request_id"))
        batch_op.drop_index("ix_jobs_due")
    op.drop_table("jobs")
