"""The store functions the Slack responder relies on for idempotency, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import func, select

from supportml.store import transaction
from supportml.store.models import SeenMessage
from supportml.store.repository import (
    PENDING_REPLY,
    claim_reply,
    feedback_history,
    find_request,
    first_nudge_today,
    insert_new_requests,
    is_event_processed,
    log_feedback,
    mark_event_processed,
    record_seen,
    set_reply,
)

ROW = {
    "workspace": "T1",
    "channel": "C1",
    "ts": "1772460000.000100",
    "text": "deploy failed",
    "source": "message",
    "created_at": datetime(2026, 3, 2, 14, 0, tzinfo=UTC),
}


def test_one_reply_claim_wins_even_when_contended(engine):
    with transaction(engine) as session:
        insert_new_requests(session, [ROW])
        request_id = find_request(session, "T1", "C1", ROW["ts"]).id

    def claim(_: int) -> bool:
        with transaction(engine) as session:
            return claim_reply(session, request_id)

    with ThreadPoolExecutor(max_workers=4) as pool:
        won = list(pool.map(claim, range(8)))
    assert won.count(True) == 1
    with transaction(engine) as session:
        assert find_request(session, "T1", "C1", ROW["ts"]).reply_ts == PENDING_REPLY
        set_reply(session, request_id, None)  # the post failed: released for a retry
    with transaction(engine) as session:
        assert claim_reply(session, request_id)
        set_reply(session, request_id, "1772460001.000200")
    with transaction(engine) as session:
        assert not claim_reply(session, request_id)
        assert find_request(session, "T1", "C1", ROW["ts"]).reply_ts == "1772460001.000200"


def test_seen_messages_nudges_events_and_history(engine):
    with transaction(engine) as session:
        for _ in range(3):
            record_seen(session, "T1", "C1", ROW["ts"])
        record_seen(session, "T1", "C1", "1772460002.000100")
        assert session.scalar(select(func.count()).select_from(SeenMessage)) == 2
        assert first_nudge_today(session, "U1", "2026-03-02")
        assert not first_nudge_today(session, "U1", "2026-03-02")
        assert first_nudge_today(session, "U1", "2026-03-03")
        assert first_nudge_today(session, "U2", "2026-03-02")
        assert not is_event_processed(session, "Ev1")
        assert mark_event_processed(session, "Ev1")
        assert is_event_processed(session, "Ev1")
        insert_new_requests(session, [ROW])
        request = find_request(session, "T1", "C1", ROW["ts"])
        log_feedback(session, request, "U1", "confirm", "CI Error")
        log_feedback(session, request, "U2", "resolve")
    with transaction(engine) as session:
        assert feedback_history(session, request.id) == [
            ("confirm", "U1", "CI Error"),
            ("resolve", "U2", None),
        ]
