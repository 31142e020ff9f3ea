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
TOPICS = "by_topic"  # "Where support goes", shown right after the headline
# ... followed by where the staff time goes: the roadmap first, then per team and per topic
LEAD = (TOPICS, "effort_top_areas", "effort_by_team", "effort_by_topic")


def format_value(value: Any, unit: str) -> str:
    """A number as people read it: 12.3%, 2.6 h, 1,518; None as a dash."""
    if value is None:
        return DASH
    if unit in ("share", "change"):
        return f"{value * 100:+.1f}%" if unit == "change" else f"{value * 100:.1f}%"
    if unit == "hours":
        return f"{value:,.1f} h"
    if unit == "days":
        return f"{value:,.1f} d"
    if isinstance(value, float) and unit == "requests":
        return f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M} UTC"
    return str(value)


def format_change(metric: Metric) -> str:
    """A headline KPI's change: points for shares, relative otherwise; why not when unknown."""
    if metric.change is None:
        return "no previous data" if metric.previous is None else "previous was 0"
    if metric.unit == "share":
        return f"{metric.change * 100:+.1f} pp vs previous period"
    return f"{metric.change * 100:+.0f}% vs previous period"


def _unit_of(column: str) -> str:
    if column.endswith("share"):
        return "share"
    if column in ("change", "weekly_trend"):
        return "change"
    if column.endswith("hours"):
        return "hours"
    if column.endswith("days"):
        return "days"
    return ""


def _interval(row: dict[str, Any]) -> str:
    if row["corrected_share"] is None:
        return DASH
    low, high = (format_value(row[k], "share") for k in ("corrected_low", "corrected_high"))
    return f"{format_value(row['corrected_share'], 'share')} ({low.rstrip('%')}–{high})"


def _view(breakdown: Breakdown) -> tuple[list[str], list[list[Any]], list[list[str]]]:
    """(header, raw rows, shown cells): the topic table shows its corrected share and interval
    as one "18.0% (15.2–21.3%)" cell."""
    columns = list(breakdown.columns)
    raw = [list(row) for row in breakdown.rows]
    cells = [
        [format_value(value, _unit_of(column)) for column, value in zip(columns, row, strict=True)]
        for row in raw
    ]
    if breakdown.key != TOPICS:
        return columns, raw, cells
    at = columns.index("corrected_share")
    corrected = any(row[at] is not None for row in raw)  # else the note says why not
    merged = ["corrected_share (90% interval)"] if corrected else []
    for row, shown in zip(raw, cells, strict=True):
        named = dict(zip(columns, row, strict=True))
        shown[at : at + 3] = [_interval(named)] if corrected else []
        row[at : at + 3] = [named["corrected_share"]] if corrected else []
    return [*columns[:at], *merged, *columns[at + 3 :]], raw, cells


def _period(report: Report) -> str:
    filters = ", ".join(f"{k} = {v}" for k, v in vars(report.filters).items() if v) or "none"
    return (
        f"{report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC "
        f"(until excluded); filters: {filters}; business hours: {report.hours.describe()}"
    )


def _metric_value(metric: Metric) -> str:
    return format_value(metric.value, metric.unit) if metric.value is not None else DASH


def _split(report: Report) -> tuple[list[Metric], list[Metric], list[str]]:
    """(headline metrics, other metrics, one sentence per card hidden for lack of data)."""
    shown = [m for m in report.metrics.values() if m.value is not None]
    hidden = [
        f"{m.label} is not shown: {m.note}." for m in report.metrics.values() if m.value is None
    ]
    headline = [m for m in shown if m.key in report.headline]
    headline.sort(key=lambda m: report.headline.index(m.key))
    return headline, [m for m in shown if m.key not in report.headline], hidden


def _sections(report: Report) -> tuple[list[Breakdown], list[Breakdown]]:
    """(where support goes: the LEAD tables, the details in their computed order)."""
    lead = [report.breakdowns[key] for key in LEAD if key in report.breakdowns]
    return lead, [b for k, b in report.breakdowns.items() if k not in LEAD]


# --- JSON and markdown ---------------------------------------------------------------------------


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)


def _md(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_table(breakdown: Breakdown) -> list[str]:
    header, _raw, cells = _view(breakdown)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(_md(c) for c in row) + " |" for row in cells]


def to_markdown(report: Report) -> str:
    """Headline with changes, where support goes, the details, then the glossary."""
    headline, others, hidden = _split(report)
    lines = ["# Support report", "", _md(_period(report)), ""]
    lines += ["| Headline | value | change |", "|---|---:|---|"]
    lines += [
        f"| {_md(m.label)} | {_metric_value(m)} | {_md(format_change(m))} |" for m in headline
    ]
    lead, details = _sections(report)
    for number, breakdown in enumerate([*lead, *details]):
        if number == len(lead):
            lines += ["", "## Details", "", "| KPI | value |", "|---|---:|"]
            lines += [f"| {_md(m.label)} | {_metric_value(m)} |" for m in others]
            lines += ["", *(_md(sentence) for sentence in hidden)]
        lines += ["", f"## {_md(breakdown.title)}", ""]
        if breakdown.note:
            lines += [f"_{_md(breakdown.note)}_", ""]
        if breakdown.rows:
            lines += _md_table(breakdown)
    lines += ["", "## Glossary", ""]
    lines += [f"- **{_md(m.label)}**: {_md(m.definition)}" for m in report.metrics.values()]
    lines += [f"- **{_md(b.title)}**: {_md(b.definition)}" for b in [*lead, *details]]
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
.period, .note { color: #57606a; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: .8rem; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem .8rem; }
.card .value { font-size: 1.6rem; font-weight: 600; }
.card .label { font-weight: 600; } .card p { margin: .3rem 0 0; font-size: .8rem; }
.cards.headline { grid-template-columns: repeat(3, 1fr); }
.headline .card .value { font-size: 2rem; } .change { color: #57606a; }
.glossary dt { font-weight: 600; margin-top: .5rem; } .glossary dd { margin: 0; color: #57606a; }
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
        top = breakdown.rows[:12][::-1]
        if not top:
            return None
        positions = range(len(top))
        labels = [str(row[0]) for row in top]
        axes.barh([p + 0.2 for p in positions], [row[1] for row in top], 0.4, label="this period")
        previous = breakdown.columns.index("previous")
        axes.barh(
            [p - 0.2 for p in positions], [row[previous] for row in top], 0.4, label="previous"
        )
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
        return ""
    header, raw, cells = _view(breakdown)
    head = "".join(f"<th>{html.escape(c.replace('_', ' '))}</th>" for c in header)
    body = []
    for values, shown in zip(raw, cells, strict=True):
        tds = []
        for column, value, cell in zip(header, values, shown, strict=True):
            if column == "link" and value:
                tds.append(f"<td>{_link(value)}</td>")
            elif isinstance(value, int | float) and not isinstance(value, bool):
                tds.append(f'<td class="num">{html.escape(cell)}</td>')
            else:
                tds.append(f"<td>{html.escape(cell)}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _card(metric: Metric, with_change: bool) -> str:
    change = f'<p class="change">{html.escape(format_change(metric))}</p>' if with_change else ""
    return (
        f'<div class="card"><div class="label">{html.escape(metric.label)}</div>'
        f'<div class="value">{html.escape(_metric_value(metric))}</div>{change}</div>'
    )


def _section(breakdown: Breakdown) -> str:
    chart = _chart(breakdown) if breakdown.key in CHARTS else None
    image = (
        f'<img class="chart" alt="{html.escape(CHARTS[breakdown.key])}" '
        f'src="data:image/png;base64,{chart}">'
        if chart
        else ""
    )
    note = f'<p class="note">{html.escape(breakdown.note)}</p>' if breakdown.note else ""
    title = html.escape(breakdown.title)
    return f"<section><h2>{title}</h2>{note}{image}{_html_table(breakdown)}</section>"


def to_html(report: Report) -> str:
    """One self-contained page: headline cards with changes, where support goes, the details
    (other cards, charts, tables), and a glossary of every definition at the end."""
    headline, others, hidden = _split(report)
    lead, details = _sections(report)
    sections = [*lead, *details]
    hidden_notes = "".join(f'<p class="note">{html.escape(s)}</p>' for s in hidden)
    glossary = "".join(
        f"<dt>{html.escape(term)}</dt><dd>{html.escape(text)}</dd>"
        for term, text in [
            *((m.label, m.definition) for m in report.metrics.values()),
            *((b.title, b.definition) for b in sections),
        ]
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Support report {report.since:%Y-%m-%d} to {report.until:%Y-%m-%d}</title>"
        f"<style>{CSS}</style></head><body><h1>Support report</h1>"
        f'<p class="period">{html.escape(_period(report))}</p>'
        f'<div class="cards headline">{"".join(_card(m, True) for m in headline)}</div>'
        f"{''.join(_section(b) for b in lead)}"
        f'<h2>Details</h2><div class="cards">{"".join(_card(m, False) for m in others)}</div>'
        f"{hidden_notes}{''.join(_section(b) for b in details)}"
        f'<h2>Glossary</h2><dl class="glossary">{glossary}</dl></body></html>\n'
    )
