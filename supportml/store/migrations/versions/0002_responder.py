"""Responder: the bot's reply per request, messages seen in support channels, daily nudges.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 12:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("reply_ts", sa.String(), nullable=True))
    op.create_table(
        "seen_messages",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("ts", sa.String(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seen_messages")),
        sa.UniqueConstraint("workspace", "channel", "ts", name="uq_seen_messages_message"),
    )
    op.create_index("ix_seen_messages_seen_at", "seen_messages", ["seen_at"])
    op.create_table(
        "nudges",
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("user", "day", name=op.f("pk_nudges")),
    )


def downgrade() -> None:
    op.drop_table("nudges")
    op.drop_index("ix_seen_messages_seen_at", table_name="seen_messages")
    op.drop_table("seen_messages")
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("reply_ts")
