"""Routing with an ownership file, through signed requests to the real App and the stand-in:
the reply names the owning team and mentions only its on-support person; an abstention offers a
team select; Reassign by the requester or staff moves the request, a stranger changes nothing."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from supportml.ownership import Ownership, load_ownership
from supportml.slack import blocks
from supportml.store.models import FeedbackEvent
from tests.slack.conftest import CHANNEL, REQUESTER, STAFF, STRANGER, Harness, make_harness
from tests.slack.fake_slack import FakeSlack
from tests.slack.stored import feedback, request, rows
from tests.slack.test_slack_app import CLEAR, UNCLEAR, ask, click, last_update, replies

IDENTITY = "Identity <&> Access"  # mrkdwn characters: must be escaped, never parsed
ID_ONCALL, DELIVERY_ONCALL, DOCS_ONCALL = "U0IDONCAL", "U0DLONCAL", "U0DOONCAL"
TEAMS = f"""
teams:
  - name: "{IDENTITY}"
    topics: [access request]
    members: [{ID_ONCALL}, U0IDOTHER]
    user_group: S0IDENTITY
    rotation: {{order: [{ID_ONCALL}], handover: Monday 09:00, timezone: Europe/Berlin,
                start: 2026-01-05}}
  - name: Delivery
    topics: [CI Error, Failed Deployment, Environments]
    members: [{DELIVERY_ONCALL}]
    rotation: {{order: [{DELIVERY_ONCALL}], handover: Friday 17:00,
                timezone: America/New_York, start: 2026-01-02}}
  - name: Quality
    topics: [Test Failure, PR Review]
    members: [{DOCS_ONCALL}]
    rotation: {{order: [{DOCS_ONCALL}], handover: Monday 09:00, timezone: UTC,
                start: 2026-01-05}}
"""
ESCAPED = "Identity &lt;&amp;&gt; Access"


@pytest.fixture
def owners(tmp_path: Path) -> Ownership:
    path = tmp_path / "teams.yaml"
    path.write_text(textwrap.dedent(TEAMS), encoding="utf-8")
    return load_ownership(path)


def _running(trained: Any, slack_api: FakeSlack, url: str, owners: Ownership) -> Iterator[Harness]:
    built, server = make_harness(trained, slack_api, url, ownership=owners)
    yield built
    server.shutdown()
    server.server_close()
    built.engine.dispose()


@pytest.fixture
def routed(trained: Any, slack_api: FakeSlack, tmp_path: Path, owners: Ownership):
    yield from _running(trained, slack_api, f"sqlite:///{tmp_path / 'store.db'}", owners)


@pytest.fixture
def routed_any(trained: Any, slack_api: FakeSlack, database_url: str, owners: Ownership):
    yield from _running(trained, slack_api, database_url, owners)


def mentions(body: dict[str, Any]) -> list[str]:
    """Every Slack mention or special command in a posted body (text and blocks)."""
    return re.findall(r"<[@!#][^>]*>", json.dumps(body, ensure_ascii=False))


def team_select(content: list[dict[str, Any]]) -> dict[str, Any]:
    (actions,) = [b for b in content if b["type"] == "actions"]
    (select,) = [e for e in actions["elements"] if e["action_id"] == blocks.REASSIGN]
    assert select["type"] == "static_select"
    return select


def test_reply_names_the_owner_and_mentions_only_its_on_support_person(routed_any):
    harness = routed_any
    ts = ask(harness, CLEAR)
    (reply,) = replies(harness)
    assert mentions(reply) == [f"<@{ID_ONCALL}>", f"<@{ID_ONCALL}>"]  # text and the team line
    assert reply["text"].endswith(f"Team: {ESCAPED}, on support: <@{ID_ONCALL}>")
    (line,) = [b for b in reply["blocks"] if "*Team:*" in b.get("text", {}).get("text", "")]
    assert line["text"]["text"] == f"*Team:* {ESCAPED}, on support: <@{ID_ONCALL}>"
    select = team_select(reply["blocks"])
    assert [o["value"] for o in select["options"]] == [IDENTITY, "Delivery", "Quality"]
    assert select["initial_option"]["value"] == IDENTITY
    assert select["placeholder"]["text"] == "Reassign"
    row = request(harness.engine, ts)
    assert (row.assigned_team, row.assigned_to, row.assigned_by) == (IDENTITY, ID_ONCALL, None)
    assert rows(harness.engine, FeedbackEvent) == []  # routing by the file is nobody's feedback


def test_abstention_says_so_and_a_picked_team_is_notified(routed):
    harness = routed
    ts = ask(harness, UNCLEAR)
    (reply,) = replies(harness)
    assert "couldn't tell which topic" in reply["blocks"][0]["text"]["text"]
    assert any(
        b.get("text", {}).get("text") == "*Team:* I couldn't tell which team owns this; "
        "pick one below."
        for b in reply["blocks"]
    )
    assert mentions(reply) == []  # nobody is pinged for a request nobody owns
    select = team_select(reply["blocks"])
    assert select["placeholder"]["text"] == "Pick a team" and "initial_option" not in select
    assert request(harness.engine, ts).assigned_team is None

    click(harness, ts, REQUESTER, blocks.REASSIGN, topic="Delivery")
    row = request(harness.engine, ts)
    assert (row.assigned_team, row.assigned_to, row.assigned_by) == (
        "Delivery", DELIVERY_ONCALL, REQUESTER,
    )  # fmt: skip
    (event,) = rows(harness.engine, FeedbackEvent)
    assert (event.action, event.actor, event.value, event.previous) == (
        "reassign", REQUESTER, "Delivery", None,
    )  # fmt: skip
    update = last_update(harness)
    assert update["ts"] == row.reply_ts
    assert f"*Team:* Delivery, on support: <@{DELIVERY_ONCALL}>" in json.dumps(update)
    assert f"🔀 <@{REQUESTER}> moved it to *Delivery*" in json.dumps(update, ensure_ascii=False)
    told = replies(harness, ts)[1:]
    assert [(t["channel"], t["text"]) for t in told] == [
        (CHANNEL, f"<@{DELIVERY_ONCALL}>: this request now belongs to *Delivery*.")
    ]
    assert mentions(told[0]) == [f"<@{DELIVERY_ONCALL}>"] * 2


def test_staff_reassign_moves_the_request_and_a_later_topic_change_keeps_it(routed):
    harness = routed
    ts = ask(harness, CLEAR)
    click(harness, ts, STAFF, blocks.REASSIGN, topic="Quality")
    row = request(harness.engine, ts)
    assert (row.assigned_team, row.assigned_to, row.assigned_by) == ("Quality", DOCS_ONCALL, STAFF)
    (event,) = rows(harness.engine, FeedbackEvent)
    assert (event.action, event.value, event.previous) == ("reassign", "Quality", IDENTITY)
    assert ESCAPED not in last_update(harness)["text"]
    assert f"*Team:* Quality, on support: <@{DOCS_ONCALL}>" in json.dumps(last_update(harness))
    (told,) = replies(harness, ts)[1:]
    assert told["text"] == f"<@{DOCS_ONCALL}>: this request now belongs to *Quality*."
    # a topic whose owner is Delivery: the person's choice of team stands
    click(harness, ts, REQUESTER, blocks.CHANGE_TOPIC, topic="CI Error")
    row = request(harness.engine, ts)
    assert (row.final_topic, row.assigned_team, row.assigned_by) == ("CI Error", "Quality", STAFF)
    assert len(replies(harness, ts)) == 2  # nobody else was told
    # picking the team it already has changes nothing
    click(harness, ts, STAFF, blocks.REASSIGN, topic="Quality")
    assert [f[0] for f in feedback(harness.engine, row.id)] == ["reassign", "change_topic"]


def test_topic_change_reroutes_a_request_nobody_reassigned(routed):
    harness = routed
    ts = ask(harness, CLEAR)
    click(harness, ts, REQUESTER, blocks.CHANGE_TOPIC, topic="CI Error")
    row = request(harness.engine, ts)
    assert (row.assigned_team, row.assigned_to, row.assigned_by) == (
        "Delivery", DELIVERY_ONCALL, None,
    )  # fmt: skip
    (told,) = replies(harness, ts)[1:]
    assert told["text"] == f"<@{DELIVERY_ONCALL}>: this request now belongs to *Delivery*."


def test_a_stranger_cannot_reassign(routed):
    harness = routed
    ts = ask(harness, CLEAR)
    click(harness, ts, STRANGER, blocks.REASSIGN, topic="Delivery")
    (told,) = harness.slack.of("chat.postEphemeral")
    assert (told.body["channel"], told.body["user"]) == (CHANNEL, STRANGER)
    assert "Only the person who asked or support staff" in told.body["text"]
    row = request(harness.engine, ts)
    assert (row.assigned_team, row.assigned_to, row.assigned_by) == (IDENTITY, ID_ONCALL, None)
    assert rows(harness.engine, FeedbackEvent) == []
    assert harness.slack.of("chat.update") == [] and len(replies(harness)) == 1
