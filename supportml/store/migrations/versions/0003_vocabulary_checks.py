"""Closed vocabularies: CHECK constraints on source, label source, status, resolution, feedback.

The conditions come from `supportml.vocabulary` (the rule is written once); a later change to a
vocabulary needs its own migration that drops and recreates that column's constraint.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 12:45:00
"""

from __future__ import annotations

from alembic import op

from supportml.vocabulary import COLUMNS, check

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column, vocabulary in columns.items():
                batch.create_check_constraint(
                    op.f(f"ck_{table}_{column}"), check(column, vocabulary)
                )


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
