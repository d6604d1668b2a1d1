"""Finished jobs are purged after a retention: an index to find them by status and age, and a
one-row-per-chore table whose due time lets exactly one process take each run of the purge.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_finished", ["status", "done_at"], unique=False)
    chores = op.create_table(
        "job_chores",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(chores, [{"name": "purge", "due_at": datetime(2000, 1, 1, tzinfo=UTC)}])


def downgrade() -> None:
    op.drop_table("job_chores")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_finished")
