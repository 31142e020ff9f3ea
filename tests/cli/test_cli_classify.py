"""`supportml classify` through click: summary, JSON, dry run, one-line errors; import hints."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from supportml.cli import cli
from supportml.store import open_store, transaction
from supportml.store.models import ModelConfusion, Request
from supportml.store.repository import insert_new_requests
from tests.conftest import make_rows

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
SHEET = Path(__file__).resolve().parents[2] / "datasets" / "sample_tracking_sheet.csv"


def seed(url: str) -> int:
    """Requests the tiny model knows, the first labelled by a person; returns how many."""
    rows = [
        {
            "workspace": "T1",
            "channel": "C1",
            "ts": f"{i}.0001",
            "text": item["text"],
            "source": "import",
            "created_at": T0 + timedelta(days=i),
            **({"final_topic": "Kept", "label_source": "human"} if i == 0 else {}),
        }
        for i, item in enumerate(make_rows(2, seed=3))
    ]
    engine = open_store(url)
    with transaction(engine) as session:
        insert_new_requests(session, rows)
    engine.dispose()
    return len(rows)


def versions(url: str) -> list[Any]:
    engine = open_store(url)
    with transaction(engine) as session:
        found = list(session.scalars(select(Request.model_version).order_by(Request.id)))
    engine.dispose()
    return found


def confusions(url: str) -> dict[tuple[str, str, str], int]:
    engine = open_store(url)
    with transaction(engine) as session:
        found = {
            (c.model_version, c.true_topic, c.predicted_topic): c.requests
            for c in session.scalars(select(ModelConfusion))
        }
    engine.dispose()
    return found


def run(url: str, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["classify", "--database-url", url, *args])


def test_classify_summarises_and_a_second_run_changes_nothing(trained: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    n = seed(url)
    first = run(url, "--model", str(trained.model_dir), "--json", "--batch-size", "3")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["model_version"] == trained.card.version
    assert summary["classified"] + summary["abstained"] == n - 1
    assert summary["skipped"] == {"labelled by a person": 1}
    assert versions(url) == [None] + [trained.card.version] * (n - 1)
    recorded = {  # the card's out-of-fold confusions, for the report's corrected shares
        (trained.card.version, truth, guess): count
        for truth, row in trained.card.confusion.items()
        for guess, count in row.items()
    }
    assert recorded and confusions(url) == recorded

    again = run(url, "--model", str(trained.model_dir))
    assert again.exit_code == 0, again.output
    assert "unchanged (already done by this model)" in again.stdout
    assert f"{n - 1}\n" in again.stdout.split("unchanged (already done by this model)")[1]


def test_a_dry_run_writes_nothing(trained: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    n = seed(url)
    result = run(url, "--model", str(trained.model_dir), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run: nothing was written" in result.stdout
    assert versions(url) == [None] * n
    assert confusions(url) == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "is not a date"),
        (["--since", "2026-03-05", "--until", "2026-03-01"], "must be after --since"),
        (["--batch-size", "0"], "0 is not in the range"),
        (["--model", "no/such/model"], "no/such/model"),
    ],
)
def test_bad_input_is_one_line(trained: Any, tmp_path: Path, args: list[str], message: str) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    model = [] if "--model" in args else ["--model", str(trained.model_dir)]
    result = run(url, *model, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) <= 3


def test_an_import_says_to_classify_next(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    args = ["import", "spreadsheet", str(SHEET), "--database-url", url]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if "no topic yet" in line)
    count = int(line.split()[0].replace(",", ""))
    assert count > 0 and f"supportml classify --database-url {url}" in line
    as_json = json.loads(CliRunner().invoke(cli, [*args, "--json"]).stdout)
    assert as_json["unclassified"] == count
