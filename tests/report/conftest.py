"""A small store whose every KPI was worked out by hand (see the comments on each row).

The period is the week of Monday 2026-03-02 (UTC), business hours Mon–Fri 09:00–17:00 UTC, so the
report is judged at the period's end, Monday 2026-03-09 00:00.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from supportml.store import open_store, transaction
from supportml.store.repository import insert_new_requests
from tests.conftest import migrated

SINCE = datetime(2026, 3, 2, tzinfo=UTC)
UNTIL = datetime(2026, 3, 9, tzinfo=UTC)
_ts = count(1)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def row(created_at: datetime, **columns: Any) -> dict[str, Any]:
    """A requests row with the store's required columns filled in."""
    values = {
        "workspace": "T1",
        "channel": "C1",
        "ts": f"{next(_ts)}.000100",
        "text": "help please",
        "source": "message",
        "created_at": created_at,
        "docs_holdout": False,
        "deleted": False,
        "status": "open",
    }
    values.update(columns)
    return values


def insert(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with transaction(engine) as session:
        insert_new_requests(session, rows)


WEEK = [
    # 1 Mon 10:00: reply after 0.5 h, resolved by a person after 2 h
    row(at(2, 10), first_response_at=at(2, 10, 30), resolved_at=at(2, 12), resolution="human",
        final_topic="CI Error", label_source="human", requester_team="a"),
    # 2 Mon 10:00: reply after 2 h, resolved by docs after 4 h
    row(at(2, 10), first_response_at=at(2, 12), resolved_at=at(2, 14), resolution="docs",
        final_topic="CI Error", label_source="human", requester_team="a"),
    # 3 Tue 16:00: reply Wed 10:00 = 18 h calendar, 2 business hours; never resolved
    row(at(3, 16), first_response_at=at(4, 10), final_topic="Access", label_source="form",
        requester_team="b", channel="C2", permalink="https://example.slack.com/archives/C2/p3"),
    # 4 Fri 16:00 (holdout): reply Mon 12:00 = 68 h calendar, 4 business hours (missed)
    row(at(6, 16), first_response_at=at(9, 12), resolved_at=at(9, 12), resolution="human",
        final_topic="CI Error", label_source="human", requester_team="a", docs_holdout=True),
    # 5 Sat 12:00 (holdout): reply Mon 09:30 = 45.5 h calendar, 0.5 business hours; docs at 46 h
    row(at(7, 12), first_response_at=at(9, 9, 30), resolved_at=at(9, 10), resolution="docs",
        final_topic="Access", label_source="form", requester_team="b", docs_holdout=True),
    # 6 Thu 09:00: nobody answered; 16 business hours waited by Monday: a missed target
    row(at(5, 9), permalink="https://example.slack.com/archives/C1/p6",
        text="<script>alert('lost')</script> is anyone there?"),
    # 7 Sun 20:00: nobody answered yet, but no business hour has passed: left out of the target
    row(at(8, 20)),
    # deleted, the week before (previous period) and the week after: never in this period
    row(at(4, 11), deleted=True, final_topic="CI Error"),
    row(at(25, 11, month=2), final_topic="CI Error", label_source="human", requester_team="a"),
    row(at(9, 10), final_topic="CI Error", label_source="human"),
]  # fmt: skip


@pytest.fixture
def week_store(database_url: str, sqlite_template: Path) -> Iterator[Engine]:
    engine = open_store(migrated(database_url, sqlite_template))
    insert(engine, WEEK)
    yield engine
    engine.dispose()
