"""The store functions the Slack responder relies on for idempotency, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from supportml.store import transaction
from supportml.store.models import InboxEvent, SeenMessage
from supportml.store.repository import (
    claim_reply,
    done_inbox,
    feedback_history,
    find_request,
    first_nudge_today,
    insert_new_requests,
    is_event_processed,
    lease_inbox,
    log_feedback,
    mark_event_processed,
    put_inbox,
    record_seen,
    release_inbox,
    release_reply,
    set_reply,
    unanswered_requests,
)

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)

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

    def claim(n: int) -> bool:
        with transaction(engine) as session:
            return claim_reply(session, request_id, f"p{n}", NOW, LEASE) is not None

    with ThreadPoolExecutor(max_workers=4) as pool:
        won = list(pool.map(claim, range(8)))
    assert won.count(True) == 1
    with transaction(engine) as session:
        row = find_request(session, "T1", "C1", ROW["ts"])
        assert row.reply_ts is None and row.reply_claim_until == NOW + LEASE
        owner = row.reply_claimed_by
        release_reply(session, request_id, owner)  # Slack said it posted nothing
    with transaction(engine) as session:
        claim = claim_reply(session, request_id, "p9", NOW, LEASE)
        assert claim is not None and not claim.taken_over  # released: nothing to look for
        set_reply(session, request_id, "1772460001.000200")
    with transaction(engine) as session:
        assert claim_reply(session, request_id, "p10", NOW + 2 * LEASE, LEASE) is None
        row = find_request(session, "T1", "C1", ROW["ts"])
        assert row.reply_ts == "1772460001.000200" and row.reply_claimed_by is None


def test_an_expired_reply_claim_is_taken_over_and_caught_up(engine):
    with transaction(engine) as session:
        insert_new_requests(session, [ROW])
        request_id = find_request(session, "T1", "C1", ROW["ts"]).id
        assert claim_reply(session, request_id, "dead", NOW, LEASE) is not None
    since = NOW - timedelta(days=30)
    with transaction(engine) as session:  # a live claim: neither retried nor taken
        assert unanswered_requests(session, ["C1"], since, NOW + LEASE / 2) == []
        assert claim_reply(session, request_id, "other", NOW + LEASE / 2, LEASE) is None
    later = NOW + LEASE + timedelta(seconds=1)
    with transaction(engine) as session:  # the owner died while posting: the catch-up retries
        assert unanswered_requests(session, ["C1"], since, later) == [request_id]
        claim = claim_reply(session, request_id, "other", later, LEASE)
    assert claim is not None and claim.taken_over and claim.owner == "other"


def test_inbox_rows_are_leased_once_and_drained_after_expiry(engine):
    with transaction(engine) as session:
        first = put_inbox(session, "Ev1", "T1", {"type": "message"}, "a", NOW, LEASE)
        assert first is not None
        # a retry while the receiver holds it: not taken again
        assert put_inbox(session, "Ev1", "T1", {"type": "message"}, "b", NOW, LEASE) is None
        assert lease_inbox(session, "b", NOW + LEASE / 2, LEASE) == []

    def lease(n: int) -> list[int]:
        with transaction(engine) as session:
            return [item.id for item in lease_inbox(session, f"r{n}", NOW + 2 * LEASE, LEASE)]

    with ThreadPoolExecutor(max_workers=4) as pool:  # replicas draining a dead one's row
        taken = [ids for ids in pool.map(lease, range(6)) if ids]
    assert taken == [[first]]
    with transaction(engine) as session:
        row = session.get(InboxEvent, first)
        assert row.attempts == 2 and row.lease_owner.startswith("r")
        release_inbox(session, first, row.lease_owner)  # that attempt failed
        # a redelivery of a row nobody holds takes it
        assert put_inbox(session, "Ev1", "T1", {}, "c", NOW + 2 * LEASE, LEASE) == first
        done_inbox(session, first)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(InboxEvent)) == 0


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
