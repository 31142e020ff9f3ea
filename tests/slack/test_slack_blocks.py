"""Block Kit built from a request's state: pure functions, no Slack and no store."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from supportml.slack import blocks
from supportml.slack.blocks import Link, ReplyView
from supportml.text import escape

TOPICS = ("Access Request", "CI Error", "PR Review")
SUGGESTED = ReplyView(
    request_id=7,
    topics=TOPICS,
    suggested="Access Request",
    confidence=0.93,
    abstained=False,
    final_topic="Access Request",
    label_source="model",
    links=(Link("Requesting Okta | SSO <access>", "https://h.example.gov/a?x=1|y>z"),),
)


def actions_of(content: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The actions block's elements by action id (empty when the reply has no actions)."""
    found = [block for block in content if block["type"] == "actions"]
    assert len(found) <= 1
    return {element["action_id"]: element for element in (found[0]["elements"] if found else [])}


def context_of(content: list[dict[str, Any]]) -> list[str]:
    return [e["text"] for block in content if block["type"] == "context" for e in block["elements"]]


def test_escape_turns_slack_control_characters_into_entities():
    assert escape("<@U123> & <!channel> <https://x|y>") == (
        "&lt;@U123&gt; &amp; &lt;!channel&gt; &lt;https://x|y&gt;"
    )
    assert escape("デプロイ 🚀 Привет") == "デプロイ 🚀 Привет"


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("supportml_request:42", 42),
        (blocks.block_id(9), 9),
        ("supportml_request:", None),
        ("supportml_request:-1", None),
        ("supportml_request:4a", None),
        ("supportml_request:²", None),  # isdigit() but not a number int() accepts
        ("other:42", None),
        ("", None),
        (None, None),
    ],
)
def test_request_id_of_reads_only_our_block_ids(block, expected):
    assert blocks.request_id_of(block) == expected


def test_suggested_reply_offers_every_action_and_escaped_links():
    text, content = blocks.reply(SUGGESTED)
    assert text == "Suggested topic: Access Request (93%)"
    assert content[0]["text"]["text"] == "*Suggested topic:* Access Request (93% confident)"
    links = content[1]["text"]["text"]
    # the title cannot end the link early or inject markup; the URL cannot close it
    assert "<https://h.example.gov/a?x=1%7Cy%3Ez|Requesting Okta ¦ SSO &lt;access&gt;>" in links
    actions = actions_of(content)
    assert list(actions) == [
        blocks.CONFIRM,
        blocks.CHANGE_TOPIC,
        blocks.DOCS_SOLVED,
        blocks.NEED_HELP,
        blocks.RESOLVE,
    ]
    assert [o["value"] for o in actions[blocks.CHANGE_TOPIC]["options"]] == list(TOPICS)
    assert "initial_option" not in actions[blocks.CHANGE_TOPIC]  # a guess is not preselected
    assert content[2]["block_id"] == "supportml_request:7"
    assert blocks.request_id_of(content[2]["block_id"]) == 7
    assert context_of(content) == []
    json.dumps(content)  # what the WebClient sends


def test_abstained_reply_says_so_and_offers_only_the_select():
    view = replace(
        SUGGESTED, abstained=True, final_topic=None, label_source=None, links=(), confidence=0.3
    )
    text, content = blocks.reply(view)
    assert text == "I couldn't tell which topic this is; please pick one."
    assert content[0]["text"]["text"].startswith("I couldn't tell which topic this is.")
    assert list(actions_of(content)) == [blocks.CHANGE_TOPIC, blocks.RESOLVE]
    empty = replace(view, suggested=None, confidence=None, abstained=False)
    assert blocks.reply(empty)[0] == text  # a message with no text at all reads the same


def test_labelled_reply_shows_the_topic_and_who_said_so():
    view = replace(
        SUGGESTED,
        final_topic="CI Error",
        label_source="human",
        history=(blocks.history_line("change_topic", "U0REQUEST1", "CI Error"),),
    )
    text, content = blocks.reply(view)
    assert text == "Topic: CI Error"
    assert content[0]["text"]["text"] == "*Topic:* CI Error (confirmed)"
    actions = actions_of(content)
    assert blocks.CONFIRM not in actions
    assert actions[blocks.CHANGE_TOPIC]["initial_option"]["value"] == "CI Error"
    assert context_of(content) == ["✏️ <@U0REQUEST1> set the topic to *CI Error*"]
    form = blocks.reply(replace(view, label_source="form"))[1]
    assert form[0]["text"]["text"] == "*Topic:* CI Error (chosen on the form)"


def test_resolved_reply_has_no_actions_and_says_how():
    view = replace(
        SUGGESTED,
        status="resolved",
        resolution="docs",
        history=(blocks.history_line("doc_resolved", "U0REQUEST1", None),),
    )
    _, content = blocks.reply(view)
    assert actions_of(content) == {}
    assert context_of(content) == [
        "📗 <@U0REQUEST1>: the docs solved it",
        "Resolved by the documentation.",
    ]
    _, by_person = blocks.reply(replace(view, resolution="human", history=()))
    assert context_of(by_person) == ["Resolved."]


def test_deleted_reply_keeps_nothing_of_the_request():
    text, content = blocks.reply(replace(SUGGESTED, deleted=True))
    assert text == "This request was deleted."
    assert content == [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def test_reply_context_keeps_the_last_ten_notes():
    notes = tuple(blocks.history_line("confirm", f"U{i:08d}", "CI Error") for i in range(14))
    _, content = blocks.reply(replace(SUGGESTED, history=notes))
    shown = context_of(content)
    assert len(shown) == 10  # Slack's limit of elements in a context block
    assert shown[-1] == "✅ <@U00000013> confirmed *CI Error*"


def test_history_lines_escape_and_skip_unknown_actions():
    assert blocks.history_line("confirm", "U1", "A<b>") == "✅ <@U1> confirmed *A&lt;b&gt;*"
    assert blocks.history_line("doc_not_helpful", "U1", None) == "🙋 <@U1> still needs help"
    assert blocks.history_line("resolve", "U1", None) == "☑️ <@U1> marked it resolved"
    assert blocks.history_line("doc_helpful", "U1", "x") is None


def test_topic_select_respects_slack_limits():
    topics = [f"Topic {i:03d} " + "x" * 90 for i in range(120)]
    select = blocks.topic_select("a", topics, topics[110], "Pick")
    assert len(select["options"]) == blocks.MAX_OPTIONS
    assert all(len(o["text"]["text"]) <= blocks.MAX_OPTION_TEXT for o in select["options"])
    assert "initial_option" not in select  # the initial option must be one of the options
    chosen = blocks.topic_select("a", topics, topics[5], "Pick")
    assert chosen["initial_option"]["value"] == topics[5]


def test_intake_modal_prefills_summary_and_suggested_topic():
    modal = blocks.intake_modal(TOPICS, "C0SUPPORT1", "okta access denied", "Access Request")
    assert modal["callback_id"] == blocks.INTAKE_VIEW
    assert modal["private_metadata"] == "C0SUPPORT1"
    summary, topic = modal["blocks"]
    assert summary["block_id"] == blocks.SUMMARY_BLOCK
    assert summary.get("optional") is not True
    assert summary["element"]["action_id"] == blocks.SUMMARY_INPUT
    assert summary["element"]["initial_value"] == "okta access denied"
    assert topic["block_id"] == blocks.TOPIC_BLOCK and topic["optional"] is True
    assert topic["element"]["action_id"] == blocks.TOPIC_INPUT
    assert topic["element"]["initial_option"]["value"] == "Access Request"
    empty = blocks.intake_modal(TOPICS, "C0SUPPORT1")
    assert "initial_value" not in empty["blocks"][0]["element"]
    assert "initial_option" not in empty["blocks"][1]["element"]
    unknown = blocks.intake_modal(TOPICS, "C0SUPPORT1", "x", "Not A Topic")
    assert "initial_option" not in unknown["blocks"][1]["element"]


def test_form_post_names_the_submitter_and_escapes_the_summary():
    text, content = blocks.form_post("U0REQUEST1", "deploy <failed> & <!here>", "CI Error")
    assert text == "Support request from <@U0REQUEST1>"
    assert [f["text"] for f in content[0]["fields"]] == [
        "*Submitted by*\n<@U0REQUEST1>",
        "*Topic*\nCI Error",
    ]
    assert content[1]["text"]["text"] == "*Summary*\ndeploy &lt;failed&gt; &amp; &lt;!here&gt;"
    _, untopical = blocks.form_post("U0REQUEST1", "help", None)
    assert len(untopical[0]["fields"]) == 1


@pytest.mark.parametrize("summary", ["a" * 3000, "&" * 3000, "x" + "<" * 2999])
def test_form_post_summary_fits_a_section_without_broken_entities(summary):
    """The modal allows 3,000 characters; the section holding them may have no more."""
    _, content = blocks.form_post("U0REQUEST1", summary, None)
    section = content[1]["text"]["text"]
    assert len(section) <= blocks.MAX_SECTION_TEXT
    body = section.removeprefix("*Summary*\n")
    assert body.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").count("&") == 0


def mrkdwn(value: Any) -> list[str]:
    """Every text Slack parses as mrkdwn in a block structure."""
    if isinstance(value, list):
        return [text for item in value for text in mrkdwn(item)]
    if isinstance(value, dict):
        own = [value["text"]] if value.get("type") == "mrkdwn" else []
        return own + [text for item in value.values() for text in mrkdwn(item)]
    return []


HOSTILE_TEAM = "<!channel> Team <@U0EVIL001> & <!subteam^S0ALL|all>"


def test_routed_reply_escapes_the_team_and_mentions_only_the_on_support_person():
    view = replace(SUGGESTED, teams=(HOSTILE_TEAM, "Delivery"), team=HOSTILE_TEAM,
                   on_support="U0ONCALL1")  # fmt: skip
    text, content = blocks.reply(view)
    parsed = " ".join([text, *mrkdwn(content)])  # select options are plain text: never parsed
    assert "<!" not in parsed and "<@U0EVIL001>" not in parsed
    assert parsed.count("<@") == 2 and parsed.count("<@U0ONCALL1>") == 2  # text and team line
    assert f"*Team:* {escape(HOSTILE_TEAM)}, on support: <@U0ONCALL1>" in parsed


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({"team": "Delivery", "on_support": None},
         "*Team:* Delivery (nobody is on support there right now)"),
        ({"abstained": True}, "*Team:* I couldn't tell which team owns this; pick one below."),
        ({"final_topic": "<!here>", "label_source": "human"},
         "*Team:* no team owns &lt;!here&gt; yet; pick one below."),
    ],
)  # fmt: skip
def test_team_line_without_an_on_support_person_mentions_nobody(changes, line):
    text, content = blocks.reply(replace(SUGGESTED, teams=("Delivery",), **changes))
    assert content[1]["text"]["text"] == line
    assert "<@" not in json.dumps({"text": text, "blocks": content})


def test_no_ownership_file_means_no_team_line_and_no_select():
    text, content = blocks.reply(SUGGESTED)
    assert "Team" not in json.dumps(content) and "Team" not in text
