"""The note an approver writes when handing a step over, kept with the hand-over so the delegate
and the request's history can show it.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("decisions", sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions") as table:  # SQLite drops a column by copying the table
        table.drop_column("note")
