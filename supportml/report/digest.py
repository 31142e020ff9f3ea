"""The weekly digest: a report's headline numbers and top topics as one Block Kit message.

Built from a finished `Report`, so any section a report gains can be listed with one more
`list_section` call. Every text is Slack mrkdwn with people's values escaped (a topic named
``<!here>`` is shown, never broadcast), and the message keeps within Slack's limits: at most
`MAX_BLOCKS` blocks and `MAX_TEXT` characters per text; a list that does not fit ends with
"…and N more" (the full table is in the HTML report posted with it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from supportml.report.kpis import Report
from supportml.report.render import format_change, format_value
from supportml.text import escape

MAX_BLOCKS = 50  # Slack's limit for a message
MAX_TEXT = 3000  # Slack's limit for a section's text
MAX_HEADER = 150  # Slack's limit for a header's plain text
MAX_LINE = 300  # one listed item (a topic named by a paragraph is cut, not dropped)
TOP_TOPICS = 10
FOLLOW_UPS = ("reminders_sent", "escalations_sent")  # shown with the headline when computed


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, MAX_TEXT)}}


def list_section(title: str, lines: Sequence[str], limit: int) -> dict[str, Any]:
    """``*title*`` and up to ``limit`` lines, as many as fit in one text; the rest is counted
    ("…and N more"). Lines are mrkdwn already escaped."""
    head = f"*{escape(title)}*"
    shown: list[str] = []
    for i, line in enumerate(_clip(line, MAX_LINE) for line in lines[:limit]):
        rest = len(lines) - i - 1
        tail = f"\n…and {rest:,} more" if rest else ""
        if len("\n".join([head, *shown, line])) + len(tail) > MAX_TEXT:
            break
        shown.append(line)
    more = len(lines) - len(shown)
    return _section("\n".join([head, *shown] + ([f"…and {more:,} more"] if more else [])))


def headline_lines(report: Report) -> list[str]:
    """One line per headline KPI with its change, then the follow-ups sent."""
    lines = []
    for key in report.headline:
        metric = report.metrics[key]
        if metric.value is None:
            lines.append(f"• {escape(metric.label)}: – ({escape(metric.note)})")
            continue
        shown = format_value(metric.value, metric.unit)
        lines.append(f"• {escape(metric.label)}: *{shown}* ({escape(format_change(metric))})")
    for key in FOLLOW_UPS:
        sent = report.metrics.get(key)
        if sent is not None and sent.value is not None:
            lines.append(f"• {escape(sent.label)}: *{format_value(sent.value, sent.unit)}*")
    return lines


def topic_lines(report: Report) -> list[str]:
    """ "Where support goes": each topic's requests, share and change, most requests first."""
    table = report.breakdowns.get("by_topic")
    if table is None:
        return []
    at = {column: i for i, column in enumerate(table.columns)}
    lines = []
    for row in table.rows:
        change = row[at["change"]]
        trend = "" if change is None else f", {format_value(change, 'change')} vs before"
        lines.append(
            f"• {escape(str(row[at['topic']]))}: {format_value(row[at['requests']], 'requests')} "
            f"({format_value(row[at['share']], 'share')}{trend})"
        )
    return lines


def problem_area_lines(report: Report) -> list[str]:
    """The top problem areas by estimated staff time, after the report's one-sentence summary."""
    table = report.breakdowns.get("effort_top_areas")
    if table is None or not table.rows:
        return []
    at = {column: i for i, column in enumerate(table.columns)}
    lines = [escape(table.note)] if table.note else []
    for row in table.rows:
        hours = format_value(row[at["staff_hours"]], "hours")
        share = format_value(row[at["staff_share"]], "share")
        lines.append(
            f"• {escape(str(row[at['topic']]))} ({escape(str(row[at['team']]))}): {hours} "
            f"({share} of staff time), {escape(str(row[at['doc_status']]))}"
        )
    return lines


def digest_blocks(report: Report, top: int = TOP_TOPICS) -> list[dict[str, Any]]:
    """The digest's blocks: a header, the period, the headline, the top ``top`` topics and the
    top problem areas by staff time (when replies were captured)."""
    period = f"{report.since:%Y-%m-%d} to {report.until:%Y-%m-%d} (end excluded)"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _clip(f"Support digest: {period}", MAX_HEADER)},
        },
        list_section("Headline", headline_lines(report), limit=len(report.headline) + 2),
        list_section("Where support goes", topic_lines(report), limit=top),
    ]
    areas = problem_area_lines(report)
    if areas:
        blocks.append(list_section("Top problem areas by staff time", areas, limit=len(areas)))
    blocks += [
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "The full report is attached in the thread."}],
        },
    ]
    assert len(blocks) <= MAX_BLOCKS
    return blocks
