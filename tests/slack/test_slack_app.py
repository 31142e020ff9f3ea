"""Signed Slack requests through the real HTTP adapter and App.dispatch, as Bolt tests itself.

Every test asserts on what the local Web API stand-in recorded (method, channel, thread_ts, text,
blocks) and on the store rows. Listeners run after the ack, so tests wait with ``settle()``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from supportml.slack import blocks
from supportml.slack.server import EVENTS_PATH, LIVE_PATHS, READY_PATH
from supportml.store.models import DocSuggestion, FeedbackEvent, Request
from supportml.text import store_text
from tests.slack.conftest import (
    CHANNEL,
    HELPER,
    REQUESTER,
    STAFF,
    STRANGER,
    Harness,
    envelope,
    interaction,
    make_harness,
    message,
    sign,
)
from tests.slack.fake_slack import BOT_ID, BOT_USER, TEAM, FakeSlack
from tests.slack.stored import doc_feedback, feedback, processed, request, requests, rows, seen

CLEAR = "okta sso access denied, can someone grant me a role?"  # Access Request, with a doc link
UNCLEAR = "hello there :wave:"  # the tiny model abstains on it
OKTA = "https://h.example.gov/access/okta"
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


@pytest.fixture
def restartable(trained: Any, slack_api: FakeSlack, tmp_path: Any) -> Iterator[Any]:
    """``start(**config)`` builds a responder process on one SQLite store (several may run)."""
    servers = []

    def start(**config: Any) -> Harness:
        built, server = make_harness(trained, slack_api, f"sqlite:///{tmp_path / 's.db'}", **config)
        servers.append((built, server))
        return built

    yield start
    for built, server in servers:
        server.shutdown()
        server.server_close()
        built.engine.dispose()


def replies(harness: Harness, ts: str | None = None) -> list[dict[str, Any]]:
    """Bodies of chat.postMessage calls (in the thread of ``ts``, when given)."""
    calls = [c.body for c in harness.slack.of("chat.postMessage")]
    return [c for c in calls if ts is None or c.get("thread_ts") == ts]


def ask(harness: Harness, text: str = CLEAR, user: str = REQUESTER, **extra: Any) -> str:
    """Deliver a new message over HTTP and wait for its handling; returns its ts."""
    event = message(text, user=user, **extra)
    assert harness.event(event) == 200
    harness.settle()
    return event["ts"]


# -- new requests ----------------------------------------------------------------------------------
def test_new_message_is_stored_and_answered_in_its_thread(on_any_store, trained):
    harness = on_any_store
    event = message(CLEAR)
    assert harness.event(event, event_id="Ev0NEW0001") == 200
    harness.settle()
    (reply,) = replies(harness)
    assert (reply["channel"], reply["thread_ts"]) == (CHANNEL, event["ts"])
    said = harness.responder.suggester.suggest(CLEAR)  # the shown confidence is the model's own
    assert said.confidence > 0.9
    assert reply["text"] == f"Suggested topic: Access Request ({said.confidence:.0%})"
    headline, links, actions = reply["blocks"]
    assert headline["text"]["text"] == (
        f"*Suggested topic:* Access Request ({said.confidence:.0%} confident)"
    )
    assert f"<{OKTA}|Requesting Okta SSO access>" in links["text"]["text"]
    row = request(harness.engine, event["ts"])
    assert actions["block_id"] == blocks.block_id(row.id)
    # no ownership file: no team select (tests/slack/test_slack_routing.py has one)
    assert [e["action_id"] for e in actions["elements"]] == list(blocks.ACTIONS[:-1])
    assert blocks.ACTIONS[-1] == blocks.REASSIGN
    assert (row.channel, row.thread_ts, row.requester, row.source, row.workspace) == (
        CHANNEL,
        event["ts"],
        REQUESTER,
        "message",
        TEAM,
    )
    assert row.text == CLEAR and row.status == "open"
    assert (row.predicted_topic, row.abstained, row.model_version) == (
        "Access Request",
        False,
        trained.card.version,
    )
    assert (row.final_topic, row.label_source) == ("Access Request", "model")
    assert row.confidence == pytest.approx(said.confidence)
    assert row.created_at.timestamp() == pytest.approx(float(event["ts"]))
    assert float(row.reply_ts) > 1_800_000_000  # the ts the stand-in answered with
    assert doc_feedback(harness.engine, row.id) == [("access/okta", None, None)]
    assert seen(harness.engine) == [event["ts"]]
    assert processed(harness.engine) == ["Ev0NEW0001"]
    assert harness.slack.of("chat.postEphemeral") == []  # classified: no nudge


def test_dispatch_without_http_answers_the_same_way(harness):
    event = message(CLEAR)
    assert harness.dispatch(envelope(event)) == 200
    harness.settle()
    (reply,) = replies(harness, event["ts"])
    assert reply["channel"] == CHANNEL and reply["text"].startswith("Suggested topic:")
    assert len(requests(harness.engine)) == 1


def test_workflow_form_post_over_http_is_tracked(harness):
    event = message(
        "A new support request",
        subtype="bot_message",
        bot_id="B0WORKFLOW",
        blocks=[
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Topic*\nCI Error"},
                                           {"type": "mrkdwn", "text": f"*Submitted by*\n<@{HELPER}>"}]},  # noqa: E501
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Summary*\nlint job red"}},
        ],
    )  # fmt: skip
    del event["user"]
    assert harness.event(event) == 200
    harness.settle()
    row = request(harness.engine, event["ts"])
    assert (row.source, row.requester, row.final_topic, row.label_source, row.text) == (
        "workflow",
        HELPER,
        "CI Error",
        "form",
        "lint job red",
    )
    (reply,) = replies(harness, event["ts"])
    assert reply["text"] == "Topic: CI Error"


@pytest.mark.parametrize(
    "event",
    [
        message("our own reply", user=BOT_USER, bot_id=BOT_ID),
        message("our own post", subtype="bot_message", bot_id=BOT_ID),
        message("build #12 passed", subtype="bot_message", bot_id="B0OTHERBOT"),
        message("<@U0NEW00001> has joined the channel", subtype="channel_join"),
    ],
    ids=["own-user", "own-bot", "other-bot", "join"],
)
def test_own_and_other_bots_messages_are_not_requests(harness, event):
    assert harness.event(event) == 200
    harness.settle()
    assert requests(harness.engine) == [] and seen(harness.engine) == []
    assert replies(harness) == [] and harness.slack.of("chat.postEphemeral") == []


def test_large_message_is_stored_and_not_echoed(harness):
    text = ("deploy to staging failed, pods crashloop after helm upgrade. " * 700)[:40_000]
    event = message(text)
    started = time.monotonic()
    assert harness.event(event) == 200
    assert time.monotonic() - started < 3  # acked well within Slack's limit
    harness.settle()
    row = request(harness.engine, event["ts"])
    assert row.text == store_text(text) and len(row.text) > 39_000
    (reply,) = replies(harness, event["ts"])
    assert "crashloop" not in json.dumps(reply)
    assert all(len(b["text"]["text"]) <= 3000 for b in reply["blocks"] if "text" in b)


def test_message_with_only_a_file_is_a_request(harness):
    ts = ask(harness, "", files=[{"id": "F0SHOT0001", "title": "screenshot.png"}])
    row = request(harness.engine, ts)
    assert row.text == "screenshot.png" and row.predicted_topic is not None
    (reply,) = replies(harness, ts)
    assert reply["channel"] == CHANNEL and "screenshot" not in json.dumps(reply)


@pytest.mark.parametrize(
    ("text", "kept", "topic"),
    [
        ("デプロイが失敗しました helm rollback production 🚀", "デプロイが失敗しました", None),
        ("Не могу войти: okta sso access denied 🙏", "Не могу войти", "Access Request"),
    ],
)
def test_emoji_and_non_latin_text_arrive_as_raw_utf8(harness, text, kept, topic):
    event = message(text)
    body = json.dumps(json.loads(envelope(event)), ensure_ascii=False)  # as Slack sends it
    assert not body.isascii()
    status, _ = harness.post(body)
    assert status == 200
    harness.settle()
    row = request(harness.engine, event["ts"])
    assert kept in row.text and text.split()[-1] in row.text
    (reply,) = replies(harness, event["ts"])
    assert reply["channel"] == CHANNEL
    if topic:
        assert row.predicted_topic == topic
        assert reply["text"].startswith(f"Suggested topic: {topic}")


def test_personal_data_is_redacted_before_it_is_stored(harness):
    ts = ask(harness, "okta access denied for jane.doe@agency.gov, call me on 202-555-0143")
    row = request(harness.engine, ts)
    assert "jane.doe" not in row.text and "[email]" in row.text
    assert "555-0143" not in row.text
    (reply,) = replies(harness, ts)
    assert "jane.doe" not in json.dumps(reply)


# -- lifecycle over HTTP ---------------------------------------------------------------------------
def test_thread_reply_and_reaction_over_http(harness):
    ts = ask(harness)
    assert harness.event(message("more details", thread_ts=ts)) == 200
    harness.settle()
    assert request(harness.engine, ts).first_response_at is None  # the requester's own reply
    reply = message("on it", user=HELPER, thread_ts=ts)
    assert harness.event(reply) == 200
    harness.settle()
    row = request(harness.engine, ts)
    assert (row.first_responder, row.status) == (HELPER, "answered")
    assert row.first_response_at.timestamp() == pytest.approx(float(reply["ts"]))
    item = {"type": "message", "channel": CHANNEL, "ts": ts}
    done = {"type": "reaction_added", "user": REQUESTER, "reaction": "white_check_mark",
            "item": item, "event_ts": reply["ts"]}  # fmt: skip
    assert harness.event(done) == 200
    harness.settle()
    row = request(harness.engine, ts)
    assert (row.status, row.resolution) == ("resolved", "human")
    (update,) = harness.slack.of("chat.update")
    assert update.body["ts"] == row.reply_ts and "marked it resolved" in json.dumps(update.body)
    assert len(requests(harness.engine)) == 1 and len(replies(harness)) == 1


# -- clicks ----------------------------------------------------------------------------------------
def reply_blocks(harness: Harness, ts: str) -> tuple[str, list[dict[str, Any]]]:
    """(reply ts, blocks) as Slack shows the reply now: the last update, else the post."""
    row = request(harness.engine, ts)
    posted = [c.body for c in harness.slack.of("chat.update") if c.body["ts"] == row.reply_ts]
    return row.reply_ts, (posted[-1] if posted else replies(harness, ts)[0])["blocks"]


def click(
    harness: Harness,
    ts: str,
    user: str,
    action_id: str,
    topic: str | None = None,
    http: bool = True,
) -> None:
    """Press a control of the reply to request ``ts`` as Slack sends it, and wait."""
    reply_ts, content = reply_blocks(harness, ts)
    (actions,) = [b for b in content if b["type"] == "actions"]
    (element,) = [e for e in actions["elements"] if e["action_id"] == action_id]
    action: dict[str, Any] = {
        "type": element["type"],
        "action_id": action_id,
        "block_id": actions["block_id"],
        "action_ts": str(time.time()),
    }
    if topic is None:
        action["value"] = element["value"]
    else:
        (option,) = [o for o in element["options"] if o["value"] == topic]
        action["selected_option"] = option
    payload = {
        "type": "block_actions", "token": "legacy", "api_app_id": "A0SUPPORT",
        "team": {"id": TEAM, "domain": "synthetic"}, "user": {"id": user, "team_id": TEAM},
        "container": {"type": "message", "message_ts": reply_ts, "channel_id": CHANNEL},
        "channel": {"id": CHANNEL, "name": "support"}, "trigger_id": "1.2.trigger",
        "message": {"type": "message", "ts": reply_ts, "bot_id": BOT_ID, "blocks": content},
        "response_url": f"{harness.slack.base_url}response", "actions": [action],
    }  # fmt: skip
    body = interaction(payload)
    status = harness.post(body, form=True)[0] if http else harness.dispatch(body, form=True)
    assert status == 200
    harness.settle()


def last_update(harness: Harness) -> dict[str, Any]:
    update = harness.slack.of("chat.update")[-1].body
    assert update["channel"] == CHANNEL
    return update


def notes(update: dict[str, Any]) -> list[str]:
    return [e["text"] for b in update["blocks"] if b["type"] == "context" for e in b["elements"]]


def test_correct_button_confirms_the_topic(harness):
    ts = ask(harness)
    click(harness, ts, REQUESTER, blocks.CONFIRM)
    row = request(harness.engine, ts)
    assert (row.final_topic, row.label_source) == ("Access Request", "human")
    assert feedback(harness.engine, row.id) == [("confirm", REQUESTER, "Access Request")]
    update = last_update(harness)
    assert update["ts"] == row.reply_ts and update["text"] == "Topic: Access Request"
    assert update["blocks"][0]["text"]["text"] == "*Topic:* Access Request (confirmed)"
    assert notes(update) == [f"✅ <@{REQUESTER}> confirmed *Access Request*"]
    (actions,) = [b for b in update["blocks"] if b["type"] == "actions"]
    assert blocks.CONFIRM not in [e["action_id"] for e in actions["elements"]]


def test_topic_select_changes_the_topic_through_dispatch(harness):
    ts = ask(harness)
    click(harness, ts, STAFF, blocks.CHANGE_TOPIC, topic="CI Error", http=False)
    row = request(harness.engine, ts)
    assert (row.final_topic, row.label_source, row.predicted_topic) == (
        "CI Error",
        "human",
        "Access Request",
    )
    assert feedback(harness.engine, row.id) == [("change_topic", STAFF, "CI Error")]
    update = last_update(harness)
    assert update["ts"] == row.reply_ts and update["text"] == "Topic: CI Error"
    (actions,) = [b for b in update["blocks"] if b["type"] == "actions"]
    select = next(e for e in actions["elements"] if e["action_id"] == blocks.CHANGE_TOPIC)
    assert select["initial_option"]["value"] == "CI Error"
    assert notes(update) == [f"✏️ <@{STAFF}> set the topic to *CI Error*"]


def test_docs_solved_it_resolves_by_the_documentation(harness):
    ts = ask(harness)
    click(harness, ts, REQUESTER, blocks.DOCS_SOLVED)
    row = request(harness.engine, ts)
    assert (row.status, row.resolution) == ("resolved", "docs") and row.resolved_at is not None
    assert doc_feedback(harness.engine, row.id) == [("access/okta", "resolved", REQUESTER)]
    assert feedback(harness.engine, row.id) == [("doc_resolved", REQUESTER, None)]
    update = last_update(harness)
    assert update["ts"] == row.reply_ts
    assert not [b for b in update["blocks"] if b["type"] == "actions"]
    assert notes(update) == [
        f"📗 <@{REQUESTER}>: the docs solved it",
        "Resolved by the documentation.",
    ]


def test_still_need_help_records_the_docs_as_not_helpful(harness):
    ts = ask(harness)
    click(harness, ts, REQUESTER, blocks.NEED_HELP)
    row = request(harness.engine, ts)
    assert (row.status, row.resolved_at) == ("open", None)
    assert doc_feedback(harness.engine, row.id) == [("access/okta", "not_helpful", REQUESTER)]
    assert feedback(harness.engine, row.id) == [("doc_not_helpful", REQUESTER, None)]
    assert notes(last_update(harness)) == [f"🙋 <@{REQUESTER}> still needs help"]


def test_mark_resolved_by_staff(harness):
    ts = ask(harness)
    click(harness, ts, STAFF, blocks.RESOLVE)
    row = request(harness.engine, ts)
    assert (row.status, row.resolution) == ("resolved", "human") and row.resolved_at is not None
    assert feedback(harness.engine, row.id) == [("resolve", STAFF, None)]
    update = last_update(harness)
    assert notes(update) == [f"☑️ <@{STAFF}> marked it resolved", "Resolved."]
    assert not [b for b in update["blocks"] if b["type"] == "actions"]


@pytest.mark.parametrize("action_id", [blocks.CONFIRM, blocks.CHANGE_TOPIC, blocks.RESOLVE])
def test_someone_else_pressing_a_button_changes_nothing(harness, action_id):
    ts = ask(harness)
    before = request(harness.engine, ts)
    topic = "CI Error" if action_id == blocks.CHANGE_TOPIC else None
    click(harness, ts, STRANGER, action_id, topic=topic)
    (told,) = harness.slack.of("chat.postEphemeral")
    assert (told.body["channel"], told.body["user"]) == (CHANNEL, STRANGER)
    assert "Only the person who asked or support staff" in told.body["text"]
    after = request(harness.engine, ts)
    assert (after.final_topic, after.label_source, after.status) == (
        before.final_topic,
        before.label_source,
        before.status,
    )
    assert rows(harness.engine, FeedbackEvent) == [] and harness.slack.of("chat.update") == []


# -- duplicates, retries, concurrency --------------------------------------------------------------
def test_retried_and_duplicated_events_give_one_row_and_one_reply(on_any_store):
    harness = on_any_store
    event = message(CLEAR)
    assert harness.event(event, event_id="Ev0FIRST01") == 200
    harness.settle()
    assert harness.event(event, event_id="Ev0FIRST01", **RETRY) == 200  # Slack's retry
    assert harness.event(event, event_id="Ev0SECOND1") == 200  # same message, new event id
    harness.settle()
    assert len(requests(harness.engine)) == 1 and seen(harness.engine) == [event["ts"]]
    assert len(replies(harness)) == 1
    assert len(rows(harness.engine, DocSuggestion)) == 1
    assert sorted(processed(harness.engine)) == ["Ev0FIRST01", "Ev0SECOND1"]


def test_concurrent_deliveries_of_one_message_post_one_reply(on_any_store):
    harness = on_any_store
    event = message(CLEAR)
    body = envelope(event, "Ev0RACE001")
    start = threading.Barrier(6)
    statuses: list[int] = []

    def deliver(n: int) -> None:
        start.wait()
        if n % 2:  # Slack retrying the same event id while the first is still being handled
            statuses.append(harness.post(body, {**sign(body), **RETRY})[0])
        else:
            statuses.append(harness.event(event, event_id=f"Ev0RACE10{n}"))

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    harness.settle()
    assert statuses == [200] * 6
    assert len(requests(harness.engine)) == 1 and len(seen(harness.engine)) == 1
    (reply,) = replies(harness)
    assert reply["thread_ts"] == event["ts"]
    assert request(harness.engine, event["ts"]).reply_ts is not None
    assert len(rows(harness.engine, DocSuggestion)) == 1


def deliver_at_once(harness: Harness, events: list[dict[str, Any]]) -> list[int]:
    """Post every event from its own thread, all released together (a burst from Slack)."""
    start = threading.Barrier(len(events))
    statuses: list[int] = []

    def deliver(event: dict[str, Any]) -> None:
        start.wait()
        statuses.append(harness.event(event))

    threads = [threading.Thread(target=deliver, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    harness.settle()
    return statuses


def test_a_burst_of_requests_and_responses_is_recorded_consistently(on_any_store, caplog):
    harness = on_any_store
    caplog.set_level(logging.WARNING, logger="supportml.slack")
    asked = [message(f"okta sso access denied for role {n}") for n in range(30)]
    assert deliver_at_once(harness, asked) == [200] * 30  # none refused at the socket
    assert len(requests(harness.engine)) == 30 and len(replies(harness)) == 30
    lifecycle = []
    for event in asked:
        item = {"type": "message", "channel": CHANNEL, "ts": event["ts"]}
        lifecycle += [
            message("on it", user=HELPER, thread_ts=event["ts"]),
            {"type": "reaction_added", "user": STAFF, "reaction": "eyes", "item": item,
             "event_ts": event["ts"]},
            {"type": "reaction_added", "user": REQUESTER, "reaction": "white_check_mark",
             "item": item, "event_ts": event["ts"]},
        ]  # fmt: skip
    assert deliver_at_once(harness, lifecycle) == [200] * 90
    stored = requests(harness.engine)
    # one first response each, and no resolution undone by a response read before it
    assert {(r.status, r.resolution) for r in stored} == {("resolved", "human")}
    assert {r.first_responder for r in stored} <= {HELPER, STAFF}
    assert all(r.first_response_at and r.resolved_at for r in stored)
    assert len(harness.slack.of("chat.update")) == 30
    assert [r.getMessage() for r in caplog.records] == []


def test_a_restart_does_not_answer_again(restartable):
    first = restartable()
    event = message(CLEAR)
    assert first.event(event, event_id="Ev0BEFORE1") == 200
    first.settle()
    second = restartable()  # a new process on the same store
    assert second.event(event, event_id="Ev0BEFORE1", **RETRY) == 200
    assert second.event(event, event_id="Ev0AFTER01") == 200
    second.settle()
    assert len(replies(second)) == 1 and len(requests(second.engine)) == 1


def test_shadow_mode_records_and_posts_nothing(restartable):
    shadow = restartable(shadow=True)
    ts = ask(shadow, UNCLEAR)
    ask(shadow, CLEAR)
    row = request(shadow.engine, ts)
    assert row.abstained and row.reply_ts is None
    assert len(requests(shadow.engine)) == 2 and len(seen(shadow.engine)) == 2
    status, text = shadow.post(slash_command("okta"), form=True)
    assert status == 200 and "shadow mode" in text
    assert [c.method for c in shadow.slack.calls if c.method != "auth.test"] == []


# -- signatures ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        lambda body: sign(body, secret="not-the-signing-secret"),
        lambda body: sign(body, timestamp=int(time.time()) - 6 * 60),
        lambda body: {},
    ],
    ids=["bad-signature", "stale-timestamp", "unsigned"],
)
def test_unverified_requests_are_refused(harness, headers):
    body = envelope(message(CLEAR))
    status, _ = harness.post(body, headers(body))
    assert status == 401
    click_body = interaction({"type": "block_actions", "user": {"id": STAFF}, "actions": []})
    assert harness.post(click_body, headers(click_body), form=True)[0] == 401
    harness.settle()
    assert requests(harness.engine) == [] and processed(harness.engine) == []
    assert harness.slack.calls == []


def test_url_verification_and_health(harness, trained):
    body = json.dumps({"token": "legacy", "challenge": "c0ffee", "type": "url_verification"})
    status, text = harness.post(body)
    assert status == 200 and "c0ffee" in text
    for path in LIVE_PATHS:
        with urllib.request.urlopen(harness.url.replace(EVENTS_PATH, path), timeout=5) as answer:
            assert answer.status == 200
            assert json.loads(answer.read()) == {"ok": True, "model_version": trained.card.version}
    with urllib.request.urlopen(harness.url.replace(EVENTS_PATH, READY_PATH), timeout=5) as answer:
        assert answer.status == 200 and json.loads(answer.read()) == {"ok": True}
    assert harness.post(body, headers=sign(body))[0] == 200


# -- Slack failing ---------------------------------------------------------------------------------
def test_rate_limited_post_waits_and_posts_once(harness):
    harness.slack.fail_next("chat.postMessage", 429, times=1, retry_after=1)
    ts = ask(harness)
    (reply,) = replies(harness, ts)
    (failed,) = harness.slack.failed
    assert failed.method == "chat.postMessage" and failed.body["thread_ts"] == ts
    assert harness.slack.of("chat.postMessage")[0].at - failed.at >= 1.0  # Retry-After honoured
    assert request(harness.engine, ts).reply_ts is not None


def test_server_error_then_success_posts_once(harness):
    harness.slack.fail_next("chat.postMessage", 500, times=1)
    ts = ask(harness)
    assert len(replies(harness, ts)) == 1 and len(harness.slack.failed) == 1
    assert request(harness.engine, ts).reply_ts is not None


def test_persistent_failure_is_logged_and_a_retry_posts_the_reply(harness, caplog):
    caplog.set_level(logging.ERROR, logger="supportml.slack")
    harness.slack.fail_next("chat.postMessage", 500, times=4)
    event = message("okta sso access denied for the secret project")
    assert harness.event(event, event_id="Ev0FAILS01") == 200
    harness.settle()
    assert replies(harness) == [] and len(harness.slack.failed) == 3  # the client retried twice
    (record,) = [r for r in caplog.records if r.name == "supportml.slack"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "event Ev0FAILS01 failed: Slack API error 'internal_error'"
    assert "secret project" not in caplog.text
    row = request(harness.engine, event["ts"])
    assert row.reply_ts is None and row.predicted_topic == "Access Request"  # kept, unclaimed
    assert "Ev0FAILS01" not in processed(harness.engine)
    # the process keeps serving
    other = ask(harness, "can someone review my pull request please")
    assert len(replies(harness, other)) == 1
    # Slack retries the failed event: now it is answered, once
    assert harness.event(event, event_id="Ev0FAILS01", **RETRY) == 200
    harness.settle()
    (reply,) = replies(harness, event["ts"])
    assert reply["channel"] == CHANNEL and len(harness.slack.failed) == 4
    assert request(harness.engine, event["ts"]).reply_ts is not None
    assert len(requests(harness.engine)) == 2 and "Ev0FAILS01" in processed(harness.engine)


# -- intake ----------------------------------------------------------------------------------------
def slash_command(text: str) -> str:
    return urlencode({
        "token": "legacy", "team_id": TEAM, "team_domain": "synthetic", "channel_id": CHANNEL,
        "user_id": REQUESTER, "command": "/support", "text": text, "api_app_id": "A0SUPPORT",
        "trigger_id": "1.2.slash", "response_url": "http://127.0.0.1:9/commands/1",
    })  # fmt: skip


def modal_state(summary: str, topic: str | None) -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": topic}, "value": topic} if topic else None
    return {
        "values": {
            blocks.SUMMARY_BLOCK: {
                blocks.SUMMARY_INPUT: {"type": "plain_text_input", "value": summary}
            },
            blocks.TOPIC_BLOCK: {
                blocks.TOPIC_INPUT: {"type": "static_select", "selected_option": option}
            },
        }
    }


def submission(summary: str, topic: str | None) -> str:
    return interaction({
        "type": "view_submission", "token": "legacy", "api_app_id": "A0SUPPORT",
        "team": {"id": TEAM, "domain": "synthetic"}, "user": {"id": REQUESTER, "team_id": TEAM},
        "trigger_id": "1.2.submit",
        "view": {"id": "V0INTAKE01", "type": "modal", "callback_id": blocks.INTAKE_VIEW,
                 "private_metadata": CHANNEL, "state": modal_state(summary, topic)},
    })  # fmt: skip


def test_slash_command_opens_the_prefilled_modal(harness):
    typed = "okta sso access denied &amp; &lt;grant&gt; me a role"  # Slack escapes & < >
    status, _ = harness.post(slash_command(typed), form=True)
    assert status == 200
    harness.settle()
    (opened,) = harness.slack.of("views.open")
    assert opened.body["trigger_id"] == "1.2.slash"
    view = opened.body["view"]
    assert view["callback_id"] == blocks.INTAKE_VIEW and view["private_metadata"] == CHANNEL
    summary, topic = view["blocks"]
    assert summary["element"]["initial_value"] == "okta sso access denied & <grant> me a role"
    assert topic["element"]["initial_option"]["value"] == "Access Request"
    assert requests(harness.engine) == [] and replies(harness) == []


def test_global_shortcut_opens_an_empty_modal(harness):
    shortcut = {"type": "shortcut", "token": "legacy", "callback_id": blocks.SHORTCUT,
                "trigger_id": "1.2.shortcut", "action_ts": "1.2", "team": {"id": TEAM},
                "user": {"id": REQUESTER, "team_id": TEAM}}  # fmt: skip
    assert harness.post(interaction(shortcut), form=True)[0] == 200
    harness.settle()
    (opened,) = harness.slack.of("views.open")
    assert opened.body["trigger_id"] == "1.2.shortcut"
    summary, topic = opened.body["view"]["blocks"]
    assert "initial_value" not in summary["element"]
    assert "initial_option" not in topic["element"]


def test_submission_without_summary_is_refused_in_the_modal(harness):
    status, text = harness.post(submission("   ", "CI Error"), form=True)
    assert status == 200
    answer = json.loads(text)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {blocks.SUMMARY_BLOCK}
    harness.settle()
    assert replies(harness) == [] and requests(harness.engine) == []


def test_valid_submission_posts_the_request_and_answers_it(harness):
    body = submission("lint job fails on main, exit code 1", "CI Error")
    status, text = harness.post(body, form=True)
    assert status == 200 and text == ""
    harness.settle()
    post, reply = replies(harness)
    assert post["channel"] == CHANNEL and post.get("thread_ts") is None
    assert post["text"] == f"Support request from <@{REQUESTER}>"
    assert post["blocks"][1]["text"]["text"] == "*Summary*\nlint job fails on main, exit code 1"
    (row,) = requests(harness.engine, source="form")
    assert (row.requester, row.final_topic, row.original_topic, row.label_source) == (
        REQUESTER,
        "CI Error",
        "CI Error",
        "form",
    )
    assert row.text == "lint job fails on main, exit code 1" and row.channel == CHANNEL
    assert (reply["channel"], reply["thread_ts"]) == (CHANNEL, row.ts)  # row.ts: the post's ts
    assert reply["text"] == "Topic: CI Error"
    assert harness.slack.of("chat.postEphemeral") == []  # it has a topic: no nudge
    # Slack then delivers our own post as a message event: not a second request
    own = message(post["text"], user=BOT_USER, bot_id=BOT_ID, ts=row.ts)
    assert harness.event(own) == 200
    harness.settle()
    assert len(requests(harness.engine)) == 1 and len(replies(harness)) == 2


def test_submission_without_topic_is_suggested_like_a_message(harness):
    assert harness.post(submission(CLEAR, None), form=True)[0] == 200
    harness.settle()
    (row,) = rows(harness.engine, Request)
    assert (row.source, row.label_source, row.predicted_topic) == (
        "form",
        "model",
        "Access Request",
    )
    _, reply = replies(harness)
    assert reply["text"].startswith("Suggested topic: Access Request")
