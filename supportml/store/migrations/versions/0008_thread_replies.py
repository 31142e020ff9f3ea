"""Effort: every human thread reply (who, when, staff or not, length; no text), and each
request's effort derived from them (staff replies, staff people, turns, handling span, staff time).

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
COUNTS = ("staff_replies", "staff_people", "turns")


def upgrade() -> None:
    op.create_table(
        "thread_replies",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("request_id", ID, nullable=False),
        sa.Column("workspace", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("ts", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=True),
        sa.Column("is_staff", sa.Boolean(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            ondelete="CASCADE",
            name=op.f("fk_thread_replies_request_id_requests"),
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thread_replies")),
        sa.UniqueConstraint("workspace", "channel", "ts", name="uq_thread_replies_message"),
    )
    op.create_index("ix_thread_replies_request_id", "thread_replies", ["request_id"])
    with op.batch_alter_table("requests") as batch:
        for name in COUNTS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("handling_seconds", sa.Float(), nullable=True))
        batch.add_column(sa.Column("staff_seconds", sa.Float(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        for name in (*COUNTS, "handling_seconds", "staff_seconds"):
            batch.drop_column(name)
    op.drop_index("ix_thread_replies_request_id", table_name="thread_replies")
    op.drop_table("thread_replies")
