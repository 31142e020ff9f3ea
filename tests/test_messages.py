"""One rule for what a Slack message is: the live responder and the export reader agree.

Each message dict goes through both paths, the Events API one (`read_message`) and an export
holding it after a request it may reply to (`read_slack_export`), and both must reach the same
judgement: request, form post, reply, bot reply, edit, delete, or noise for the same reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from supportml.ingest.records import ImportedRequest, Skipped
from supportml.ingest.slack_export import read_slack_export
from supportml.messages import Kind, judge
from supportml.slack.handlers import read_message

CHANNEL = "C0HELP"
PARENT = "1772460000.000100"  # the request a reply answers
TS = "1772460001.000200"
FORM_TEXT = "*Topic*\nCI Error\n*Summary*\nlint job fails\n*Submitted by*\n<@UFORMUSER>"


def event(text: str = "deploy failing?", user: str | None = "UASKER2", **extra: Any) -> dict:
    message: dict[str, Any] = {"type": "message", "ts": TS, "text": text, **extra}
    if user:
        message["user"] = user
    return message


def changed(**new: Any) -> dict:
    return event("", None, subtype="message_changed", hidden=True, message={"ts": PARENT, **new})


CASES = {
    "request": event(),
    "file only": event("", subtype="file_share", files=[{"title": "build error"}]),
    "me message": event("is stuck", subtype="me_message"),
    "empty": event("  "),
    "no user": event(user=None),
    "reply": event("looking", "UHELPER", thread_ts=PARENT),
    "broadcast reply": event("also here", "UHELPER", subtype="thread_broadcast", thread_ts=PARENT),
    "bot reply": event("build 12 green", None, bot_id="B0CI", thread_ts=PARENT),
    "tombstone reply": event("deleted", "USLACKBOT", subtype="tombstone", thread_ts=PARENT),
    "form post": event(FORM_TEXT, None, subtype="bot_message", bot_id="B0WORKFLOW"),
    "form without summary": event(
        "*Topic*\nCI\n*Team*\nA", None, subtype="bot_message", bot_id="B0W"
    ),
    "bot chatter": event("deployed", None, subtype="bot_message", bot_id="B0CI"),
    "bot user": event("nightly green", "U0DEPLOY", bot_id="B0CI"),
    "slackbot": event("reminder: standup", "USLACKBOT"),
    "join": event("<@UASKER2> has joined", subtype="channel_join"),
    "leave": event("<@UASKER2> has left", subtype="group_leave"),
    "topic change": event("set the topic", subtype="channel_topic"),
    "top-level tombstone": event("deleted", "USLACKBOT", subtype="tombstone", hidden=True),
    "edit": changed(user="UASKER", text="deploy failing? (edited)"),
    "edit to a tombstone": changed(user="USLACKBOT", subtype="tombstone", text="deleted"),
    "delete": event("", None, subtype="message_deleted", hidden=True, deleted_ts=PARENT),
}


def live(message: dict) -> tuple[Any, ...]:
    read = read_message({**message, "channel": CHANNEL}, frozenset({CHANNEL}), frozenset())
    if read.kind == "request":
        kind = "form" if read.source == "workflow" else "request"
        return (kind, read.ts, read.text, read.user, read.topic)
    if read.kind == "reply":
        return ("reply", read.ts, read.user)
    if read.kind in ("edit", "delete"):
        return (read.kind, read.ts)
    if read.reason == "bot reply in a thread":
        return ("bot reply", message["ts"])
    return ("noise", read.reason)


def exported(message: dict, tmp_path: Path) -> tuple[Any, ...]:
    """What the export reader made of the message, after a request by UASKER it may answer."""
    (tmp_path / "help").mkdir()
    (tmp_path / "channels.json").write_text(json.dumps([{"id": CHANNEL, "name": "help"}]))
    parent = {"type": "message", "ts": PARENT, "user": "UASKER", "text": "deploy failing?"}
    (tmp_path / "help" / "2026-03-02.json").write_text(json.dumps([parent, message]))
    items = list(read_slack_export(tmp_path, ["help"]))
    found = {i.ts: i for i in items if isinstance(i, ImportedRequest)}
    if TS in found:
        request = found[TS]
        kind = "form" if request.source == "workflow" else "request"
        return (kind, TS, request.text, request.requester, request.topic)
    (skipped,) = [i.reason for i in items if isinstance(i, Skipped)]
    if skipped == "thread reply":
        responder = found[PARENT].first_responder
        return ("reply", TS, responder) if responder else ("bot reply", TS)
    if skipped in ("edit", "delete"):
        return (skipped, PARENT)
    return ("noise", skipped)


@pytest.mark.parametrize("name", CASES)
def test_a_live_event_and_the_same_message_in_an_export_are_judged_alike(
    name: str, tmp_path: Path
) -> None:
    message = CASES[name]
    assert live(message) == exported(message, tmp_path)


def test_each_kind_of_message_is_recognised() -> None:
    """The cases above cover every judgement, so agreeing on them means agreeing on all kinds."""
    kinds = {name: judge(message).kind for name, message in CASES.items()}
    assert set(kinds.values()) == set(Kind)
    assert kinds["request"] == kinds["file only"] == kinds["me message"] == Kind.REQUEST
    assert kinds["form post"] == Kind.FORM
    assert (kinds["reply"], kinds["bot reply"], kinds["tombstone reply"]) == (Kind.REPLY,) * 3
    assert [judge(CASES[n]).human for n in ("reply", "bot reply", "tombstone reply")] == [
        True,
        False,
        False,
    ]
    assert (kinds["edit"], kinds["edit to a tombstone"]) == (Kind.EDIT, Kind.DELETE)
    assert judge(CASES["join"]).reason == judge(CASES["leave"]).reason == "join/leave"


def test_known_bot_users_are_bots() -> None:
    """An export's users.json names bot users that post like people; they are never requests."""
    assert judge(CASES["request"]).kind == Kind.REQUEST
    assert judge(CASES["request"], bots=frozenset({"UASKER2"})).reason == "bot message"
