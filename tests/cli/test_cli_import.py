"""`supportml import slack-export / spreadsheet` end to end: idempotent, redacted, one-line errors,
nothing half-written, and two processes importing the same export at once on PostgreSQL."""

from __future__ import annotations

import csv
import json
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from supportml.cli import cli
from supportml.store import open_store, transaction
from supportml.store.models import ImportRun, Request
from tests.conftest import load_script, postgres_schema

DATASETS = Path(__file__).resolve().parents[2] / "datasets"
SHEET = DATASETS / "sample_tracking_sheet.csv"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


gen = load_script(DATASETS / "make_slack_export.py")
CHANNELS = [arg for name in gen.SUPPORT_CHANNELS.values() for arg in ("--channel", name)]


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample as a Slack export (every sample row is one thread)."""
    path = tmp_path_factory.mktemp("export") / "export.zip"
    gen.build_export(path)
    return path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def rows(url: str) -> list[Request]:
    engine = open_store(url)
    with transaction(engine) as session:
        found = list(session.scalars(select(Request)))
    engine.dispose()
    return found


def invoke(runner: CliRunner, url: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli, ["import", *args, "--database-url", url, "--json"])


def test_export_imports_once_redacted_with_threads_read(
    runner: CliRunner, database_url: str, export: Path
) -> None:
    first = invoke(runner, database_url, "slack-export", str(export), *CHANNELS)
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["imported"] == 1477 and summary["duplicate"] == 0
    assert summary["skipped_by_reason"]["thread reply"] > 1000

    again = json.loads(invoke(runner, database_url, "slack-export", str(export), *CHANNELS).stdout)
    assert (again["imported"], again["duplicate"]) == (0, 1477)

    stored = rows(database_url)
    assert len(stored) == 1477
    assert not [r.text for r in stored if EMAIL.search(r.text)]  # no address survives
    assert any("[email]" in r.text for r in stored)
    assert sum(r.first_response_at is not None for r in stored) > 0.6 * len(stored)
    assert {r.source for r in stored} >= {"import", "workflow"}


def test_sheet_rows_with_a_slack_link_join_the_exported_request(
    runner: CliRunner, database_url: str, export: Path
) -> None:
    invoke(runner, database_url, "slack-export", str(export), *CHANNELS)
    result = invoke(runner, database_url, "spreadsheet", str(SHEET), "--workspace", gen.WORKSPACE)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["read"] == 150
    assert summary["duplicate"] > 100  # linked rows are the exported messages
    assert summary["imported"] + summary["duplicate"] + summary["skipped"] == 150
    assert len(rows(database_url)) == 1477 + summary["imported"]
    # of the 41 link-less rows, 38 name their requester or a team the store knows: each merges
    # into the exported message it was typed from (the generator's own draw says which); the
    # other 3 stay requests of their own
    assert (summary["merged"], summary["imported"]) == (38, 3)
    sample = gen.load_sample(gen.SAMPLE)
    drawn = sorted(random.Random(gen.SEED).sample(range(len(sample)), 150))  # as the sheet's
    source = {f"PS-{1000 + n}": sample[i] for n, i in enumerate(drawn, start=1)}
    merged = {
        r.external_id: r for r in rows(database_url) if r.external_id and r.channel != "sheet"
    }
    with SHEET.open(newline="", encoding="utf-8") as handle:
        unlinked = [r["Ticket ID"] for r in csv.DictReader(handle) if "slack.com" not in r["Link"]]
    right = [
        t
        for t in unlinked
        if t in merged
        and (merged[t].channel, merged[t].ts.split(".")[0])
        == (source[t].channel, str(int(source[t].created_at.timestamp())))
    ]
    assert len(right) == 38
    table = runner.invoke(
        cli,
        ["import", "spreadsheet", str(SHEET), "--workspace", gen.WORKSPACE]
        + ["--database-url", database_url],
    )
    assert re.search(r"merged with an exported message\s+38\s+sample_tracking_sheet", table.stdout)


def corrupt(export: Path, tmp_path: Path, name: str, content: bytes) -> Path:
    """A copy of the export whose member ``name`` is replaced (or added) with ``content``."""
    out = tmp_path / "bad.zip"
    with zipfile.ZipFile(export) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            if item.filename != name:
                target.writestr(item, source.read(item))
        target.writestr(name, content)
    return out


def first_day(export: Path) -> str:
    with zipfile.ZipFile(export) as archive:
        return sorted(n for n in archive.namelist() if n.startswith("platform-support/"))[3]


@pytest.mark.parametrize(
    "case",
    ["truncated zip", "day file not JSON", "message without ts"],
)
def test_bad_exports_are_one_line_exit_2_and_write_nothing(
    runner: CliRunner, database_url: str, export: Path, tmp_path: Path, case: str
) -> None:
    day = first_day(export)
    if case == "truncated zip":
        bad = tmp_path / "bad.zip"
        bad.write_bytes(export.read_bytes()[: export.stat().st_size // 2])
        expected = "bad.zip"
    elif case == "day file not JSON":
        bad = corrupt(export, tmp_path, day, b'[{"ts": "1.2", "text": "hi"},\n  oops]')
        expected = f"{day}.*line 2"
    else:
        bad = corrupt(export, tmp_path, day, b'[{"type": "message", "user": "U1", "text": "hi"}]')
        expected = f"{day}.*ts"
    result = invoke(runner, database_url, "slack-export", str(bad), *CHANNELS)
    assert result.exit_code == 2, result.output
    assert re.search(expected, result.stderr), result.stderr
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.output
    assert rows(database_url) == []


@pytest.mark.parametrize(
    ("content", "args", "expected"),
    [
        (SHEET.read_text(encoding="utf-8").replace(",", ";"), [], "delimit"),
        (None, ["--map", "Nonexistent Column=text"], "Nonexistent Column"),
        (None, ["--map", "Summary=colour"], "colour"),
    ],
)
def test_bad_sheets_are_one_line_exit_2(
    runner: CliRunner,
    database_url: str,
    tmp_path: Path,
    content: str | None,
    args: list[str],
    expected: str,
) -> None:
    sheet = SHEET
    if content is not None:
        sheet = tmp_path / "sheet.csv"
        sheet.write_text(content, encoding="utf-8")
    result = invoke(runner, database_url, "spreadsheet", str(sheet), *args)
    assert result.exit_code == 2, result.output
    assert expected in result.stderr and result.stderr.strip().count("\n") == 0
    assert rows(database_url) == []


def test_a_sheet_in_another_encoding_names_the_line(runner: CliRunner, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes(SHEET.read_text(encoding="utf-8").replace("hey", "h\u00e9y").encode("cp1252"))
    result = runner.invoke(cli, ["import", "spreadsheet", str(sheet)])
    assert result.exit_code == 2
    assert "line" in result.stderr and "--encoding" in result.stderr
    fixed = runner.invoke(cli, ["import", "spreadsheet", str(sheet), "--encoding", "cp1252"])
    assert fixed.exit_code == 0, fixed.output


def test_a_failed_run_is_recorded_and_a_rerun_resumes(
    runner: CliRunner, database_url: str, export: Path, tmp_path: Path
) -> None:
    day = first_day(export)
    bad = corrupt(export, tmp_path, day, b"not json")
    assert invoke(runner, database_url, "slack-export", str(bad), *CHANNELS).exit_code == 2
    good = json.loads(invoke(runner, database_url, "slack-export", str(export), *CHANNELS).stdout)
    assert good["imported"] == 1477
    engine = open_store(database_url)
    with transaction(engine) as session:
        statuses = session.scalars(select(ImportRun.status).order_by(ImportRun.id)).all()
    engine.dispose()
    assert statuses == ["failed", "done"]


def test_two_processes_importing_the_same_export_store_each_request_once(export: Path) -> None:
    supportml = Path(sys.executable).with_name("supportml")
    with postgres_schema() as url:
        # an empty schema: the two race on creating it (an advisory lock) and then on every row
        command = [str(supportml), "import", "slack-export", str(export), *CHANNELS, "--json"]
        processes = [
            subprocess.Popen(
                [*command, "--database-url", url],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [process.communicate(timeout=120) for process in processes]
        assert [p.returncode for p in processes] == [0, 0], outputs
        summaries = [json.loads(stdout) for stdout, _ in outputs]
        engine = open_store(url)
        with transaction(engine) as session:
            total = session.scalar(select(func.count()).select_from(Request))
            distinct = session.scalar(
                select(func.count()).select_from(
                    select(Request.channel, Request.ts).distinct().subquery()
                )
            )
        engine.dispose()
    assert total == distinct == 1477
    assert sum(s["imported"] for s in summaries) == 1477
    assert sum(s["duplicate"] for s in summaries) == 1477
