"""Nothing acknowledged is lost, no reply is posted twice, and hostile HTTP gets a short answer.

Store before ack (the inbox), reply claims with a lease, the ambiguous timeout, and the HTTP
front's limits, on SQLite and PostgreSQL where a store is involved.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import socket
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, func, select

from supportml.slack import server as front
from supportml.slack.app import WebPort
from supportml.slack.client import web_client
from supportml.slack.handlers import Responder
from supportml.store import transaction
from supportml.store.models import InboxEvent
from supportml.store.repository import claim_reply
from tests.slack.conftest import SECRET, Harness, envelope, interaction, message, sign
from tests.slack.stored import request, requests

CLEAR = "okta sso access denied, can someone grant me a role?"
LATER = timedelta(minutes=3)  # past the default lease of two minutes


def inbox_size(harness: Harness) -> int:
    with transaction(harness.engine) as session:
        return int(session.scalar(select(func.count()).select_from(InboxEvent)) or 0)


def another_process(harness: Harness, ahead: timedelta = LATER, **port: Any) -> Responder:
    """A second responder on the same store, its clock ``ahead`` (a lease has expired)."""
    old = harness.responder
    slack = WebPort(web_client("xoxb-test-token", harness.slack.base_url, **port))
    config = replace(old.config, catch_up=timedelta(hours=3))  # test messages are an hour old
    return Responder(
        old.engine, old.suggester, config, slack, old.own_ids,
        now=lambda: datetime.now(UTC) + ahead,
    )  # fmt: skip


def thread(harness: Harness, ts: str) -> list[dict[str, Any]]:
    return harness.slack.replies("C0SUPPORT1", ts)


# -- store before ack ------------------------------------------------------------------------------
def test_an_event_stored_by_a_process_killed_before_handling_it_is_answered_once(on_any_store):
    harness = on_any_store
    event = message(CLEAR)
    body = json.loads(envelope(event, "Ev0KILLED1"))
    assert harness.responder.receive(body) is not None  # stored and acked, then the process died
    assert inbox_size(harness) == 1 and requests(harness.engine) == []
    assert harness.responder.drain() == 0  # the dead process's lease still holds
    restarted = another_process(harness)
    assert restarted.drain() == 1
    assert len(thread(harness, event["ts"])) == 1 and inbox_size(harness) == 0
    stored = request(harness.engine, event["ts"])
    assert stored.reply_ts is not None and stored.text == CLEAR
    assert harness.event(event, event_id="Ev0KILLED1") == 200  # a late retry changes nothing
    harness.settle()
    assert len(thread(harness, event["ts"])) == 1 and inbox_size(harness) == 0


def test_the_inbox_keeps_only_what_is_read_and_redacted(harness):
    event = message(
        "mail jane.doe@agency.gov about okta", blocks=[{"type": "rich_text"}],
        previous_message={"text": "old"}, user_profile={"real_name": "Jane"},
    )  # fmt: skip
    harness.responder.receive(json.loads(envelope(event, "Ev0SMALL01")))
    with transaction(harness.engine) as session:
        payload = session.scalars(select(InboxEvent.payload)).one()
    assert "jane.doe@agency.gov" not in json.dumps(payload)
    assert set(payload) == {"type", "channel", "user", "text", "ts", "event_ts"}


def test_an_unreachable_store_refuses_events_and_a_retry_is_answered(on_any_store, caplog):
    harness = on_any_store
    engine, event = harness.responder.engine, message(CLEAR)
    harness.responder.engine = create_engine("postgresql+psycopg://x@127.0.0.1:9/none")
    try:
        assert harness.event(event, event_id="Ev0NOSTORE") == 503  # not acked: Slack retries
        ready = harness.url.replace(front.EVENTS_PATH, front.READY_PATH)
        assert urlopen_status(ready) == 503
        assert urlopen_status(harness.url.replace(front.EVENTS_PATH, "/livez")) == 200
    finally:
        harness.responder.engine = engine
    harness.settle()
    assert requests(engine) == [] and harness.slack.of("chat.postMessage") == []
    assert harness.event(event, event_id="Ev0NOSTORE", **{"X-Slack-Retry-Num": "1"}) == 200
    harness.settle()
    assert len(thread(harness, event["ts"])) == 1 and inbox_size(harness) == 0
    assert "Traceback" not in caplog.text


def urlopen_status(url: str) -> int:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    connection.request("GET", parts.path)
    return connection.getresponse().status


# -- reply claims ----------------------------------------------------------------------------------
def stored_unanswered(harness: Harness) -> tuple[str, int]:
    """A request stored with no reply (recorded by a process that posts nothing)."""
    silent = replace(harness.responder.config, shadow=True)
    shadow = Responder(harness.engine, harness.responder.suggester, silent, None)
    event = message(CLEAR)
    outcome = shadow.handle_event(event, "T0SYNTH01", None)
    assert outcome.request_id is not None
    return event["ts"], outcome.request_id


def claimed_then_died(harness: Harness) -> tuple[str, int]:
    """A request stored and claimed by a process that died before recording its reply."""
    ts, request_id = stored_unanswered(harness)
    with transaction(harness.engine) as session:
        assert claim_reply(session, request_id, "dead:1", datetime.now(UTC),
                           timedelta(minutes=2)) is not None  # fmt: skip
    return ts, request_id


def test_an_expired_claim_is_retried_by_the_catch_up(on_any_store):
    harness = on_any_store
    ts, _ = claimed_then_died(harness)
    assert harness.responder.catch_up() == 0  # the claim is live: someone may be posting
    assert another_process(harness).catch_up() == 1
    (reply,) = thread(harness, ts)
    assert request(harness.engine, ts).reply_ts == reply["ts"]
    assert len(harness.slack.of("conversations.replies")) == 1  # looked before posting
    assert another_process(harness, 2 * LATER).catch_up() == 0


def test_an_ambiguous_timeout_adopts_the_reply_slack_posted(on_any_store, caplog):
    harness = on_any_store
    caplog.set_level(logging.INFO, logger="supportml.slack")
    ts, request_id = stored_unanswered(harness)
    impatient = another_process(harness, timedelta(0), timeout=1)
    harness.slack.late_next("chat.postMessage", 2.5)  # posted, answered after the client gave up
    with pytest.raises(TimeoutError):
        impatient.catch_up()
    assert len(thread(harness, ts)) == 1 and request(harness.engine, ts).reply_ts is None
    assert impatient.catch_up() == 0  # its own claim is live until it expires
    assert another_process(harness).catch_up() == 1  # expired: looks in the thread, adopts
    (reply,) = thread(harness, ts)
    assert reply["metadata"] == {"event_type": "supportml_reply",
                                 "event_payload": {"request_id": request_id}}  # fmt: skip
    assert request(harness.engine, ts).reply_ts == reply["ts"]
    assert len(harness.slack.of("chat.postMessage")) == 1
    assert "adopted the reply already in its thread" in caplog.text


class Killed(BaseException):
    """SIGKILL in the middle of a call: nothing after it runs, no handler catches it."""


class DiesAfterPosting(WebPort):
    """A Web API port whose process is killed right after Slack took its post."""

    def post(self, *args: Any, **kwargs: Any) -> str:
        super().post(*args, **kwargs)
        raise Killed


@pytest.mark.parametrize("first", ["drain", "catch_up"])
def test_a_process_killed_between_post_and_record_is_adopted_not_reposted(on_any_store, first):
    harness = on_any_store
    old = harness.responder
    dying = Responder(old.engine, old.suggester, old.config,
                      DiesAfterPosting(web_client("xoxb-test-token", harness.slack.base_url)),
                      old.own_ids)  # fmt: skip
    event = message(CLEAR)
    inbox_id = dying.receive(json.loads(envelope(event, "Ev0POSTED1")))  # acked
    assert inbox_id is not None
    with pytest.raises(Killed):
        dying.handle_stored(inbox_id)
    (posted,) = thread(harness, event["ts"])
    assert request(harness.engine, event["ts"]).reply_ts is None and inbox_size(harness) == 1
    restarted = another_process(harness, timedelta(0))
    assert restarted.catch_up() == 0 and restarted.drain() == 0  # the dead leases still hold
    restarted = another_process(harness)  # both leases expired
    assert getattr(restarted, first)() == 1  # looked in the thread, found its reply
    restarted.drain(), restarted.catch_up()  # whichever did not run yet: nothing to post
    assert thread(harness, event["ts"]) == [posted] and inbox_size(harness) == 0
    assert request(harness.engine, event["ts"]).reply_ts == posted["ts"]
    assert len(harness.slack.of("chat.postMessage")) == 1


# -- the HTTP front --------------------------------------------------------------------------------
def raw_post(harness: Harness, body: bytes, headers: dict[str, str]) -> int:
    parts = urlsplit(harness.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("POST", parts.path, body=body, headers=headers)
    return connection.getresponse().status


def test_an_oversized_body_is_refused_before_it_is_read(harness):
    big = b"x" * (front.MAX_BODY + 1)
    assert raw_post(harness, big, {"Content-Type": "application/json"}) == 413
    parts = urlsplit(harness.url)  # chunked: counted while read
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    chunks = (b"y" * 65536 for _ in range(20))
    connection.request("POST", parts.path, body=chunks, encode_chunked=True)
    assert connection.getresponse().status == 413
    assert requests(harness.engine) == []


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"\xff\xfe{not utf-8}", "application/json"),
        (b'{"type": "event_callback", "event": ', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (interaction({"type": "x"})[:-5].encode(), "application/x-www-form-urlencoded"),
    ],
    ids=["not-utf8", "truncated-json", "json-array", "bad-form-payload"],
)
def test_a_malformed_signed_body_gets_400_and_no_traceback(harness, caplog, body, kind):
    caplog.set_level(logging.DEBUG)
    stamp = sign("")["X-Slack-Request-Timestamp"]
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body,
                      hashlib.sha256).hexdigest()  # fmt: skip
    headers = {"Content-Type": kind, "X-Slack-Request-Timestamp": stamp,
               "X-Slack-Signature": f"v0={digest}"}  # fmt: skip
    assert raw_post(harness, body, headers) == 400
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)
    unsigned = raw_post(harness, body, {"Content-Type": kind})  # unsigned: not even parsed
    assert unsigned == (400 if body.startswith(b"\xff") else 401)


def test_slow_clients_are_cut_off(harness, monkeypatch):
    monkeypatch.setattr(front, "HEADER_SECONDS", 0.5)
    monkeypatch.setattr(front, "BODY_SECONDS", 0.5)
    parts = urlsplit(harness.url)
    idle = socket.create_connection((parts.hostname, parts.port), timeout=5)
    started = time.monotonic()
    assert idle.recv(1) == b""  # closed without a request line
    assert time.monotonic() - started < 3
    slow = socket.create_connection((parts.hostname, parts.port), timeout=5)
    slow.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    assert slow.recv(100).startswith(b"HTTP/1.1 408")


def test_error_logs_are_rate_limited():
    limited, records = front.RateLimited(burst=3, seconds=60), []
    for n in range(50):
        record = logging.LogRecord("x", logging.WARNING, "f", 1, "refused (%d)", (n,), None)
        if limited.filter(record):
            records.append(record)
    assert len(records) == 3


class _Envelopes:
    """What Bolt's Socket Mode handler acks through (records the acks)."""

    logger = logging.getLogger("tests.socket_mode")

    def __init__(self) -> None:
        self.acked: list[str] = []

    def send_socket_mode_response(self, response: Any) -> None:
        self.acked.append(response.envelope_id)


def test_socket_mode_does_not_ack_an_envelope_the_store_refused(harness):
    from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
    from slack_sdk.socket_mode.request import SocketModeRequest

    event = message(CLEAR)
    payload = json.loads(envelope(event, "Ev0SOCKET9"))
    envelopes, engine = _Envelopes(), harness.responder.engine

    def deliver(envelope_id: str) -> None:
        request = SocketModeRequest("events_api", envelope_id, payload)
        send_response(envelopes, request, run_bolt_app(harness.app, request), time.time())  # type: ignore[arg-type]

    harness.responder.engine = create_engine("postgresql+psycopg://x@127.0.0.1:9/none")
    try:
        deliver("env-refused")
    finally:
        harness.responder.engine = engine
    assert envelopes.acked == [] and requests(engine) == []  # Slack redelivers it
    deliver("env-again")
    harness.settle()
    assert envelopes.acked == ["env-again"] and len(thread(harness, event["ts"])) == 1
