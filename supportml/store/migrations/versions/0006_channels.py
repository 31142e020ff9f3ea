"""Channel names: (workspace, channel id) -> the name people know, filled at import.

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-03 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channels",
        sa.Column("workspace", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("workspace", "channel_id", name=op.f("pk_channels")),
    )


def downgrade() -> None:
    op.drop_table("channels")
