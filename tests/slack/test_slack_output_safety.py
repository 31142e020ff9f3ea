"""Hostile topic names, form values and doc URLs cannot ping, mention or link, and a NUL in an
event cannot lose it (issue 15)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from supportml.slack import blocks
from supportml.slack.blocks import Link, ReplyView
from supportml.text import slack_link
from tests.slack.conftest import message
from tests.slack.fake_slack import TEAM
from tests.slack.stored import request

HOSTILE = ("<!here>", "<!channel> x", "<!everyone>", "<!subteam^S0123|@support>", "<@U0123ABC>")
MENTION = re.compile(r"<[!@#]")


def mrkdwn_of(value: Any) -> list[str]:
    """Every mrkdwn string in a Block Kit payload (plain_text is never parsed for mentions)."""
    if isinstance(value, list):
        return [text for item in value for text in mrkdwn_of(item)]
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn":
            return [value["text"]]
        return [text for item in value.values() for text in mrkdwn_of(item)]
    return []


def view(topic: str, **changes: Any) -> ReplyView:
    base = ReplyView(
        request_id=1,
        topics=(topic, "CI Error"),
        suggested=topic,
        confidence=0.9,
        abstained=False,
        final_topic=None,
        label_source="model",
        links=(Link(topic, "https://docs.example.gov/a"),),
        history=(blocks.history_line("change_topic", "U1", topic) or "",),
    )
    return replace(base, **changes)


@pytest.mark.parametrize("topic", HOSTILE)
@pytest.mark.parametrize("labelled", [False, True])
def test_a_trained_or_chosen_topic_cannot_mention_anyone(topic, labelled):
    state = view(topic, final_topic=topic, label_source="human") if labelled else view(topic)
    text, content = blocks.reply(state)
    assert "&lt;" in text  # the fallback `text` is escaped too, not only the blocks
    for sent in [text, *mrkdwn_of(content)]:
        assert not MENTION.search(sent.replace("<@U1>", "")), sent


@pytest.mark.parametrize("value", HOSTILE)
def test_a_form_post_cannot_mention_anyone(value):
    text, content = blocks.form_post("U1> <!channel", f"help {value}", value)
    for sent in [text, *mrkdwn_of(content)]:
        assert not MENTION.search(sent.replace("<@U1&gt; &lt;!channel>", "")), sent


@pytest.mark.parametrize(
    "url",
    [
        "https://x.example/a|b",
        "https://x.example/a>b",
        "https://x.example/<!here>",
        "https://x.example/a?q=<@U0123>&r=1",
        "https://x.example/a b\"c'`",
        "https://x.example/ü",
    ],
)
def test_a_link_target_is_fully_percent_encoded(url):
    link = slack_link(url, "<!here> | docs")
    match = re.fullmatch(r"<([^<>|\s\"'`]+)\|([^<>|]*)>", link)
    assert match, link
    assert match.group(2) == "&lt;!here&gt; ¦ docs"
    assert match.group(1).isascii()


def test_a_plain_link_keeps_its_query_and_fragment():
    url = "https://docs.example.gov/p%20q?a=1&b=2#part"
    assert slack_link(url, "t") == f"<{url}|t>"


def test_a_live_event_with_nul_is_stored_and_answered(on_any_store):
    harness = on_any_store
    event = message("okta sso access denied\x00, can someone grant me a role?")
    assert harness.responder.handle_event(event, TEAM, "EvNUL0001").done == "replied"
    assert request(harness.engine, event["ts"]).text == (
        "okta sso access denied, can someone grant me a role?"
    )
