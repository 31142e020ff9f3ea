"""`supportml report` end to end through click: every format, filters, defaults, clean errors."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from supportml.cli.report import report
from supportml.store import open_store
from supportml.store.models import Channel
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
        (["--business-hours", "9 to 5"], "a time range like 09:00-17:00"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args, message):
    result = invoke(*args, "--database-url", f"sqlite:///{tmp_path / 's.db'}")
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_help_has_examples():
    result = invoke("--help")
    assert result.exit_code == 0 and "supportml report --since 2026-03-01" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--channel", "C3"], "unknown --channel 'C3'; closest known: C2, C1"),
        (["--team", "c"], "unknown --team 'c'; closest known: "),
        (["--topic", "CI Eror"], "unknown --topic 'CI Eror'; closest known: CI Error"),
    ],
)
def test_an_unknown_filter_is_one_line_naming_the_closest_values_and_exit_2(url, args, message):
    result = invoke(*PERIOD, *args, "--database-url", url)
    assert result.exit_code == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {message}")


def test_team_and_topic_filters_ignore_case(url):
    result = invoke(*PERIOD, "--format", "json", "--team", "A", "--topic", "ci error",
                    "--database-url", url)  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["metrics"]["requests"]["value"] == 3
    assert payload["filters"]["topic"] == "CI Error"


def test_channel_names_come_from_an_export_and_the_filter_takes_a_name(database_url, tmp_path):
    from supportml.cli import cli

    export = tmp_path / "export.zip"
    message = {"type": "message", "ts": "1772460000.000100", "user": "U1", "text": "deploy?"}
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("channels.json", json.dumps([{"id": "C0HELP", "name": "help-platform"}]))
        archive.writestr("users.json", json.dumps([{"id": "U1", "team_id": "T0WS"}]))
        archive.writestr("help-platform/2026-03-02.json", json.dumps([message]))
    imported = CliRunner().invoke(
        cli, ["import", "slack-export", str(export), "--channel", "help-platform",
              "--database-url", database_url],
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    engine = open_store(database_url)
    with engine.connect() as connection:
        assert connection.execute(
            select(Channel.workspace, Channel.channel_id, Channel.name)
        ).all() == [("T0WS", "C0HELP", "help-platform")]
    engine.dispose()
    for channel in ("help-platform", "#help-platform", "C0HELP"):
        result = invoke(*PERIOD, "--format", "json", "--channel", channel,
                        "--database-url", database_url)  # fmt: skip
        assert result.exit_code == 0, result.output
        payload = json.loads(result.stdout)
        assert payload["filters"]["channel"] == "C0HELP"
        assert payload["breakdowns"]["by_channel"]["rows"] == [["#help-platform", 1, 1.0]]
    unknown = invoke(*PERIOD, "--channel", "help-platfrom", "--database-url", database_url)
    assert unknown.exit_code == 2 and "closest known: help-platform" in unknown.stderr
