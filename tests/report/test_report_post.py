"""`supportml report --post-to`: a real WebClient against the local stand-in for Slack's Web API.

The upload must be the HTML report whatever --format is, in the channel asked for, with the period
and headline KPIs as its comment; rate limits are retried; a missing token or a Slack error is one
line (naming the method and Slack's error code, never the token) and exit code 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from supportml.cli.report import report
from supportml.report import build_report
from supportml.report.kpis import HEADLINE
from supportml.report.post import slack_client, summary
from supportml.report.render import to_html
from supportml.store import open_store
from tests.report.conftest import SINCE, UNTIL, WEEK, insert
from tests.slack.fake_slack import FakeSlack, running

TOKEN = "xoxb-111-222-secret"
CHANNEL = "C0REPORTS"
PERIOD = ["--since", "2026-03-02", "--until", "2026-03-09"]


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_store(url)
    insert(engine, WEEK)
    engine.dispose()
    return url


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    with running() as fake:
        monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("SLACK_API_URL", fake.base_url.rstrip("/"))  # the '/' is added
        yield fake


def invoke(url: str, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(report, [*PERIOD, "--database-url", url, "--post-to", CHANNEL, *args])


def test_uploads_the_html_report_with_a_summary_whatever_the_format(url, slack):
    result = invoke(url, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["metrics"]["requests"]["value"] == 7  # stdout stays JSON
    assert f"posted to {CHANNEL} (file F00000001)" in result.stderr

    engine = open_store(url)
    expected = to_html(build_report(engine, SINCE, UNTIL))
    engine.dispose()
    assert slack.uploads == {"F00000001": expected.encode("utf-8")}
    (asked,) = slack.of("files.getUploadURLExternal")
    assert asked.body["filename"] == "support-report-2026-03-02-to-2026-03-09.html"
    assert int(asked.body["length"]) == len(expected.encode("utf-8"))
    assert asked.headers["Authorization"] == f"Bearer {TOKEN}"
    (done,) = slack.of("files.completeUploadExternal")
    assert done.body["channel_id"] == CHANNEL
    assert json.loads(done.body["files"])[0]["title"] == "Support report 2026-03-02 to 2026-03-09"
    comment = done.body["initial_comment"]
    assert comment.startswith("Support report 2026-03-02 to 2026-03-09 (end excluded)\n")
    assert "Requests: 7 (" in comment and "Resolved by documentation: 28.6%" in comment
    assert TOKEN not in result.output


def test_summary_is_period_and_headline_in_plain_text(url):
    engine = open_store(url)
    text = summary(build_report(engine, SINCE, UNTIL))
    engine.dispose()
    period, values = text.split("\n")
    assert period == "Support report 2026-03-02 to 2026-03-09 (end excluded)"
    assert len(values.split("; ")) == len(HEADLINE)
    # the week before held one request, unanswered: changes are relative, or in points for shares
    assert "Requests: 7 (+600% vs previous period)" in values
    assert "Acknowledged within 3 business hours: 66.7% (+66.7 pp vs previous period)" in values
    assert "*" not in text and "<" not in text


@pytest.mark.parametrize(("method", "status"), [("files.completeUploadExternal", 429),
                                                ("files.getUploadURLExternal", 500)])  # fmt: skip
def test_rate_limits_and_server_errors_are_retried(url, slack, method, status):
    slack.fail_next(method, status, times=1, retry_after=1)
    result = invoke(url, "--format", "html", "--out", "r.html")
    assert result.exit_code == 0, result.output
    assert [call.method for call in slack.failed] == [method]
    assert len(slack.of(method)) == 1 and len(slack.uploads) == 1
    assert slack.uploads["F00000001"] == Path("r.html").read_bytes()  # the file written is posted


def test_missing_token_is_one_line_and_posts_nothing(url, slack, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    result = invoke(url, "--format", "html", "--out", "r.html")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: SLACK_BOT_TOKEN is not set: export the bot token (xoxb-…) of an app with the "
        "files:write scope to post the report"
    ]
    assert slack.calls == [] and not Path("r.html").exists()  # failed before any work


def test_slack_error_names_the_method_and_code_never_the_token(url, slack):
    slack.error_next("files.completeUploadExternal", "channel_not_found")
    result = invoke(url)
    assert result.exit_code == 2
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert line == (
        f"error: Slack files.completeUploadExternal failed for channel {CHANNEL}: "
        "channel_not_found (use the channel ID (C0123ABCD), not its name, and invite the bot)"
    )
    assert "Traceback" not in result.output and TOKEN not in result.output


def test_unreachable_slack_is_one_line(url, monkeypatch):
    with running() as fake:
        closed = fake.base_url  # nothing listens there once the stand-in stops
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_API_URL", closed)
    result = invoke(url)
    assert result.exit_code == 2
    assert f"error: could not post to Slack at {closed}" in result.stderr
    assert TOKEN not in result.output


def test_client_retries_rate_limits_and_server_errors():
    client = slack_client(TOKEN, "https://slack-gov.com/api")
    assert client.base_url == "https://slack-gov.com/api/"
    kinds = {type(handler) for handler in client.retry_handlers}
    assert {RateLimitErrorRetryHandler, ServerErrorRetryHandler} <= kinds
    assert slack_client(TOKEN).base_url == "https://slack.com/api/"
