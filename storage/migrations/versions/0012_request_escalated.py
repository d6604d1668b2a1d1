"""Whether a request was ever escalated, on its row: a change to a request then reads its
escalations (so their support-channel messages follow it) only when it has any, instead of
on every decision. Escalating sets it under the request's row lock; existing escalations set it
here.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both backends: SQLite's batch mode would copy the table and drop the
    # old one, and with foreign keys on that deletes every row that cascades from a request.
    op.add_column("requests", sa.Column("escalated", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE requests SET escalated = TRUE WHERE id IN "
               "(SELECT request_id FROM escalations WHERE request_id IS NOT NULL)")


def downgrade() -> None:
    op.execute("ALTER TABLE requests DROP COLUMN escalated")  # SQLite 3.35+, without a table copy
