"""Store before ack: the inbox of received events; reply claims with an owner and an expiry.

A ``reply_ts`` of 'pending' (the old claim marker, left by a process that died while posting)
becomes an expired claim: the catch-up retries it and looks for the reply in the thread first.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-03 13:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"  # no 0004: classify needed no schema change
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("team", sa.String(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", WHEN, nullable=False),
        sa.Column("lease_owner", sa.String(), nullable=True),
        sa.Column("lease_until", WHEN, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_inbox_event_id")),
    )
    op.create_index("ix_inbox_lease_until", "inbox", ["lease_until"])
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("reply_claimed_by", sa.String(), nullable=True))
        batch.add_column(sa.Column("reply_claim_until", WHEN, nullable=True))
    requests = sa.table(
        "requests",
        sa.column("reply_ts", sa.String()),
        sa.column("reply_claimed_by", sa.String()),
        sa.column("reply_claim_until", WHEN),
    )
    op.execute(
        requests.update()
        .where(requests.c.reply_ts == "pending")
        .values(reply_ts=None, reply_claimed_by="migration 0005", reply_claim_until=sa.func.now())
    )


def downgrade() -> None:
    requests = sa.table(
        "requests", sa.column("reply_ts", sa.String()), sa.column("reply_claimed_by", sa.String())
    )
    op.execute(
        requests.update()
        .where(requests.c.reply_ts.is_(None), requests.c.reply_claimed_by.is_not(None))
        .values(reply_ts="pending")
    )
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("reply_claim_until")
        batch.drop_column("reply_claimed_by")
    op.drop_index("ix_inbox_lease_until", table_name="inbox")
    op.drop_table("inbox")
