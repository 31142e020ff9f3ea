"""Alembic environment: always run on the connection `supportml.store.db.upgrade` hands over."""

from __future__ import annotations

from alembic import context

from supportml.store.db import VERSION_TABLE
from supportml.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
