"""Follow-ups: one row per reminder or escalation posted (or being posted) about a request.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from supportml.vocabulary import FollowUpKind, check

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "follow_ups",
        sa.Column("request_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("claim_until", WHEN, nullable=True),
        sa.Column("posted_at", WHEN, nullable=True),
        sa.Column("message_ts", sa.String(), nullable=True),
        sa.CheckConstraint(check("kind", FollowUpKind), name=op.f("ck_follow_ups_kind")),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_follow_ups_request_id_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "kind", name=op.f("pk_follow_ups")),
    )  # fmt: skip
    op.create_index("ix_follow_ups_posted_at", "follow_ups", ["posted_at"])


def downgrade() -> None:
    op.drop_index("ix_follow_ups_posted_at", table_name="follow_ups")
    op.drop_table("follow_ups")
