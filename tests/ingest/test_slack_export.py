"""The Slack export reader: threads, first response and resolution, forms, skips, bad input."""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from supportml.errors import UserError
from supportml.ingest.errors import IngestError
from supportml.ingest.records import ImportedRequest, Skipped
from supportml.ingest.slack_export import ExportOptions, read_slack_export
from supportml.messages import parse_form

CHANNELS = [{"id": "C0HELP", "name": "help-platform"}, {"id": "C0RAND", "name": "random"}]
USERS = [
    {"id": "UASKER", "team_id": "T0WS", "name": "asker", "profile": {"real_name": "A"}},
    {"id": "USTAFF", "team_id": "T0WS", "name": "staff", "profile": {"real_name": "S"}},
    {"id": "USTAFF2", "team_id": "T0WS", "name": "staff2", "profile": {"real_name": "S2"}},
    {"id": "UBOT", "team_id": "T0WS", "name": "helperbot", "is_bot": True},
]
PARENT = "1772460000.000100"  # 2026-03-02 14:00 UTC


def at(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC).replace(microsecond=int(ts.split(".")[1]))


def msg(ts: str, user: str | None = "UASKER", text: str = "deploy failing?", **extra: Any) -> dict:
    message: dict[str, Any] = {"type": "message", "ts": ts, "text": text, **extra}
    if user:
        message["user"] = user
    return message


def reply(ts: str, user: str, text: str = "looking", **extra: Any) -> dict:
    return msg(ts, user, text, thread_ts=PARENT, parent_user_id="UASKER", **extra)


def write_export(
    path: Path, days: dict[str, list[Any]], *, extra: dict[str, bytes] | None = None, **lists: Any
) -> Path:
    """A zip with channels.json, users.json and ``{"help-platform/2026-03-02.json": [...]}``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("channels.json", json.dumps(lists.get("channels", CHANNELS)))
        archive.writestr("users.json", json.dumps(lists.get("users", USERS)))
        for name, messages in days.items():
            archive.writestr(name, json.dumps(messages, indent=4))
        for name, raw in (extra or {}).items():
            archive.writestr(name, raw)
    return path


def read(path: Path, channels: tuple[str, ...] = ("help-platform",), **options: Any) -> list:
    return list(read_slack_export(path, channels, ExportOptions(**options)))


def requests_of(items: list) -> list[ImportedRequest]:
    return [item for item in items if isinstance(item, ImportedRequest)]


def only_request(path: Path, **options: Any) -> ImportedRequest:
    (request,) = requests_of(read(path, **options))
    return request


def thread(tmp_path: Path, replies: list[dict], **parent: Any) -> Path:
    """One request on 2026-03-02 whose replies are filed under the day each was written."""
    days: dict[str, list[dict]] = {"help-platform/2026-03-02.json": [msg(PARENT, **parent)]}
    for r in replies:
        day = at(r["ts"]).date().isoformat()
        days.setdefault(f"help-platform/{day}.json", []).append(r)
    return write_export(tmp_path / "export.zip", days)


def test_threads_are_rebuilt_from_replies_filed_under_later_days(tmp_path: Path) -> None:
    export = thread(
        tmp_path,
        [reply("1772550000.000200", "USTAFF"), reply("1772640000.000300", "UASKER", "thanks")],
        thread_ts=PARENT,
    )
    items = read(export)
    request = only_request(export)
    assert request.ts == request.thread_ts == PARENT
    assert request.created_at == datetime(2026, 3, 2, 14, 0, 0, 100, tzinfo=UTC)
    assert (request.first_responder, request.first_response_at) == (
        "USTAFF",
        at("1772550000.000200"),
    )
    assert (request.channel, request.requester, request.source) == ("C0HELP", "UASKER", "import")
    assert request.origin == "export.zip:help-platform/2026-03-02.json#0"
    assert Counter(i.reason for i in items if isinstance(i, Skipped)) == {"thread reply": 2}


def test_requesters_own_reply_and_bot_replies_are_not_a_first_response(tmp_path: Path) -> None:
    export = thread(
        tmp_path,
        [
            reply("1772460060.000001", "UASKER", "any update?"),
            reply("1772460070.000001", "UBOT", "here are some docs"),  # a bot user
            msg("1772460080.000001", None, "auto answer", thread_ts=PARENT, bot_id="B1"),
            reply("1772463600.000001", "USTAFF2"),
            reply("1772467200.000001", "USTAFF"),
        ],
    )
    request = only_request(export)
    assert (request.first_responder, request.first_response_at) == (
        "USTAFF2",
        at("1772463600.000001"),
    )


def test_a_response_reaction_counts_but_exports_have_no_time_for_it(tmp_path: Path) -> None:
    eyes = [{"name": "eyes", "users": ["UASKER", "UBOT", "USTAFF"], "count": 3}]
    request = only_request(thread(tmp_path, [], reactions=eyes))
    assert (request.first_responder, request.first_response_at) == ("USTAFF", None)


def test_a_reaction_by_the_requester_or_a_bot_is_no_response(tmp_path: Path) -> None:
    eyes = [{"name": "eyes", "users": ["UASKER", "UBOT"], "count": 2}]
    request = only_request(thread(tmp_path, [], reactions=eyes))
    assert request.first_responder is None and request.first_response_at is None


def test_response_reactions_are_configurable(tmp_path: Path) -> None:
    ack = [{"name": "ack", "users": ["USTAFF"], "count": 1}]
    export = thread(tmp_path, [], reactions=ack)
    assert only_request(export).first_responder is None
    assert only_request(export, response_reactions=frozenset({"ack"})).first_responder == "USTAFF"


def test_resolution_by_reaction_dates_it_at_the_last_human_reply(tmp_path: Path) -> None:
    done = [{"name": "white_check_mark", "users": ["UASKER"], "count": 1}]
    export = thread(
        tmp_path,
        [
            reply("1772463600.000001", "USTAFF"),
            reply("1772470000.000001", "UASKER", "thanks, works"),
            reply("1772480000.000001", "UBOT", "was this resolved? rate us"),
        ],
        reactions=done,
    )
    request = only_request(export)
    assert (request.resolution, request.resolved_at) == ("human", at("1772470000.000001"))


def test_resolution_by_reaction_without_replies_has_no_time(tmp_path: Path) -> None:
    done = [{"name": "white_check_mark", "users": ["USTAFF"], "count": 1}]
    request = only_request(thread(tmp_path, [], reactions=done))
    assert (request.resolution, request.resolved_at) == ("human", None)


@pytest.mark.parametrize(
    ("text", "resolution"),
    [
        ("fixed now, thanks!", "human"),
        ("Closing this, let us know if it comes back", "human"),
        ("RESOLVED: the retry went through", "human"),
        ("resolved, the runbook covers it: <https://docs.example.gov/x|runbook>", "docs"),
        ("closing this, see the Documentation", "docs"),
        ("still unresolved on our side", None),
        ("is this resolved? still failing here", None),
        ("fixed now ?", None),
        ("can you check whether it is fixed nowhere else?", None),
    ],
)
def test_resolution_by_keyword_reply(tmp_path: Path, text: str, resolution: str | None) -> None:
    export = thread(
        tmp_path, [reply("1772463600.000001", "USTAFF"), reply("1772470000.000001", "USTAFF", text)]
    )
    request = only_request(export)
    assert request.resolution == resolution
    assert request.resolved_at == (at("1772470000.000001") if resolution else None)


def test_the_requester_may_resolve_but_a_bot_may_not(tmp_path: Path) -> None:
    export = thread(
        tmp_path,
        [
            reply("1772460100.000001", "UBOT", "Resolved? See the docs"),
            reply("1772460200.000001", "UASKER", "nvm, fixed now"),
        ],
    )
    request = only_request(export)
    assert (request.resolution, request.resolved_at) == ("human", at("1772460200.000001"))
    assert request.first_responder is None


def test_keywords_are_configurable(tmp_path: Path) -> None:
    export = thread(tmp_path, [reply("1772463600.000001", "USTAFF", "done and dusted")])
    assert only_request(export).resolution is None
    chosen = only_request(export, resolution_keywords=("done and dusted",), docs_keywords=())
    assert chosen.resolution == "human"


BLOCK_FORM = {
    "type": "message",
    "subtype": "bot_message",
    "bot_id": "BWORKFLOW",
    "username": "Support request",
    "text": "New support request from <@UASKER>",
    "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "New request from <@UASKER>"}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Topic*\nFailed Deployment"},
                {"type": "mrkdwn", "text": "*Team*\npayments"},
                {"type": "mrkdwn", "text": "*Submitted by*\n<@USTAFF2|sam>"},
            ],
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Summary*\nprod deploy stuck"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Details*\nsince 9am\nno logs"}},
    ],
}


def test_workflow_form_post_in_blocks(tmp_path: Path) -> None:
    form = dict(BLOCK_FORM, ts=PARENT)
    export = write_export(tmp_path / "e.zip", {"help-platform/2026-03-02.json": [form]})
    request = only_request(export)
    assert (request.source, request.topic, request.label_source) == (
        "workflow",
        "Failed Deployment",
        "form",
    )
    assert request.requester_team == "payments"
    assert request.requester == "USTAFF2"  # the submitter field wins over the header mention
    assert request.text == "prod deploy stuck\n\nsince 9am\nno logs"
    assert request.workspace == "T0WS"  # no team on the post: the workspace of users.json


@pytest.mark.parametrize(
    "text",
    [
        "*Request topic*\nCI Error\n*Team*\nclaims\n*Summary of request*\nlint job red\n"
        "since monday",
        "<@UASKER> submitted a request\nTopic: CI Error\nTeam: claims\nSummary: lint job red\n"
        "since monday",
        "*Topic:* CI Error\n*Team:* claims\n*Requested by:* <@UASKER>\n*Summary:* lint job red\n"
        "since monday",
    ],
    ids=["bold-lines", "plain", "bold-inline"],
)
def test_workflow_form_post_in_text(text: str) -> None:
    form = parse_form({"type": "message", "subtype": "bot_message", "text": text})
    assert form is not None
    assert (form["topic"], form["team"]) == ("CI Error", "claims")
    assert form["text"] == "lint job red\nsince monday"
    expected = None if text.startswith("*Request topic*") else "UASKER"
    assert form["requester"] == expected


def test_form_labels_may_be_questions() -> None:
    text = "Team: claims\nWhat do you need help with?: a new repo\n*Anything else?*\nno rush"
    form = parse_form({"text": text, "bot_id": "B1"})
    assert form is not None and form["text"] == "a new repo\n\nno rush"


def test_bot_chatter_is_not_a_form() -> None:
    chatter = {"text": "Deployed vets-api to staging: build 4812\nStatus: green", "bot_id": "B2"}
    assert parse_form(chatter) is None


def test_form_without_summary_is_skipped(tmp_path: Path) -> None:
    form = msg(PARENT, None, "*Topic*\nCMS\n*Team*\ncontent", subtype="bot_message", bot_id="B1")
    export = write_export(tmp_path / "e.zip", {"help-platform/2026-03-02.json": [form]})
    assert [(type(i), i.reason) for i in read(export)] == [(Skipped, "form without summary")]


def test_what_is_not_a_request_is_skipped_with_a_reason(tmp_path: Path) -> None:
    day = [
        msg(
            "1772460001.000001",
            "USTAFF",
            "<@USTAFF> has joined the channel",
            subtype="channel_join",
        ),
        msg("1772460002.000001", "USTAFF", "<@USTAFF> has left", subtype="channel_leave"),
        msg("1772460003.000001", None, "Deployed build 12", subtype="bot_message", bot_id="B2"),
        msg("1772460004.000001", "UBOT", "nightly run green"),  # a bot user without subtype
        msg(
            "1772460005.000001",
            None,
            "",
            subtype="message_changed",
            hidden=True,
            message={"ts": PARENT, "text": "deploy failing? (edited)"},
        ),
        msg("1772460006.000001", None, "", subtype="message_deleted", deleted_ts=PARENT),
        msg(
            "1772460007.000001",
            "USLACKBOT",
            "This message was deleted.",
            subtype="tombstone",
            hidden=True,
            thread_ts="1772460007.000001",
        ),
        reply("1772460008.000001", "USTAFF", "also posted to channel", subtype="thread_broadcast"),
        msg("1772460009.000001", "UASKER", "   "),
        msg("1772460010.000001", "USTAFF", "set the topic", subtype="channel_topic"),
        msg(PARENT, "UASKER", "deploy failing?", edited={"user": "UASKER", "ts": "1772460011.0"}),
    ]
    export = write_export(tmp_path / "e.zip", {"help-platform/2026-03-02.json": day})
    items = read(export)
    assert len(items) == len(day)
    assert [r.text for r in requests_of(items)] == ["deploy failing?"]  # an edited message counts
    assert Counter(i.reason for i in items if isinstance(i, Skipped)) == {
        "join/leave": 2,
        "bot message": 2,
        "edit": 1,
        "delete": 1,
        "deleted message": 1,
        "thread reply": 1,
        "empty message": 1,
        "subtype channel_topic": 1,
    }
    assert all(i.origin.startswith("e.zip:help-platform/2026-03-02.json#") for i in items)


def test_the_same_message_twice_is_one_request_and_one_skip(tmp_path: Path) -> None:
    days = {
        "help-platform/2026-03-02.json": [msg(PARENT, text="first copy")],
        "help-platform/2026-03-03.json": [msg(PARENT, text="second copy")],
    }
    items = read(write_export(tmp_path / "e.zip", days))
    assert [r.text for r in requests_of(items)] == ["first copy"]
    assert [(i.origin, i.reason) for i in items if isinstance(i, Skipped)] == [
        ("e.zip:help-platform/2026-03-03.json#0", "duplicate message")
    ]


def test_a_message_with_only_files_is_a_request_named_by_its_files(tmp_path: Path) -> None:
    files = [
        {"id": "F1", "name": "error.png", "title": "build error"},
        {"id": "F2", "name": "x.log"},
    ]
    bare = msg(PARENT, "UASKER", "", subtype="file_share", files=files)
    hidden = msg("1772460100.000001", "UASKER", "", files=[{"id": "F3", "mode": "hidden_by_limit"}])
    export = write_export(tmp_path / "e.zip", {"help-platform/2026-03-02.json": [bare, hidden]})
    items = read(export)
    assert [r.text for r in requests_of(items)] == ["build error\nx.log"]
    assert [i.reason for i in items if isinstance(i, Skipped)] == ["empty message"]


def test_only_the_chosen_channels_are_read(tmp_path: Path) -> None:
    export = write_export(
        tmp_path / "e.zip",
        {
            "help-platform/2026-03-02.json": [msg(PARENT)],
            "random/2026-03-02.json": [msg("1772460100.000001", text="lunch?")],
        },
    )
    assert [r.channel for r in requests_of(read(export))] == ["C0HELP"]
    assert [r.channel for r in requests_of(read(export, ("#random",)))] == ["C0RAND"]
    both = requests_of(read(export, ("C0HELP", "random", "help-platform")))
    assert [r.channel for r in both] == ["C0HELP", "C0RAND"]


def test_an_unknown_channel_lists_the_available_ones(tmp_path: Path) -> None:
    export = write_export(tmp_path / "e.zip", {})
    with pytest.raises(IngestError, match=r"no channel 'help'.*available: help-platform, random"):
        read_slack_export(export, ["help"])
    with pytest.raises(IngestError, match=r"--channel; available: help-platform, random"):
        read_slack_export(export, [])


def test_workspace_comes_from_the_message_then_users_then_the_option(tmp_path: Path) -> None:
    days = {
        "help-platform/2026-03-02.json": [
            msg(PARENT, team="T0MSG"),
            msg("1772460100.000001", text="no team on this one"),
        ]
    }
    export = write_export(tmp_path / "e.zip", days)
    assert [r.workspace for r in requests_of(read(export))] == ["T0MSG", "T0WS"]
    assert {r.workspace for r in requests_of(read(export, workspace="T0SET"))} == {"T0SET"}
    no_teams = write_export(tmp_path / "n.zip", days, users=[{"id": "UASKER"}])
    assert [r.workspace for r in requests_of(read(no_teams))] == ["T0MSG", "default"]


def test_teams_of_plain_messages_come_from_the_user_teams_option(tmp_path: Path) -> None:
    export = thread(tmp_path, [])
    assert only_request(export).requester_team is None
    assert only_request(export, user_teams={"UASKER": "claims"}).requester_team == "claims"


def test_an_unzipped_export_folder_reads_like_the_zip(tmp_path: Path) -> None:
    export = thread(tmp_path, [reply("1772550000.000200", "USTAFF")], thread_ts=PARENT)
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(export) as archive:
        archive.extractall(folder / "My Workspace Slack export")  # Slack's zips unzip to a folder
    from_folder = [(type(i), i.origin.split(":", 1)[1]) for i in read(folder)]
    from_zip = [(type(i), i.origin.split(":", 1)[1]) for i in read(export)]
    assert from_folder == from_zip
    assert requests_of(read(folder))[0].first_responder == "USTAFF"


def test_an_export_zipped_inside_a_folder_is_found(tmp_path: Path) -> None:
    path = tmp_path / "nested.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("export/channels.json", json.dumps(CHANNELS))
        archive.writestr("export/help-platform/2026-03-02.json", json.dumps([msg(PARENT)]))
    assert len(requests_of(read(path))) == 1


# --- bad input: one IngestError, one line, naming the file and the place ---------------------


def one_line_error(path: Path, channels: tuple[str, ...] = ("help-platform",)) -> str:
    with pytest.raises(IngestError) as caught:
        list(read_slack_export(path, channels))
    message = str(caught.value)
    assert "\n" not in message and isinstance(caught.value, UserError)
    return message


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    path.write_text("id,text\n1,hello\n")
    assert "export.zip: not a zip file, or a truncated one" in one_line_error(path)


def test_a_truncated_zip(tmp_path: Path) -> None:
    days = {"help-platform/2026-03-02.json": [msg(PARENT)] * 50}
    full = write_export(tmp_path / "full.zip", days).read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(full[: len(full) // 2])
    assert "cut.zip: not a zip file, or a truncated one" in one_line_error(cut)


def test_a_corrupt_day_file_inside_a_zip(tmp_path: Path) -> None:
    messages = [msg(f"17724600{n:02d}.000001", text=f"request number {n}") for n in range(40)]
    path = write_export(tmp_path / "bad.zip", {"help-platform/2026-03-02.json": messages})
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("help-platform/2026-03-02.json")
    raw = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + 10  # inside the compressed data
    raw[start : start + 20] = bytes(20)
    path.write_bytes(bytes(raw))
    message = one_line_error(path)
    assert "bad.zip:help-platform/2026-03-02.json: cannot read" in message
    assert "truncated or corrupt" in message


def test_missing_channels_json(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("users.json", "[]")
    assert "export.zip: no channels.json" in one_line_error(path)


def test_a_day_file_that_is_not_json_names_line_and_column(tmp_path: Path) -> None:
    raw = b'[\n    {"ts": "1772460000.000100", "text": "hi"},\n    {"ts": oops}\n]'
    path = write_export(tmp_path / "e.zip", {}, extra={"help-platform/2026-03-02.json": raw})
    message = one_line_error(path)
    assert "e.zip:help-platform/2026-03-02.json: line 3 column 12: not valid JSON" in message


def test_a_message_without_ts_names_the_file_and_index(tmp_path: Path) -> None:
    day = [msg(PARENT), {"type": "message", "user": "UASKER", "text": "no ts"}]
    path = write_export(tmp_path / "e.zip", {"help-platform/2026-03-02.json": day})
    assert "e.zip:help-platform/2026-03-02.json: message [1] has no 'ts'" in one_line_error(path)


def test_a_malformed_ts_is_named_too(tmp_path: Path) -> None:
    path = write_export(tmp_path / "e.zip", {"help-platform/2026-03-02.json": [msg("yesterday")]})
    assert "message [0] has a malformed 'ts' 'yesterday'" in one_line_error(path)


def test_a_day_file_that_is_not_an_array(tmp_path: Path) -> None:
    day = {"messages": [msg(PARENT)]}
    path = write_export(tmp_path / "e.zip", {"help-platform/2026-03-02.json": day})
    message = one_line_error(path)
    assert (
        "help-platform/2026-03-02.json: expected a JSON array of messages, found object" in message
    )


def test_a_channel_list_entry_without_a_name(tmp_path: Path) -> None:
    path = write_export(tmp_path / "e.zip", {}, channels=[{"id": "C1"}])
    assert "e.zip:channels.json: channel [0] has no 'name'" in one_line_error(path)


def test_no_such_file(tmp_path: Path) -> None:
    assert "missing.zip: no such file" in one_line_error(tmp_path / "missing.zip")


def test_human_replies_go_with_their_request_without_text(tmp_path: Path) -> None:
    path = thread(
        tmp_path,
        [
            reply("1772460600.000100", "USTAFF", "try a rerun"),
            reply("1772461200.000100", "UASKER", "still red"),
            reply("1772461500.000100", "UBOT", "bot noise"),
            reply("1772461800.000100", "USTAFF2", "fixed <https://x|here>"),
        ],
    )
    request = only_request(path)
    assert [(r.ts, r.user, r.staff, r.length) for r in request.replies] == [
        ("1772460600.000100", "USTAFF", True, len("try a rerun")),
        ("1772461200.000100", "UASKER", False, len("still red")),
        ("1772461800.000100", "USTAFF2", True, len("fixed <https://x|here>")),
    ]
    assert request.replies[0].posted_at == at("1772460600.000100")
