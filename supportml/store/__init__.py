"""The request store: SQLAlchemy models, repository functions and Alembic migrations."""

from supportml.store.db import (
    StoreError,
    connect,
    current_revision,
    open_store,
    transaction,
    upgrade,
)

__all__ = ["StoreError", "connect", "current_revision", "open_store", "transaction", "upgrade"]
