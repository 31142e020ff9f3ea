"""Rendering: user text escaped in HTML, charts embedded, JSON that loads back, CSV files."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from supportml.report import build_report, request_rows
from supportml.report.kpis import REQUEST_COLUMNS
from supportml.report.render import format_value, to_html, to_json, to_markdown, write_csv
from supportml.store import open_store
from tests.report.conftest import SINCE, UNTIL, WEEK, at, insert, row


@pytest.fixture
def engine(tmp_path: Path):
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    insert(engine, WEEK)
    insert(
        engine,
        [
            row(at(3, 9), requester_team="<b>team</b>", final_topic="CI Error",
                permalink="javascript:alert(1)", text="</td><img src=x onerror=alert(2)>"),
        ],
    )  # fmt: skip
    yield engine
    engine.dispose()


def test_html_escapes_user_text_and_embeds_charts(engine):
    page = to_html(build_report(engine, SINCE, UNTIL))
    assert "<script" not in page  # not even the report's own: the page needs none
    assert "&lt;script&gt;alert(&#x27;lost&#x27;)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<b>team</b>" not in page and "&lt;b&gt;team&lt;/b&gt;" in page
    assert 'href="javascript:' not in page  # only http(s) links become anchors
    assert '<a href="https://example.slack.com/archives/C1/p6">thread</a>' in page
    charts = re.findall(r'<img class="chart" alt="[^"]+" src="data:image/png;base64,([^"]+)"', page)
    assert len(charts) == 2 and all(len(chart) > 1000 for chart in charts)
    assert "@media print" in page and "http" not in page.split("<body>")[0]  # nothing fetched


def test_json_round_trips(engine):
    report = build_report(engine, SINCE, UNTIL)
    loaded = json.loads(to_json(report))
    assert loaded == report.to_dict()
    assert loaded["metrics"]["requests"]["value"] == 8
    assert loaded["metrics"]["tracked_automatically"]["value"] is None
    assert loaded["since"] == "2026-03-02T00:00:00+00:00"
    assert loaded["breakdowns"]["by_week"]["rows"] == [["2026-03-02", 8, 0, None]]


def test_csv_writes_requests_metrics_and_one_file_per_breakdown(engine, tmp_path):
    report = build_report(engine, SINCE, UNTIL)
    folder = tmp_path / "csv"
    written = write_csv(report, folder, request_rows(engine, SINCE, UNTIL))
    names = {path.stem for path in written}
    assert names == {"requests", "metrics", *report.breakdowns}
    with (folder / "requests.csv").open(newline="", encoding="utf-8") as handle:
        requests = list(csv.DictReader(handle))
    assert len(requests) == 8 and tuple(requests[0]) == REQUEST_COLUMNS
    assert requests[0]["created_at"] == "2026-03-02T10:00:00+00:00"
    with (folder / "by_topic.csv").open(newline="", encoding="utf-8") as handle:
        topics = {r["topic"]: r for r in csv.DictReader(handle)}
    assert topics["CI Error"]["requests"] == "4" and topics["CI Error"]["previous"] == "1"


def test_markdown_has_every_kpi_with_its_definition_and_escapes_pipes(engine):
    report = build_report(engine, SINCE, UNTIL)
    text = to_markdown(report)
    for metric in report.metrics.values():
        assert metric.label in text and metric.definition.split("(")[0].strip() in text
    for breakdown in report.breakdowns.values():
        assert f"## {breakdown.title}" in text
    assert "| Requests | 8 |" in text


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [(0.4567, "share", "45.7%"), (2.0, "change", "+200.0%"), (12.34, "hours", "12.3 h"),
     (1518, "requests", "1,518"), (None, "share", "—")],
)  # fmt: skip
def test_format_value(value, unit, shown):
    assert format_value(value, unit) == shown
