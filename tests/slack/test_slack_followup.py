"""The live follow-up against the local Slack stand-in: one reminder per request, in its thread,
across restarts, crashes and two replicas racing on PostgreSQL; quiet hours hold it back; the
escalation goes to its channel once, after the reminder."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from supportml.business_time import BusinessHours
from supportml.followup import Policy, QuietHours
from supportml.slack.app import WebPort, follow_up_every
from supportml.slack.client import web_client
from supportml.slack.followup import FollowUps, metadata
from supportml.slack.metrics import Metrics
from supportml.store import open_store, transaction
from supportml.store.models import FollowUp, Request
from supportml.store.repository import claim_follow_up, insert_new_requests, record_first_response
from tests.conftest import postgres_schema
from tests.slack.conftest import CHANNEL, HELPER
from tests.slack.fake_slack import FakeSlack

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ESCALATIONS = "C0ESCALATE"
ON_SUPPORT = "U0ONCALL01"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def ts_of(moment: datetime, n: int = 0) -> str:
    return f"{int(moment.timestamp())}.{n:06d}"


def add_requests(engine: Engine, created: datetime, count: int = 1) -> list[str]:
    rows = [
        {"workspace": "T1", "channel": CHANNEL, "ts": ts_of(created, i),
         "thread_ts": ts_of(created, i), "text": "help", "source": "message",
         "created_at": created, "docs_holdout": False, "status": "open", "deleted": False,
         "final_topic": "Access Request", "label_source": "model"}
        for i in range(count)
    ]  # fmt: skip
    with transaction(engine) as session:
        insert_new_requests(session, rows)
    return [r["ts"] for r in rows]


def follow_ups(engine: Engine, slack: FakeSlack, clock: Clock, **policy: Any) -> FollowUps:
    port = WebPort(web_client("xoxb-test-token", slack.base_url, 2))
    return FollowUps(
        engine, port, Policy(**policy), {CHANNEL}, who=lambda topic: ON_SUPPORT,
        escalation_channel=ESCALATIONS, lease=timedelta(minutes=2), now=clock,
    )  # fmt: skip


def posts(slack: FakeSlack) -> list[dict[str, Any]]:
    """What Slack kept (a refused post is recorded as a call, not as a message)."""
    return list(slack.messages)


@pytest.fixture
def store(database_url: str) -> Iterator[Engine]:
    engine = open_store(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def test_one_reminder_in_the_thread_and_a_restart_does_not_repeat_it(
    store: Engine, slack: FakeSlack, database_url: str
) -> None:
    [ts] = add_requests(store, MONDAY_9)
    clock = Clock(MONDAY_9 + timedelta(hours=2, minutes=59))
    first = follow_ups(store, slack, clock)
    assert first.run() == {}  # not yet 3 business hours
    clock.now = MONDAY_9 + timedelta(hours=3)
    assert first.run() == {"reminder": 1}
    [body] = posts(slack)
    assert body["channel"] == CHANNEL and body["thread_ts"] == ts
    assert f"<@{ON_SUPPORT}>" in body["text"] and "3.0 business hours" in body["text"]
    assert first.run() == {}  # the next round
    # a restart: a new process (new owner, new connections) an hour later
    again = open_store(database_url)
    try:
        clock.now += timedelta(hours=1)
        assert follow_ups(again, slack, clock, escalate_after=8).run() == {}
    finally:
        again.dispose()
    assert len(posts(slack)) == 1


def test_answered_or_resolved_requests_get_no_reminder(store: Engine, slack: FakeSlack) -> None:
    answered, resolved = add_requests(store, MONDAY_9, 2)
    with transaction(store) as session:
        ids = {r.ts: r.id for r in session.scalars(select(Request))}
        record_first_response(session, ids[answered], HELPER, MONDAY_9 + timedelta(hours=1))
        session.get(Request, ids[resolved]).status = "resolved"  # type: ignore[union-attr]
    assert follow_ups(store, slack, Clock(MONDAY_9 + timedelta(hours=5))).run() == {}
    assert posts(slack) == []


def test_quiet_hours_hold_the_reminder_until_they_end(store: Engine, slack: FakeSlack) -> None:
    add_requests(store, MONDAY_9 + timedelta(hours=8))  # 17:00, hours until 22:00
    clock = Clock(MONDAY_9 + timedelta(hours=11, minutes=30))  # 20:30: 3.5 business hours
    worker = follow_ups(
        store, slack, clock, hours=BusinessHours(time(8), time(22)),
        quiet=QuietHours(time(19), time(8)),
    )  # fmt: skip
    assert worker.run() == {}
    clock.now = MONDAY_9 + timedelta(hours=23)  # Tuesday 08:00
    assert worker.run() == {"reminder": 1}
    assert len(posts(slack)) == 1


def test_the_escalation_goes_to_its_channel_once_after_the_reminder(
    store: Engine, slack: FakeSlack
) -> None:
    [ts] = add_requests(store, MONDAY_9)
    clock = Clock(MONDAY_9 + timedelta(hours=7))
    worker = follow_ups(store, slack, clock, escalate_after=6)
    assert worker.run() == {"reminder": 1}  # both periods passed: the reminder comes first
    assert worker.run() == {"escalation": 1}
    assert worker.run() == {}
    reminder, escalation = posts(slack)
    assert escalation["channel"] == ESCALATIONS and not escalation.get("thread_ts")
    permalink = f"https://synthetic.slack.com/archives/{CHANNEL}/p{ts.replace('.', '')}"
    assert f"<{permalink}|this request>" in escalation["text"]
    assert "\n" not in escalation["text"] and f"<@{ON_SUPPORT}>" in escalation["text"]


def test_a_crash_after_posting_is_recovered_without_a_second_reminder(
    store: Engine, slack: FakeSlack
) -> None:
    """A process claimed, posted, and died before recording it: once its claim expires, the
    next one finds the reminder in the thread by its metadata and adopts it."""
    [ts] = add_requests(store, MONDAY_9)
    crashed = MONDAY_9 + timedelta(hours=3)
    with transaction(store) as session:
        request_id = session.scalar(select(Request.id))
        claim_follow_up(
            session, request_id, "reminder", "dead:1:abc", crashed, timedelta(minutes=2)
        )
    port = WebPort(web_client("xoxb-test-token", slack.base_url))
    port.post(CHANNEL, "reminder", [], thread_ts=ts, metadata=metadata(request_id, "reminder"))
    clock = Clock(crashed + timedelta(minutes=1))
    worker = follow_ups(store, slack, clock)
    assert worker.run() == {}  # the dead process's claim is still live
    clock.now = crashed + timedelta(minutes=3)
    assert worker.run() == {"reminder": 1}  # adopted, not posted
    assert len(posts(slack)) == 1 and slack.of("conversations.replies")
    with transaction(store) as session:
        row = session.get(FollowUp, (request_id, "reminder"))
        assert row is not None and row.posted_at is not None and row.claimed_by is None
    assert worker.run() == {}


def test_a_post_slack_refused_is_retried_next_round(store: Engine, slack: FakeSlack) -> None:
    add_requests(store, MONDAY_9)
    worker = follow_ups(store, slack, Clock(MONDAY_9 + timedelta(hours=4)))
    slack.error_next("chat.postMessage", "not_in_channel")
    assert worker.run() == {}  # logged; the claim was given back
    assert worker.run() == {"reminder": 1}
    assert len(posts(slack)) == 1


def test_two_replicas_on_postgresql_racing_post_each_reminder_exactly_once(
    slack: FakeSlack,
) -> None:
    with postgres_schema() as url:
        engines = [open_store(url), open_store(url)]
        try:
            add_requests(engines[0], MONDAY_9, 20)
            clock = Clock(MONDAY_9 + timedelta(hours=4))
            workers = [follow_ups(engine, slack, clock) for engine in engines]
            start, results = threading.Barrier(2), [None, None]

            def run(i: int) -> None:
                start.wait()
                results[i] = workers[i].run()  # type: ignore[call-overload]

            threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert sum(r["reminder"] for r in results) == 20  # type: ignore[index]
            threads_posted = [body["thread_ts"] for body in posts(slack)]
            assert len(threads_posted) == 20 == len(set(threads_posted))
        finally:
            for engine in engines:
                engine.dispose()


def test_the_worker_counts_what_it_posted_in_prometheus(store: Engine, slack: FakeSlack) -> None:
    add_requests(store, MONDAY_9, 2)
    metrics, stop = Metrics(), threading.Event()
    worker = follow_ups(store, slack, Clock(MONDAY_9 + timedelta(hours=4)))
    thread = follow_up_every(worker, 0.05, stop, metrics)
    slack.wait_for("chat.postMessage", 2)
    stop.set()
    thread.join(5)
    value = metrics.registry.get_sample_value("supportml_follow_ups_total", {"kind": "reminder"})
    assert value == 2
