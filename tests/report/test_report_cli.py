"""`supportml report` end to end through click: every format, filters, defaults, clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from supportml.cli.report import report
from supportml.store import open_store
from tests.report.conftest import WEEK, insert

PERIOD = ["--since", "2026-03-02", "--until", "2026-03-09"]


@pytest.fixture
def url(database_url: str) -> str:
    engine = open_store(database_url)
    insert(engine, WEEK)
    engine.dispose()
    return database_url


def invoke(*args: str):
    return CliRunner().invoke(report, list(args), catch_exceptions=False)


def test_json_to_stdout_with_filters(url):
    result = invoke(*PERIOD, "--format", "json", "--team", "a", "--database-url", url)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["metrics"]["requests"]["value"] == 3
    assert payload["filters"] == {"channel": None, "team": "a", "topic": None}


def test_html_file_and_headline(url, tmp_path: Path):
    out = tmp_path / "r" / "report.html"
    result = invoke(*PERIOD, "--format", "html", "--out", str(out), "--database-url", url)
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert f"wrote {out}" in result.stdout and "Requests" in result.stdout and "7" in result.stdout


def test_csv_folder_defaults_under_reports(url, tmp_path: Path):
    result = invoke(*PERIOD, "--format", "csv", "--database-url", url)  # cwd is tmp_path
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reports" / "report" / "requests.csv").is_file()
    assert len((tmp_path / "reports" / "report" / "requests.csv").read_text().splitlines()) == 8


def test_business_hours_options_and_environment(url, monkeypatch):
    args = [*PERIOD, "--format", "json", "--database-url", url]
    monkeypatch.setenv("SUPPORTML_ACK_TARGET_HOURS", "4")
    from_env = json.loads(invoke(*args).stdout)
    assert from_env["metrics"]["acknowledged_within_target"]["value"] == pytest.approx(5 / 6)
    shifted = json.loads(invoke(*args, "--business-hours", "8-16", "--timezone", "UTC").stdout)
    assert shifted["business_hours"]["start"] == "08:00:00"


def test_markdown_default_period_on_an_empty_store(tmp_path: Path):
    result = invoke("--database-url", f"sqlite:///{tmp_path / 'empty.db'}")
    assert result.exit_code == 0, result.output
    assert "| Requests | 0 |" in result.stdout and "no data in this period" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-03-09", "--until", "2026-03-02"], "must be before --until"),
        (["--timezone", "Mars/Base"], "time zone 'Mars/Base' is unknown"),
        (["--since", "yesterday"], "is not a date"),
        (["--business-hours", "9 to 5"], "opening hours like 09:00-17:00"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args, message):
    result = invoke(*args, "--database-url", f"sqlite:///{tmp_path / 's.db'}")
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_help_has_examples():
    result = invoke("--help")
    assert result.exit_code == 0 and "supportml report --since 2026-03-01" in result.output
