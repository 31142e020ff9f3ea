"""`supportml db / import topics-map / export training` through click, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from supportml.cli import cli
from supportml.data import load_requests
from supportml.ingest.load import import_records
from supportml.ingest.records import ImportedRequest
from supportml.store import open_store

EXAMPLE_MAP = Path(__file__).resolve().parents[2] / "datasets" / "topics_map.example.yaml"
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def seed(url: str) -> None:
    topics = ["Pull Request", "Build Failure", "CI Error"]
    items = [
        ImportedRequest(
            channel="C1",
            ts=f"{1712000000 + i}.000100",
            text=f"request number {i} about {topics[i % 3].lower()}",
            created_at=T0 + timedelta(days=i),
            origin=f"test#{i}",
            topic=topics[i % 3],
        )
        for i in range(12)
    ]
    engine = open_store(url)
    import_records(engine, "test", "seed", items, clean=str)
    engine.dispose()


def test_db_upgrade_then_status(runner: CliRunner, database_url: str) -> None:
    result = runner.invoke(cli, ["db", "upgrade", "--database-url", database_url])
    assert result.exit_code == 0, result.output
    assert "upgraded from empty to schema" in result.output
    result = runner.invoke(cli, ["db", "upgrade", "--database-url", database_url])
    assert "already at schema" in result.output
    result = runner.invoke(cli, ["db", "status", "--database-url", database_url, "--json"])
    payload = json.loads(result.stdout)
    assert payload["rows"]["requests"] == 0 and payload["revision"]


def test_the_default_store_is_supportml_db_in_the_working_directory(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["db", "status", "--json"])
    assert result.exit_code == 0, result.output
    assert Path("supportml.db").is_file()


def test_the_environment_selects_the_store(
    runner: CliRunner, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(database_url)
    monkeypatch.setenv("SUPPORTML_DATABASE_URL", database_url)
    result = runner.invoke(cli, ["db", "status", "--json"])
    assert json.loads(result.stdout)["rows"]["requests"] == 12


def test_topics_map_applies_once_and_export_uses_the_new_names(
    runner: CliRunner, database_url: str, tmp_path: Path
) -> None:
    seed(database_url)
    args = ["import", "topics-map", str(EXAMPLE_MAP), "--database-url", database_url]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "8 stored labels changed" in first.output
    again = runner.invoke(cli, args)
    assert "applied before" in again.output

    out = tmp_path / "history.csv"
    result = runner.invoke(
        cli, ["export", "training", "--out", str(out), "--database-url", database_url, "--json"]
    )
    assert json.loads(result.stdout)["rows"] == 12
    dataset = load_requests(out)  # the format `supportml train` reads
    assert set(dataset.labels) == {"PR Review", "CI Error"}

    result = runner.invoke(
        cli,
        [
            "export",
            "training",
            "--out",
            str(out),
            "--since",
            "2026-03-10",
            "--database-url",
            database_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "wrote 4 labelled requests" in result.output


def test_a_bad_map_is_one_line_and_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "map.yaml"
    bad.write_text("A: B\nB: A\n")
    result = runner.invoke(cli, ["import", "topics-map", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "loops" in result.stderr


def test_an_unreachable_store_is_one_line_and_exit_2(runner: CliRunner) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/test"
    result = runner.invoke(cli, ["db", "status", "--database-url", url])
    assert result.exit_code == 2
    assert "cannot open" in result.stderr and "Traceback" not in result.output


def test_a_bad_since_date_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["export", "training", "--out", str(tmp_path / "x.csv"), "--since", "last tuesday"]
    )
    assert result.exit_code == 2 and "not a date" in result.output
    assert not (tmp_path / "x.csv").exists()  # checked before anything is written


def test_prune_events_reports_what_it_removed(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["db", "prune-events", "--days", "7"])
    assert result.exit_code == 0 and "removed 0 event ids" in result.output


def test_refresh_effort_applies_the_configured_model(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select

    from supportml.ingest.records import ImportedReply
    from supportml.store import transaction
    from supportml.store.models import Request

    url = f"sqlite:///{tmp_path / 's.db'}"
    replies = tuple(
        ImportedReply(f"1712000000.{k}", "US", T0 + timedelta(minutes=m), True, 10)
        for k, m in ((1, 10), (2, 50))
    )
    item = ImportedRequest(channel="C1", ts="1712000000.000100", text="help", created_at=T0,
                           origin="t#0", requester="UR", replies=replies)  # fmt: skip
    engine = open_store(url)
    import_records(engine, "test", "seed", [item], clean=str)  # defaults: 2 x 5 min, 40 min apart
    monkeypatch.setenv("SUPPORTML_EFFORT_REPLY_MINUTES", "1")
    monkeypatch.setenv("SUPPORTML_EFFORT_GAP_MINUTES", "60")
    result = runner.invoke(cli, ["db", "refresh-effort", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "recomputed the effort of 1 requests" in result.output
    with transaction(engine) as session:
        seconds = session.scalar(select(Request.staff_seconds))
    engine.dispose()
    assert seconds == (2 + 40) * 60  # 2 x 1 min + the 40-minute gap, now under 60
