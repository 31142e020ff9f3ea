"""manifest.yml must ask Slack for exactly what the responder handles: a command, shortcut or event
the code has no listener for gets a 404 from Bolt (Slack shows an error, or retries events)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import yaml

from supportml.slack import blocks
from supportml.slack.server import EVENTS_PATH
from supportml.store import transaction
from supportml.store.repository import find_request
from tests.slack.conftest import CHANNEL, HELPER, REQUESTER, envelope, interaction, message
from tests.slack.fake_slack import TEAM

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"

# Each bot event and the scope Slack requires for it (api.slack.com/events).
EVENT_SCOPES = {
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "reaction_added": "reactions:read",
}
# Scopes of the Web API methods supportml calls, and of the slash command and shortcut.
CALL_SCOPES = {
    "chat:write",  # chat.postMessage, chat.update, chat.postEphemeral
    "commands",  # /support and the global shortcut
    "channels:read",  # conversations.list for channel names in SUPPORTML_CHANNELS
    "groups:read",
    "files:write",  # `supportml report --post-to` (files.uploadV2)
    "users:read",  # kept for profile lookups (STACK-FACTS); nothing calls users.info yet
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_has_the_sections_slack_requires(manifest: dict[str, Any]) -> None:
    assert manifest["_metadata"]["major_version"] == 1
    assert manifest["display_information"]["name"]
    assert manifest["features"]["bot_user"]["display_name"]
    assert manifest["settings"]["socket_mode_enabled"] is True  # the default run mode
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_every_url_is_the_responder_events_path(manifest: dict[str, Any]) -> None:
    settings, features = manifest["settings"], manifest["features"]
    urls = [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *(command["url"] for command in features["slash_commands"]),
    ]
    for url in urls:
        parts = urlsplit(url)
        assert parts.scheme == "https" and parts.path == EVENTS_PATH, url


def test_scopes_are_exactly_what_events_and_calls_need(manifest: dict[str, Any]) -> None:
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert set(events) == set(EVENT_SCOPES)
    assert (
        set(manifest["oauth_config"]["scopes"]["bot"]) == set(EVENT_SCOPES.values()) | CALL_SCOPES
    )


def test_slash_command_and_shortcut_open_the_intake_form(harness: Any, manifest: Any) -> None:
    (command,) = manifest["features"]["slash_commands"]
    (shortcut,) = manifest["features"]["shortcuts"]
    assert shortcut["type"] == "global" and shortcut["callback_id"] == blocks.SHORTCUT
    slash = urlencode(
        {
            "command": command["command"],
            "text": "okta access denied",
            "trigger_id": "1.trigger",
            "user_id": REQUESTER,
            "channel_id": CHANNEL,
            "team_id": TEAM,
            "response_url": "https://example.invalid/r",
        }
    )
    assert harness.dispatch(slash, form=True) == 200
    payload = {
        "type": "shortcut",
        "callback_id": shortcut["callback_id"],
        "trigger_id": "2.t",
        "user": {"id": REQUESTER},
        "team": {"id": TEAM},
    }
    assert harness.dispatch(interaction(payload), form=True) == 200
    harness.settle()
    opened = harness.slack.wait_for("views.open", 2)
    views = [
        json.loads(c.body["view"]) if isinstance(c.body["view"], str) else c.body["view"]
        for c in opened
    ]
    assert [view["callback_id"] for view in views] == [blocks.INTAKE_VIEW] * 2
    other = urlencode(
        {"command": "/other", "trigger_id": "3.t", "user_id": REQUESTER, "team_id": TEAM}
    )
    assert harness.dispatch(other, form=True) == 404  # what a command missing a listener gets


def test_each_subscribed_event_has_a_listener(harness: Any) -> None:
    private = message("okta sso access denied, please grant me a role", channel_type="group")
    reaction = {
        "type": "reaction_added",
        "user": HELPER,
        "reaction": "eyes",
        "item": {"type": "message", "channel": CHANNEL, "ts": private["ts"]},
        "event_ts": private["ts"],
    }
    assert harness.dispatch(envelope(message("deploy failed, helm rollback?"))) == 200
    assert harness.dispatch(envelope(private)) == 200  # message.groups
    harness.settle()
    assert harness.dispatch(envelope(reaction)) == 200
    harness.settle()
    threads = {c.body["thread_ts"] for c in harness.slack.wait_for("chat.postMessage", 2)}
    assert private["ts"] in threads
    with transaction(harness.engine) as session:
        request = find_request(session, TEAM, CHANNEL, private["ts"])
        assert request is not None and request.first_responder == HELPER  # from the reaction
    mention = {
        "type": "app_mention",
        "user": REQUESTER,
        "text": "<@UBOT0001> hi",
        "channel": CHANNEL,
        "ts": private["ts"],
    }
    assert harness.dispatch(envelope(mention)) == 404  # not subscribed, and rightly so
