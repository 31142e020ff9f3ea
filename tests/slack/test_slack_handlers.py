"""The responder's logic called directly: message classification, lifecycle events, nudges.

`Responder` is free of Bolt, so these tests hand it the event dicts Slack sends and assert on the
outcome, the store rows and the Web API calls the local stand-in recorded (synchronously: no
listener threads involved).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from supportml.slack import blocks
from supportml.slack.handlers import intake_errors, intake_values, read_message
from supportml.text import store_text
from tests.slack.conftest import (
    CHANNEL,
    HELPER,
    OTHER_CHANNEL,
    REQUESTER,
    STAFF,
    STRANGER,
    Harness,
    message,
    new_ts,
)
from tests.slack.fake_slack import BOT_ID, BOT_USER, TEAM
from tests.slack.stored import feedback, request, requests

CHANNELS = frozenset({CHANNEL})
OWN = frozenset({BOT_USER, BOT_ID})
CLEAR = "okta sso access denied, can someone grant me a role?"  # Access Request, with a doc link
UNCLEAR = "hello there :wave:"  # the tiny model abstains on it

FORM_BLOCKS = [
    {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": "*Topic*\nCI Error"},
            {"type": "mrkdwn", "text": "*Team*\nPayments"},
        ],
    },
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Summary*\nlint job fails on main"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": f"*Submitted by*\n<@{REQUESTER}>"}},
]


def workflow_post(**extra: Any) -> dict[str, Any]:
    """A Workflow Builder form post: a bot_message with a bot_id and no user."""
    event = message("A new support request", subtype="bot_message", bot_id="B0WORKFLOW", **extra)
    del event["user"]
    return event


def edited(ts: str, text: str, user: str = REQUESTER, **fields: Any) -> dict[str, Any]:
    now = new_ts()
    return {
        "type": "message", "subtype": "message_changed", "hidden": True, "channel": CHANNEL,
        "ts": now, "event_ts": now, "channel_type": "channel",
        "message": {"type": "message", "user": user, "text": text, "ts": ts, **fields},
        "previous_message": {"type": "message", "user": user, "text": "before", "ts": ts},
    }  # fmt: skip


def deleted(ts: str) -> dict[str, Any]:
    now = new_ts()
    return {"type": "message", "subtype": "message_deleted", "hidden": True, "channel": CHANNEL,
            "ts": now, "event_ts": now, "deleted_ts": ts, "channel_type": "channel"}  # fmt: skip


def tombstone(ts: str) -> dict[str, Any]:
    """What Slack sends when a message with thread replies (ours) is deleted."""
    return edited(ts, "This message was deleted.", user="USLACKBOT", subtype="tombstone",
                  hidden=True, thread_ts=ts, reply_count=1)  # fmt: skip


def reaction(ts: str, user: str, name: str = "eyes") -> dict[str, Any]:
    item = {"type": "message", "channel": CHANNEL, "ts": ts}
    return {"type": "reaction_added", "user": user, "reaction": name, "item_user": REQUESTER,
            "item": item, "event_ts": new_ts()}  # fmt: skip


# -- classification ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("event", "kind", "reason"),
    [
        (message(CLEAR), "request", ""),
        (message(CLEAR, channel=OTHER_CHANNEL), "ignore", "not a support channel"),
        (message(CLEAR, thread_ts="1700000000.000001"), "reply", ""),
        (message("me too", subtype="thread_broadcast", thread_ts="1.5"), "reply", ""),
        (message("reply", user=BOT_USER, bot_id=BOT_ID), "ignore", "own message"),
        (message("reply", subtype="bot_message", bot_id=BOT_ID), "ignore", "own message"),
        (message("our form post", user=BOT_USER), "ignore", "own message"),
        (message("build passed", subtype="bot_message", bot_id="B0CI"), "ignore", "bot message"),
        (message("deploy bot", user="U0DEPLOYBOT", bot_id="B0CI"), "ignore", "bot message"),
        (message("x", bot_id="B0CI", thread_ts="1.5"), "ignore", "bot reply in a thread"),
        (message("<@U1> has joined", subtype="channel_join"), "ignore", "join/leave"),
        (message("", subtype="message_replied"), "ignore", "subtype message_replied"),
        (
            {"type": "message", "channel": CHANNEL, "ts": "1.2", "text": "x"},
            "ignore",
            "message without user",
        ),
        (
            {"type": "message", "channel": CHANNEL, "user": REQUESTER, "text": "x"},
            "ignore",
            "message without ts",
        ),
    ],  # fmt: skip
)
def test_read_message_classifies_what_is_a_request(event, kind, reason):
    read = read_message(event, CHANNELS, OWN)
    assert (read.kind, read.reason) == (kind, reason)
    if kind == "request":
        assert (read.channel, read.ts, read.user, read.text) == (
            CHANNEL,
            event["ts"],
            REQUESTER,
            CLEAR,
        )
    if kind == "reply":
        assert read.thread_ts == event["thread_ts"] and read.user == REQUESTER


def test_read_message_takes_workflow_form_fields_from_blocks_or_text():
    read = read_message(workflow_post(blocks=FORM_BLOCKS), CHANNELS, OWN)
    assert (read.kind, read.source, read.user) == ("request", "workflow", REQUESTER)
    assert (read.topic, read.team, read.text) == ("CI Error", "Payments", "lint job fails on main")
    in_text = workflow_post()
    in_text["text"] = f"*Topic*\nCI Error\n*Summary*\ntests hang\n*Submitted by*\n<@{HELPER}>"
    read = read_message(in_text, CHANNELS, OWN)
    assert (read.kind, read.user, read.topic, read.text) == (
        "request",
        HELPER,
        "CI Error",
        "tests hang",
    )
    no_summary = workflow_post(blocks=FORM_BLOCKS[:1])
    assert read_message(no_summary, CHANNELS, OWN).reason == "form without summary"


def test_read_message_edits_deletes_and_files():
    ts = new_ts()
    edit = read_message(edited(ts, "now with details"), CHANNELS, OWN)
    assert (edit.kind, edit.ts, edit.text) == ("edit", ts, "now with details")
    delete = read_message(deleted(ts), CHANNELS, OWN)
    assert (delete.kind, delete.ts) == ("delete", ts)
    # deleting a message that has thread replies leaves a tombstone, announced as an edit
    gone = read_message(tombstone(ts), CHANNELS, OWN)
    assert (gone.kind, gone.ts) == ("delete", ts)
    files = message(
        "", subtype="file_share", files=[{"title": "screenshot.png"}, {"name": "a.log"}]
    )
    read = read_message(files, CHANNELS, OWN)
    assert (read.kind, read.text) == ("request", "screenshot.png\na.log")


def test_intake_values_and_errors():
    def state(summary: str | None, topic: str | None) -> dict[str, Any]:
        option = {"text": {"type": "plain_text", "text": topic}, "value": topic} if topic else None
        return {
            "summary": {"summary_input": {"type": "plain_text_input", "value": summary}},
            "topic": {"topic_input": {"type": "static_select", "selected_option": option}},
        }

    assert intake_values(state("  lint fails \n", "CI Error")) == ("lint fails", "CI Error")
    assert intake_values(state(None, None)) == ("", None)
    assert intake_values({}) == ("", None)
    topics = ["CI Error"]
    assert intake_errors(state("lint fails", None), topics) == {}
    assert set(intake_errors(state("   ", None), topics)) == {"summary"}
    assert set(intake_errors(state("x", "Made Up"), topics)) == {"topic"}


# -- the responder, called directly ----------------------------------------------------------------
def handle(harness: Harness, event: dict[str, Any], event_id: str | None = None) -> str:
    return harness.responder.handle_event(event, TEAM, event_id).done


def asked(harness: Harness, text: str = CLEAR, user: str = REQUESTER) -> tuple[str, Any]:
    """Post a new request; (its ts, its stored row) once the reply went out."""
    event = message(text, user=user)
    assert handle(harness, event) == "replied"
    return event["ts"], request(harness.engine, event["ts"])


def updates(harness: Harness) -> list[dict[str, Any]]:
    return [call.body for call in harness.slack.of("chat.update")]


def notes(body: dict[str, Any]) -> list[str]:
    return [e["text"] for b in body["blocks"] if b["type"] == "context" for e in b["elements"]]


def test_workflow_form_post_is_a_form_labelled_request(harness):
    event = workflow_post(blocks=FORM_BLOCKS)
    assert handle(harness, event) == "replied"
    row = request(harness.engine, event["ts"])
    assert (row.source, row.requester, row.requester_team) == ("workflow", REQUESTER, "Payments")
    assert (row.original_topic, row.final_topic, row.label_source) == (
        "CI Error",
        "CI Error",
        "form",
    )
    assert row.text == "lint job fails on main" and row.predicted_topic is not None
    (reply,) = harness.slack.of("chat.postMessage")
    assert reply.body["thread_ts"] == event["ts"] and reply.body["channel"] == CHANNEL
    assert reply.body["text"] == "Topic: CI Error"
    assert reply.body["blocks"][0]["text"]["text"] == "*Topic:* CI Error (chosen on the form)"
    assert harness.slack.of("chat.postEphemeral") == []  # the form has a topic: no nudge


def test_thread_reply_by_someone_else_is_the_first_response(harness):
    ts, _ = asked(harness)
    mine = message("more details: it says 403", thread_ts=ts)
    assert handle(harness, mine) == "ignored: the requester's own reply"
    assert request(harness.engine, ts).first_response_at is None
    theirs = message("looking", user=HELPER, thread_ts=ts)
    assert handle(harness, theirs) == "first response"
    row = request(harness.engine, ts)
    assert row.first_responder == HELPER and row.status == "answered"
    assert row.first_response_at.timestamp() == pytest.approx(float(theirs["ts"]))
    later = message("me too", user=STAFF, thread_ts=ts)
    assert handle(harness, later) == "ignored: already answered"
    assert request(harness.engine, ts).first_responder == HELPER
    stray = message("hi", user=HELPER, thread_ts="1600000000.000001")
    assert handle(harness, stray) == "ignored: reply in an untracked thread"
    assert len(requests(harness.engine)) == 1  # replies are never requests


def test_reaction_by_someone_else_is_the_first_response(harness):
    ts, _ = asked(harness)
    assert handle(harness, reaction(ts, REQUESTER, "eyes")) == "ignored: nothing to record"
    assert request(harness.engine, ts).first_response_at is None
    assert handle(harness, reaction(ts, HELPER, "eyes")) == "first response"
    row = request(harness.engine, ts)
    assert (row.first_responder, row.status, row.resolved_at) == (HELPER, "answered", None)
    assert handle(harness, reaction(ts, BOT_USER)) == "ignored: own reaction"
    assert updates(harness) == []  # nothing the reply shows changed


@pytest.mark.parametrize("who", [REQUESTER, STAFF])
def test_resolution_reaction_by_requester_or_staff_resolves(harness, who):
    ts, row = asked(harness)
    done = handle(harness, reaction(ts, who, "white_check_mark::skin-tone-3"))
    assert done == ("resolved" if who == REQUESTER else "first response + resolved")
    stored = request(harness.engine, ts)
    assert (stored.status, stored.resolution) == ("resolved", "human")
    assert stored.resolved_at is not None
    assert feedback(harness.engine, row.id) == [("resolve_reaction", who, None)]
    (update,) = updates(harness)
    assert update["ts"] == stored.reply_ts and update["channel"] == CHANNEL
    assert notes(update) == [f"☑️ <@{who}> marked it resolved with a reaction", "Resolved."]
    assert not [b for b in update["blocks"] if b["type"] == "actions"]
    # resolving again records nothing new (staff may still be the first to respond)
    again = handle(harness, reaction(ts, STAFF, "white_check_mark"))
    assert again == ("first response" if who == REQUESTER else "ignored: nothing to record")
    assert len(feedback(harness.engine, row.id)) == 1 and len(updates(harness)) == 1


def test_resolution_reaction_by_a_stranger_does_not_resolve(harness):
    ts, row = asked(harness)
    assert handle(harness, reaction(ts, STRANGER, "white_check_mark")) == "first response"
    stored = request(harness.engine, ts)
    assert (stored.status, stored.resolved_at, stored.first_responder) == (
        "answered",
        None,
        STRANGER,
    )
    assert feedback(harness.engine, row.id) == [] and updates(harness) == []


def test_edit_of_an_unlabelled_request_is_suggested_again(harness):
    ts, row = asked(harness, UNCLEAR)
    assert row.abstained and row.final_topic is None
    edit = edited(ts, "ci build failed on the runner, lint job red check, exit code 1")
    assert handle(harness, edit) == "edited: re-suggested"
    stored = request(harness.engine, ts)
    assert stored.text.startswith("ci build failed")
    assert (stored.predicted_topic, stored.abstained) == ("CI Error", False)
    assert (stored.final_topic, stored.label_source) == ("CI Error", "model")
    (update,) = updates(harness)
    assert update["ts"] == stored.reply_ts and update["channel"] == CHANNEL
    assert update["text"].startswith("Suggested topic: CI Error")
    assert "hello" not in str(update)


def test_edit_of_a_human_labelled_request_keeps_its_topic(harness):
    ts, row = asked(harness)
    body = {
        "user": {"id": REQUESTER},
        "channel": {"id": CHANNEL},
        "actions": [{"action_id": blocks.CHANGE_TOPIC, "block_id": blocks.block_id(row.id),
                     "selected_option": {"value": "PR Review"}}],
    }  # fmt: skip
    assert harness.responder.handle_action(body).done == "topic changed"
    harness.slack.clear()
    edit = edited(ts, "helm rollback production deploy failed, my email is jane@agency.gov")
    assert handle(harness, edit) == "edited (labelled: topic kept)"
    stored = request(harness.engine, ts)
    assert (stored.final_topic, stored.label_source) == ("PR Review", "human")
    assert stored.predicted_topic == "Access Request"  # not re-suggested
    assert stored.text == store_text(edit["message"]["text"]) and "jane@" not in stored.text
    assert updates(harness) == []


@pytest.mark.parametrize("gone", [deleted, tombstone])
def test_deleted_request_is_kept_with_its_text_purged(harness, gone):
    ts, row = asked(harness)
    assert handle(harness, gone(ts)) == "deleted: text purged"
    stored = request(harness.engine, ts)
    assert (stored.deleted, stored.text) == (True, "")
    (update,) = updates(harness)
    assert update["ts"] == stored.reply_ts
    assert update["text"] == "This request was deleted."
    assert handle(harness, edited(ts, "edited after")) == "ignored: edit of an untracked message"
    assert request(harness.engine, ts).text == ""
    assert handle(harness, deleted(new_ts())) == "ignored: delete of an untracked message"


def test_nudge_at_most_once_a_day_per_person(harness):
    asked(harness, UNCLEAR)
    asked(harness, UNCLEAR)  # same person, same day: no second nudge
    asked(harness, CLEAR)  # classified: no nudge at all
    asked(harness, UNCLEAR, user=HELPER)
    nudges = harness.slack.of("chat.postEphemeral")
    assert [(n.body["user"], n.body["channel"]) for n in nudges] == [
        (REQUESTER, CHANNEL),
        (HELPER, CHANNEL),
    ]
    assert f"<#{CHANNEL}>" in nudges[0].body["text"] and "hello" not in nudges[0].body["text"]
    today = harness.responder.now()
    harness.responder.now = lambda: today + timedelta(days=1)
    asked(harness, UNCLEAR)
    assert len(harness.slack.of("chat.postEphemeral")) == 3
    assert len(harness.slack.of("chat.postMessage")) == 5  # every request got its reply


def test_catch_up_posts_replies_that_never_went_out_and_nothing_else(harness):
    """Slack down for longer than the client retries: the request is kept without a reply and
    the periodic catch-up answers it later, once; old, imported and deleted requests are left."""
    from supportml.store import transaction
    from supportml.store.repository import insert_new_requests, start_import

    harness.slack.fail_next("chat.postMessage", 500, times=20)
    event = message(CLEAR, ts=f"{int(harness.responder.now().timestamp()) - 60}.000777")
    with pytest.raises(Exception, match="internal_error"):
        harness.responder.handle_event(event, TEAM, "EvOUTAGE1")
    assert request(harness.engine, event["ts"]).reply_ts is None
    harness.slack.clear_failures()  # Slack is back
    now = harness.responder.now()
    base = {"workspace": TEAM, "channel": CHANNEL, "text": "deploy failed", "source": "message"}
    with transaction(harness.engine) as session:
        run = start_import(session, "slack-export", "export.zip")
        insert_new_requests(session, [
            {**base, "ts": "1700000000.000001", "created_at": now - timedelta(hours=3)},
            {**base, "ts": "1700000000.000002", "created_at": now, "deleted": True},
            {**base, "ts": "1700000000.000003", "created_at": now, "import_run_id": run},
        ])  # fmt: skip
    assert harness.responder.catch_up() == 1
    (reply,) = harness.slack.of("chat.postMessage")
    assert reply.body["thread_ts"] == event["ts"]
    assert request(harness.engine, event["ts"]).reply_ts not in (None, "pending")
    assert harness.responder.catch_up() == 0
    assert handle(harness, event, "EvOUTAGE1") == "duplicate: already replied"
    assert len(harness.slack.of("chat.postMessage")) == 1


def test_event_ids_older_than_a_week_are_forgotten(harness):
    from supportml.store.models import ProcessedEvent
    from tests.slack.stored import rows

    handle(harness, message(CLEAR), "EvOLD")
    today = harness.responder.now()
    harness.responder.now = lambda: today + timedelta(days=8)
    handle(harness, message(CLEAR), "EvNEW")
    assert harness.responder.forget_old_events() == 1
    assert [e.event_id for e in rows(harness.engine, ProcessedEvent)] == ["EvNEW"]


def test_every_human_thread_reply_is_stored_once(on_any_store):
    """Retries (the same event id, or the same message under a new one) store a reply once;
    the requester's replies are kept too (turns), staff's count as effort."""
    from supportml.store.models import ThreadReply
    from tests.slack.stored import rows

    harness = on_any_store
    ts, _ = asked(harness)
    theirs = message("have you tried a rerun?", user=HELPER, thread_ts=ts)
    mine = message("yes, still 403", thread_ts=ts)
    assert handle(harness, theirs, "Ev1") == "first response"
    assert handle(harness, theirs, "Ev1") == "dropped: event id already handled"
    assert handle(harness, theirs, "Ev2") == "ignored: already answered"  # a redelivery
    assert handle(harness, mine, "Ev3") == "ignored: the requester's own reply"
    stored = rows(harness.engine, ThreadReply)
    assert [(r.ts, r.user_id, r.is_staff, r.length) for r in stored] == [
        (theirs["ts"], HELPER, True, len("have you tried a rerun?")),
        (mine["ts"], REQUESTER, False, len("yes, still 403")),
    ]
    row = request(harness.engine, ts)
    assert (row.staff_replies, row.staff_people, row.turns) == (1, 1, 2)
    assert row.staff_seconds == 5 * 60  # the default: 5 minutes per staff reply
