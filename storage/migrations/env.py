"""Alembic environment. Runs on the connection handed in by ``storage.migrate`` (which owns
the async engine); ``alembic`` on the command line is not needed to operate selfserve."""

from __future__ import annotations

from alembic import context

from storage.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
