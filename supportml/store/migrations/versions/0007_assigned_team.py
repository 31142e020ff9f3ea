"""Ownership: the team a request is assigned to, who was told, who moved it; the feedback log's
previous value (a reassignment records where it came from).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("assigned_team", sa.String(), nullable=True))
        batch.add_column(sa.Column("assigned_to", sa.String(), nullable=True))
        batch.add_column(sa.Column("assigned_by", sa.String(), nullable=True))
        batch.create_index("ix_requests_assigned_team", ["assigned_team"])
    with op.batch_alter_table("feedback_events") as batch:
        batch.add_column(sa.Column("previous", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback_events") as batch:
        batch.drop_column("previous")
    with op.batch_alter_table("requests") as batch:
        batch.drop_index("ix_requests_assigned_team")
        batch.drop_column("assigned_by")
        batch.drop_column("assigned_to")
        batch.drop_column("assigned_team")
