"""Every CSV the CLI writes neutralises formula-leading cells (issue 15): report, `export
training`, `predict --out` and `replay --out`, on SQLite and PostgreSQL where a store is read."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from supportml.cli import cli
from supportml.report import build_report, request_rows
from supportml.report.render import write_csv
from tests.conftest import write_csv as write_input
from tests.report.conftest import SINCE, UNTIL, at, insert, row

FORMULA = '=HYPERLINK("http://evil.example","click") why does CI fail'
TOPIC = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [cell for line in csv.reader(handle) for cell in line]


def assert_neutralised(path: Path) -> None:
    written = cells(path)
    assert "'" + FORMULA in written and FORMULA not in written
    assert not [cell for cell in written if cell[:1] in ("=", "+", "@", "\t", "\r")]


@pytest.fixture
def hostile_store(engine: Engine, database_url: str) -> str:
    hostile = row(at(3, 10), text=FORMULA, final_topic=TOPIC, label_source="human")
    insert(engine, [{**hostile, "requester_team": "-x"}])
    return database_url


def test_report_csv(hostile_store, engine, tmp_path):
    report = build_report(engine, SINCE, UNTIL)
    for path in write_csv(report, tmp_path, request_rows(engine, SINCE, UNTIL)):
        assert not [c for c in cells(path) if c[:1] in ("=", "+", "@")], path
    assert_neutralised(tmp_path / "requests.csv")
    assert "'" + TOPIC in cells(tmp_path / "by_topic.csv")


def test_export_training(runner, hostile_store, tmp_path):
    out = tmp_path / "history.csv"
    result = runner.invoke(
        cli, ["export", "training", "--out", str(out), "--database-url", hostile_store]
    )
    assert result.exit_code == 0, result.output
    assert_neutralised(out)
    assert {"'" + TOPIC, "'-x"} <= set(cells(out))


def test_replay_out(runner, trained, hostile_store, tmp_path):
    out = tmp_path / "replay.csv"
    result = runner.invoke(
        cli,
        ["replay", "--model", str(trained.model_dir), "--docs", "none",
         "--database-url", hostile_store, "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "'" + TOPIC in cells(out)


def test_predict_out(runner, trained, tmp_path):
    source = write_input(tmp_path / "in.csv", [{"text": FORMULA}, {"text": "-1+2"}])
    out = tmp_path / "out.csv"
    model = ["--model", str(trained.model_dir)]
    result = runner.invoke(cli, ["predict", *model, "--input", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert_neutralised(out)
    assert "'-1+2" in cells(out)
