"""NUL characters never reach the store (PostgreSQL refuses them in text), on both backends."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

from click.testing import CliRunner

from supportml.cli import cli
from supportml.ingest.load import import_records
from supportml.ingest.records import ImportedRequest
from supportml.store.models import Request
from supportml.text import model_text, store_text
from tests.slack.stored import rows

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
NUL_TEXT = "deploy\x00 failed\x00 on main"


def test_store_and_model_text_drop_nul():
    assert store_text(NUL_TEXT) == "deploy failed on main"
    assert "\x00" not in model_text(NUL_TEXT)


def test_an_imported_request_with_nul_is_stored_and_exported(engine, database_url, tmp_path):
    item = ImportedRequest(
        channel="C1", ts="1712000000.000100", text=NUL_TEXT, created_at=T0, origin="t#1",
        topic="CI Error",
    )  # fmt: skip
    import_records(engine, "test", "nul", [item], clean=store_text)
    assert [row.text for row in rows(engine, Request)] == ["deploy failed on main"]
    out = tmp_path / "history.csv"
    result = CliRunner().invoke(
        cli, ["export", "training", "--out", str(out), "--database-url", database_url]
    )
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as handle:
        assert [row["text"] for row in csv.DictReader(handle)] == ["deploy failed on main"]
