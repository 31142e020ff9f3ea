"""Post a report to Slack: the HTML page as a file in a channel, with a plain-text summary.

Kept apart from rendering so that only `supportml report --post-to` imports slack_sdk, and so the
posting can be tested against a stand-in for Slack's Web API with a real ``WebClient``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from supportml.errors import UserError
from supportml.report.kpis import Report
from supportml.report.render import format_change, format_value
from supportml.slack.client import web_client
from supportml.text import escape

# What to do about the errors people actually hit when posting (Slack's error codes).
HINTS = {
    "channel_not_found": "use the channel ID (C0123ABCD), not its name, and invite the bot",
    "not_in_channel": "invite the bot to the channel (/invite @the-bot)",
    "missing_scope": "the bot token needs the files:write scope",
    "invalid_auth": "SLACK_BOT_TOKEN is not a valid bot token",
    "not_authed": "SLACK_BOT_TOKEN is not a valid bot token",
}


class PostError(UserError):
    """The report could not be posted to Slack (no token, a Slack error, Slack unreachable)."""


def slack_client(token: str | None, base_url: str | None = None) -> WebClient:
    """The responder's WebClient (retries 429 and 5xx), or a PostError when there is no token."""
    if not token:
        raise PostError(
            "SLACK_BOT_TOKEN is not set: export the bot token (xoxb-…) of an app with the "
            "files:write scope to post the report"
        )
    return web_client(token, base_url)


def summary(report: Report) -> str:
    """Period and headline KPIs in two short lines of plain text."""
    values = "; ".join(
        f"{metric.label}: {format_value(metric.value, metric.unit)}"
        + (f" ({format_change(metric)})" if metric.value is not None else "")
        for metric in (report.metrics[key] for key in report.headline)
    )
    period = f"Support report {report.since:%Y-%m-%d} to {report.until:%Y-%m-%d} (end excluded)"
    return escape(f"{period}\n{values}")


@contextmanager
def _one_line(client: WebClient, channel: str) -> Iterator[None]:
    """Slack's errors as one PostError line, with what to do about the usual ones."""
    try:
        yield
    except SlackApiError as exc:
        method = str(exc.response.api_url).rsplit("/", 1)[-1]
        code = exc.response.get("error") or f"HTTP {exc.response.status_code}"
        hint = f" ({HINTS[code]})" if code in HINTS else ""
        raise PostError(f"Slack {method} failed for channel {channel}: {code}{hint}") from None
    except (SlackClientError, OSError) as exc:  # the upload step, or Slack unreachable
        raise PostError(f"could not post to Slack at {client.base_url}: {exc}") from None


def _upload(
    client: WebClient,
    channel: str,
    report: Report,
    html: str,
    initial_comment: str | None = None,
    thread_ts: str | None = None,
) -> str:
    name = f"support-report-{report.since:%Y-%m-%d}-to-{report.until:%Y-%m-%d}"
    response = client.files_upload_v2(
        channel=channel,
        content=html,
        filename=f"{name}.html",
        title=f"Support report {report.since:%Y-%m-%d} to {report.until:%Y-%m-%d}",
        initial_comment=initial_comment,
        thread_ts=thread_ts,
    )
    return str(response["file"]["id"])


def post_report(client: WebClient, channel: str, report: Report, html: str) -> str:
    """Upload ``html`` to ``channel`` with the summary as its comment; returns Slack's file id."""
    with _one_line(client, channel):
        return _upload(client, channel, report, html, initial_comment=summary(report))


def post_digest(
    client: WebClient, channel: str, report: Report, html: str, blocks: list[dict[str, Any]]
) -> tuple[str, str]:
    """Post the digest ``blocks`` to ``channel`` (the summary as the notification text), then
    the HTML report in its thread; returns (the message ts, the file id)."""
    with _one_line(client, channel):
        message = client.chat_postMessage(
            channel=channel, text=summary(report), blocks=blocks, unfurl_links=False
        )
        ts = str(message["ts"])
        return ts, _upload(client, channel, report, html, thread_ts=ts)
