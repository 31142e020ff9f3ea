"""`supportml digest`: Block Kit within Slack's limits whatever the topics are called and however
many there are, posted with the HTML report in its thread; `digest-schedule` prints the timer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from supportml.cli import cli
from supportml.cli.report import last_full_week
from supportml.report import build_report
from supportml.report.digest import MAX_BLOCKS, MAX_HEADER, MAX_TEXT
from supportml.report.render import to_html
from supportml.store import open_store
from tests.report.conftest import SINCE, UNTIL, WEEK, at, insert, row
from tests.slack.fake_slack import FakeSlack, running

TOKEN = "xoxb-111-222-secret"
CHANNEL = "C0DIGEST1"
PERIOD = ["--since", "2026-03-02", "--until", "2026-03-09"]
HOSTILE = "<!here> & <@U0BOSS01|boss> *deploys*"


def store(tmp_path: Path, rows: list[dict[str, Any]]) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_store(url)
    insert(engine, rows)
    engine.dispose()
    return url


def digest(url: str, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["digest", *PERIOD, "--database-url", url, *args])


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    found = []
    for block in blocks:
        found += [block["text"]["text"]] if "text" in block else []
        found += [element["text"] for element in block.get("elements", ())]
    return found


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    with running() as fake:
        monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("SLACK_API_URL", fake.base_url)
        yield fake


def test_blocks_stay_within_slacks_limits_with_200_topics_and_a_hostile_name(tmp_path):
    rows = [row(at(3, 10), final_topic=HOSTILE, label_source="human") for _ in range(5)]
    rows += [
        row(at(3, 11), final_topic=f"topic {i:03d} " + "x" * 40, label_source="human")
        for i in range(200)
    ]
    url = store(tmp_path, rows)
    for top in ("10", "100"):
        result = digest(url, "--dry-run", "--top", top)
        assert result.exit_code == 0, result.output
        blocks = json.loads(result.stdout)["blocks"]
        assert len(blocks) <= MAX_BLOCKS
        assert blocks[0]["type"] == "header" and len(blocks[0]["text"]["text"]) <= MAX_HEADER
        assert all(len(text) <= MAX_TEXT for text in texts(blocks))
        joined = "\n".join(texts(blocks))
        assert "<!here>" not in joined and "<@U0BOSS01" not in joined
        assert "&lt;!here&gt; &amp; &lt;@U0BOSS01|boss&gt;" in joined  # shown, not broadcast
        topics = next(t for t in texts(blocks) if t.startswith("*Where support goes*"))
        listed = topics.count("\n• ")
        assert topics.endswith(f"…and {201 - listed} more")
        assert listed == 10 if top == "10" else 10 < listed < 100  # 3,000 characters cut it


def test_the_digest_is_posted_with_the_html_report_in_its_thread(tmp_path, slack):
    url = store(tmp_path, WEEK)
    result = digest(url, "--post-to", CHANNEL)
    assert result.exit_code == 0, result.output
    (message,) = slack.of("chat.postMessage")
    assert message.body["channel"] == CHANNEL
    blocks = message.body["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    headline = "\n".join(texts(blocks))
    assert "Requests: *7* (+600% vs previous period)" in headline
    assert message.body["text"].startswith("Support report 2026-03-02 to 2026-03-09")
    (done,) = slack.of("files.completeUploadExternal")
    posted_ts = slack.messages[0]["ts"]
    assert done.body["channel_id"] == CHANNEL and done.body["thread_ts"] == posted_ts
    engine = open_store(url)
    expected = to_html(build_report(engine, SINCE, UNTIL))
    engine.dispose()
    assert list(slack.uploads.values()) == [expected.encode("utf-8")]
    assert f"posted the digest to {CHANNEL}" in result.stdout and TOKEN not in result.output


def test_no_channel_or_no_token_is_one_line_and_posts_nothing(tmp_path, slack, monkeypatch):
    url = store(tmp_path, WEEK)
    missing = digest(url)
    assert missing.exit_code == 2 and "--post-to CHANNEL" in missing.output
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    no_token = digest(url, "--post-to", CHANNEL)
    assert no_token.exit_code == 2 and "SLACK_BOT_TOKEN is not set" in no_token.output
    assert "Traceback" not in missing.output + no_token.output and slack.calls == []


def test_the_default_period_is_the_last_full_week_in_the_teams_zone():
    # Monday 9 March 2026, 03:00 UTC is still Sunday evening in New York
    assert last_full_week(datetime(2026, 3, 9, 3, tzinfo=UTC), "UTC") == (
        datetime(2026, 3, 2, tzinfo=UTC),
        datetime(2026, 3, 9, tzinfo=UTC),
    )
    since, until = last_full_week(datetime(2026, 3, 9, 3, tzinfo=UTC), "America/New_York")
    assert (since.isoformat(), until.isoformat()) == (
        "2026-02-23T00:00:00-05:00",
        "2026-03-02T00:00:00-05:00",
    )


def test_digest_schedule_prints_the_cron_line_and_the_timer():
    result = CliRunner().invoke(cli, ["digest-schedule", "--hour", "9", "--", "--top", "5"])
    assert result.exit_code == 0, result.output
    cron = next(line for line in result.stdout.splitlines() if line.startswith("0 9 * * 1 "))
    assert "digest --top 5 >> digest.log" in cron
    assert "OnCalendar=Mon *-*-* 09:00:00" in result.stdout
    assert "SUPPORTML_DIGEST_ARGS=--top 5\n" in result.stdout
    assert "supportml-digest.timer" in result.stdout
