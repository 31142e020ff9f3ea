"""SQLite: covering indexes on expressions for the report's largest GROUP BYs.

SQLite aggregates a GROUP BY by sorting every row unless an index already yields the rows in
group order; sorting a million requests took about 1-2 s per query. With these, the report's
three largest GROUP BYs read an index in order instead: the staff time per (UTC day, topic,
assigned team), range-searched by the day; the handling spans per (topic, assigned team, whole
minute); and the volume cube per stored dimension (`report.kpis._Builder.volume_cube`). The
report's queries spell the same expressions (`report.kpis._day`, `_minutes`, literal arguments
included: a bound parameter would not match); tests/report/test_report_effort.py checks the
plans.

PostgreSQL aggregates with hash tables and gets none (a timestamptz has no substr either).
SQLite cannot reflect expression indexes, so a batch migration that rebuilds `requests` would
drop these: create them again after one.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 19:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_requests_effort_by_day": "substr(created_at, 1, 10), final_topic, assigned_team, "
    "deleted, created_at, staff_replies, staff_seconds, resolution",
    "ix_requests_handling_minute": "final_topic, assigned_team, "
    "CAST(handling_seconds / 60 AS INTEGER), deleted, created_at, staff_replies, handling_seconds",
    "ix_requests_volume": "final_topic, label_source, requester_team, assigned_team, source, "
    "channel, docs_holdout, predicted_topic IS NOT NULL, import_run_id IS NULL, deleted, "
    "created_at, resolution, resolved_at, predicted_topic, import_run_id",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON requests ({columns})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
