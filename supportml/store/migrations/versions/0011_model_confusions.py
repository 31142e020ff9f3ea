"""Model confusions: each model version's out-of-fold confusions on people's labels.

`supportml classify` records the counts its model's card carries (train.out_of_fold_confusion),
so the report corrects the topic shares of the requests that version classified
(supportml.shares) without loading the model.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_confusions",
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("true_topic", sa.String(), nullable=False),
        sa.Column("predicted_topic", sa.String(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "model_version", "true_topic", "predicted_topic", name=op.f("pk_model_confusions")
        ),
    )


def downgrade() -> None:
    op.drop_table("model_confusions")
