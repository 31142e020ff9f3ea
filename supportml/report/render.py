"""Turn a Report into what people read: markdown, JSON, CSV files, or one self-contained HTML page.

The HTML page embeds its charts as base64 PNGs (matplotlib, no pyplot state) and its CSS, so it can
be mailed or uploaded as a single file; every string that came from users (request text, topics,
teams, channels, links) is escaped, and only http(s) links become anchors.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from supportml import csvsafe
from supportml.report.kpis import REQUEST_COLUMNS, Breakdown, Metric, Report

DASH = "—"
# The KPIs printed after `supportml report` and posted with the report to Slack.
HEADLINE = (
    "requests",
    "tracked_automatically",
    "resolved_by_docs",
    "first_response_median_hours",
    "acknowledged_within_target",
    "unanswered_older",
)


def format_value(value: Any, unit: str) -> str:
    """A number as people read it: 12.3%, 2.6 h, 1,518; None as a dash."""
    if value is None:
        return DASH
    if unit in ("share", "change"):
        return f"{value * 100:+.1f}%" if unit == "change" else f"{value * 100:.1f}%"
    if unit == "hours":
        return f"{value:,.1f} h"
    if isinstance(value, float) and unit == "requests":
        return f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M} UTC"
    return str(value)


def _unit_of(column: str) -> str:
    if column.endswith("share"):
        return "share"
    if column == "change":
        return "change"
    if column.endswith("hours"):
        return "hours"
    return ""


def _cells(breakdown: Breakdown) -> list[list[str]]:
    return [
        [
            format_value(value, _unit_of(column))
            for column, value in zip(breakdown.columns, row, strict=True)
        ]
        for row in breakdown.rows
    ]


def _period(report: Report) -> str:
    filters = ", ".join(f"{k} = {v}" for k, v in vars(report.filters).items() if v) or "none"
    return (
        f"{report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC "
        f"(until excluded); filters: {filters}; business hours: {report.hours.describe()}"
    )


def _metric_value(metric: Metric) -> str:
    return format_value(metric.value, metric.unit) if metric.value is not None else DASH


# --- JSON and markdown ---------------------------------------------------------------------------


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)


def _md(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    lines = ["# Support report", "", _md(_period(report)), "", "| KPI | value | definition |"]
    lines.append("|---|---:|---|")
    for metric in report.metrics.values():
        definition = metric.definition + (f" ({metric.note})" if metric.note else "")
        lines.append(f"| {_md(metric.label)} | {_metric_value(metric)} | {_md(definition)} |")
    for breakdown in report.breakdowns.values():
        lines += ["", f"## {_md(breakdown.title)}", "", _md(breakdown.definition), ""]
        if not breakdown.rows:
            lines.append(f"_{_md(breakdown.note)}_")
            continue
        lines.append("| " + " | ".join(breakdown.columns) + " |")
        lines.append("|" + "---|" * len(breakdown.columns))
        lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in _cells(breakdown)]
    return "\n".join(lines) + "\n"


# --- CSV -----------------------------------------------------------------------------------------


def _csv_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def write_csv(report: Report, folder: Path, requests: Iterable[tuple[Any, ...]]) -> list[Path]:
    """``requests.csv`` (one row per request), ``metrics.csv``, and one file per breakdown."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []

    def write(name: str, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
        path = folder / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csvsafe.Writer(handle)
            writer.writerow(header)
            writer.writerows([_csv_value(v) for v in row] for row in rows)
        written.append(path)

    write("requests", REQUEST_COLUMNS, requests)
    write(
        "metrics",
        ("key", "label", "value", "unit", "note", "definition"),
        ((m.key, m.label, m.value, m.unit, m.note, m.definition) for m in report.metrics.values()),
    )
    for breakdown in report.breakdowns.values():
        write(breakdown.key, breakdown.columns, breakdown.rows)
    return written


# --- HTML ----------------------------------------------------------------------------------------

CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1f24;
       max-width: 1100px; margin: 2rem auto; padding: 0 1rem; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #d0d7de; }
.period, .definition, .note { color: #57606a; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: .8rem; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem .8rem; }
.card .value { font-size: 1.6rem; font-weight: 600; }
.card .label { font-weight: 600; } .card p { margin: .3rem 0 0; font-size: .8rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border-bottom: 1px solid #eaeef2; padding: .3rem .5rem; text-align: left;
         vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
img.chart { max-width: 100%; height: auto; }
@media print {
  body { max-width: none; margin: 0; font-size: 11px; }
  .card, table, img.chart { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""

CHARTS = {"by_week": "requests per week", "by_topic": "top topics vs previous period"}


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _chart(breakdown: Breakdown) -> str | None:
    """A base64 PNG for the breakdowns that read better as pictures; None when empty."""
    from matplotlib.figure import Figure

    if not breakdown.rows:
        return None
    figure = Figure(figsize=(10, 3.4))
    axes = figure.subplots()
    if breakdown.key == "by_week":
        weeks = [row[0] for row in breakdown.rows]
        axes.bar(weeks, [row[1] for row in breakdown.rows], width=5, color="#4c78a8")
        axes.set_ylabel("requests")
        shares = [
            (w, row[3]) for w, row in zip(weeks, breakdown.rows, strict=True) if row[3] is not None
        ]
        if shares:
            twin = axes.twinx()
            twin.plot(
                *zip(*shares, strict=True),
                color="#e45756",
                marker=".",
                label="low-confidence share",
            )
            twin.set_ylim(0, 1)
            twin.set_ylabel("low-confidence share")
            twin.legend(loc="upper left", frameon=False)
        figure.autofmt_xdate()
    else:
        top = [row for row in breakdown.rows if row[0] != "(none)"][:12][::-1]
        if not top:
            return None
        positions = range(len(top))
        labels = [str(row[0]) for row in top]
        axes.barh([p + 0.2 for p in positions], [row[1] for row in top], 0.4, label="this period")
        axes.barh([p - 0.2 for p in positions], [row[3] for row in top], 0.4, label="previous")
        axes.set_yticks(list(positions), labels)
        axes.set_xlabel("requests")
        axes.legend(frameon=False)
        figure.set_figheight(max(2.5, 0.38 * len(top) + 1))
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def _link(url: Any) -> str:
    text = html.escape(str(url))
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return f'<a href="{text}">thread</a>'
    return text


def _html_table(breakdown: Breakdown) -> str:
    if not breakdown.rows:
        return f'<p class="note">{html.escape(breakdown.note)}</p>'
    head = "".join(f"<th>{html.escape(c)}</th>" for c in breakdown.columns)
    body = []
    for raw, cells in zip(breakdown.rows, _cells(breakdown), strict=True):
        tds = []
        for column, value, cell in zip(breakdown.columns, raw, cells, strict=True):
            if column == "permalink" and value:
                tds.append(f"<td>{_link(value)}</td>")
            elif isinstance(value, int | float) and not isinstance(value, bool):
                tds.append(f'<td class="num">{html.escape(cell)}</td>')
            else:
                tds.append(f"<td>{html.escape(cell)}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def to_html(report: Report) -> str:
    """One self-contained page: headline cards, charts, and every breakdown as a table."""
    cards = []
    for metric in report.metrics.values():
        note = f'<p class="note">{html.escape(metric.note)}</p>' if metric.note else ""
        cards.append(
            f'<div class="card"><div class="label">{html.escape(metric.label)}</div>'
            f'<div class="value">{html.escape(_metric_value(metric))}</div>{note}'
            f'<p class="definition">{html.escape(metric.definition)}</p></div>'
        )
    sections = []
    for breakdown in report.breakdowns.values():
        chart = _chart(breakdown) if breakdown.key in CHARTS else None
        image = (
            f'<img class="chart" alt="{html.escape(CHARTS[breakdown.key])}" '
            f'src="data:image/png;base64,{chart}">'
            if chart
            else ""
        )
        sections.append(
            f"<section><h2>{html.escape(breakdown.title)}</h2>"
            f'<p class="definition">{html.escape(breakdown.definition)}</p>'
            f"{image}{_html_table(breakdown)}</section>"
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Support report {report.since:%Y-%m-%d} to {report.until:%Y-%m-%d}</title>"
        f"<style>{CSS}</style></head><body><h1>Support report</h1>"
        f'<p class="period">{html.escape(_period(report))}</p>'
        f'<div class="cards">{"".join(cards)}</div>{"".join(sections)}</body></html>\n'
    )
